"""Geometry of a schedule timeline: which local days a window covers, and where each interval sits on it.

Pure: the window is computed from ``now`` (an argument), positions are percentages of the window so the
page can draw bars with CSS alone. All instants in and out are aware; local dates are in the schedule's zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from oncall.domain.localtime import as_utc, local_to_utc, to_local, zone

WEEK_CHOICES = (1, 2, 4)
MAX_OFFSET = 520  # periods either side of today (ten years of weeks): bounds what a URL can ask for


@dataclass(frozen=True)
class Window:
    """``[start, end)`` (UTC) from local midnight of ``first_day`` for ``weeks`` weeks."""

    start: datetime
    end: datetime
    first_day: date
    weeks: int
    offset: int


@dataclass(frozen=True)
class Bar:
    """One interval on a row: ``left`` and ``width`` are percentages of the window (clipped to it)."""

    start: datetime
    end: datetime
    left: float
    width: float
    people: tuple[str, ...]
    source: str
    kind: str  # "shift", "fallback", "override", "gap", "overlap"


@dataclass(frozen=True)
class Tick:
    """A local midnight inside the window, at ``left`` percent."""

    day: date
    left: float


def window(*, now: datetime, time_zone: str, weeks: int, offset: int) -> Window:
    """The window of ``weeks`` weeks (1, 2 or 4; anything else is 2) starting at today's local midnight in
    ``time_zone``, moved by ``offset`` whole windows (negative = earlier). Midnights that a clock change skips
    start at the first instant that exists."""
    weeks = weeks if weeks in WEEK_CHOICES else 2
    offset = max(-MAX_OFFSET, min(MAX_OFFSET, offset))
    tz = zone(time_zone)
    today = to_local(as_utc(now, field="now"), tz).date()
    first = today + timedelta(weeks=weeks * offset)
    last = first + timedelta(weeks=weeks)
    start = local_to_utc(datetime.combine(first, time.min), tz)
    end = local_to_utc(datetime.combine(last, time.min), tz)
    return Window(start=start, end=end, first_day=first, weeks=weeks, offset=offset)


def _percent(instant: datetime, win: Window) -> float:
    span = (win.end - win.start).total_seconds()
    return round(100.0 * (instant - win.start).total_seconds() / span, 4)


def bar(
    *, start: datetime, end: datetime, win: Window, people: tuple[str, ...] = (), source: str = "", kind: str
) -> Bar | None:
    """The bar of ``[start, end)`` clipped to the window; None when nothing of it is inside."""
    s, e = max(as_utc(start, field="start"), win.start), min(as_utc(end, field="end"), win.end)
    if e <= s:
        return None
    left = _percent(s, win)
    return Bar(
        start=s, end=e, left=left, width=round(_percent(e, win) - left, 4), people=people, source=source, kind=kind
    )


def bars(items: Iterable[tuple[datetime, datetime, tuple[str, ...], str, str]], *, win: Window) -> list[Bar]:
    """Bars of ``(start, end, people, source, kind)`` items, in start order, those outside the window left out."""
    out = [bar(start=s, end=e, people=p, source=src, kind=k, win=win) for s, e, p, src, k in items]
    return sorted((b for b in out if b is not None), key=lambda b: (b.start, b.end))


def day_ticks(*, win: Window, time_zone: str) -> list[Tick]:
    """One tick per local day of the window (at its local midnight)."""
    tz = zone(time_zone)
    days = (win.end - win.start).days + 2
    out = []
    for n in range(days):
        day = win.first_day + timedelta(days=n)
        at = local_to_utc(datetime.combine(day, time.min), tz)
        if win.start <= at < win.end:
            out.append(Tick(day=day, left=_percent(at, win)))
    return out


def now_marker(*, now: datetime, win: Window) -> float | None:
    """Where ``now`` is on the window (percent), or None outside it."""
    now = as_utc(now, field="now")
    return _percent(now, win) if win.start <= now < win.end else None
