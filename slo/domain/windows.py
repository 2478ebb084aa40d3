"""Window arithmetic: the SLO's own window (rolling or calendar, in a time zone), exclusions.

A window is ``(start, T]`` to the second: ``T`` is the evaluation instant, ``start = T − seconds`` (a
rolling window) or the period start (a calendar window, so ``seconds = T − period start``). The metric
store keeps per-minute rollups; rollup minute ``[m, m + 60 s)`` holds the samples stamped in that minute
(and a counter sample holds the increase since the series' previous sample). **A rollup minute counts in
``(start, T]`` when ``start < m <= T``**: the minute is timed by its first second ``m``, where a sample of a
one-minute scrape sits. So:

* "5m" at 21:23:22 is ``(21:18:22, 21:23:22]`` = the minutes 21:19 … 21:23: the current, partial minute
  (what has arrived of it) and the four before it; at 21:23:00 it is the same five minutes.
* A calendar month starting at 23:00:00Z counts minutes 23:01 onwards: the 23:00 minute holds the sample
  stamped 23:00:00, i.e. the previous month's last minute, and is left out.
* Samples on minute boundaries are counted exactly as Prometheus' ``increase(x[seconds])`` at ``T``
  (range ``(T − seconds, T]``) sees them; a sample stamped within a minute counts as if stamped at the
  minute's start. Log lines are bucketed the same way (their minute).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MINUTE = 60
HOUR = 3600
DAY = 86400

# The burn-rate windows shown for every SLO (the SLO's own window is added as "slo").
BURN_WINDOWS: dict[str, int] = {
    "5m": 300,
    "30m": 1800,
    "1h": 3600,
    "2h": 7200,
    "6h": 21600,
    "1d": 86400,
    "3d": 259200,
}


def zone(name: str) -> ZoneInfo:
    """The IANA zone; raises ``ValueError`` for an unknown name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def calendar_start(*, unit: str, tz: str, now: dt.datetime) -> dt.datetime:
    """Start (aware, UTC) of the calendar ``week`` (Monday 00:00) or ``month`` containing ``now`` in ``tz``."""
    local = now.astimezone(zone(tz))
    if unit == "week":
        day = local.date() - dt.timedelta(days=local.weekday())
    elif unit == "month":
        day = local.date().replace(day=1)
    else:
        raise ValueError(f"unknown calendar unit {unit!r}")
    return dt.datetime.combine(day, dt.time(), tzinfo=zone(tz)).astimezone(dt.UTC)


def calendar_end(*, unit: str, tz: str, start: dt.datetime) -> dt.datetime:
    """End (aware, UTC) of the calendar period beginning at ``start``."""
    local = start.astimezone(zone(tz))
    if unit == "week":
        day = local.date() + dt.timedelta(days=7)
    else:
        day = (local.date().replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return dt.datetime.combine(day, dt.time(), tzinfo=zone(tz)).astimezone(dt.UTC)


def slo_window_seconds(*, kind: str, days: int, unit: str, tz: str, now: dt.datetime) -> int:
    """Length of the SLO's window ``(start, now]``: ``days`` whole days when rolling; when calendar the
    whole seconds elapsed since the week/month began, so the window starts exactly at the period start
    (0 at the period's first second: an empty window, "no data")."""
    if kind == "rolling":
        return int(days) * DAY
    elapsed = (now - calendar_start(unit=unit, tz=tz, now=now)).total_seconds()
    return max(0, int(elapsed))


def window_minutes(*, end: int, seconds: int) -> tuple[int, int]:
    """``[a, b)``: the rollup minutes (bucket starts, unix seconds) counted in ``(end − seconds, end]``,
    i.e. every minute ``m`` with ``end − seconds < m <= end``. Empty (``a == b``) for ``seconds <= 0``."""
    b = end // MINUTE * MINUTE + MINUTE
    if seconds <= 0:
        return b, b
    return (end - seconds) // MINUTE * MINUTE + MINUTE, b


def slo_period_seconds(*, kind: str, days: int, unit: str, tz: str, now: dt.datetime) -> int:
    """The whole period's length (for time to exhaustion and "budget per period"): ``days`` when rolling,
    the full week/month (DST included) when calendar."""
    if kind == "rolling":
        return int(days) * DAY
    start = calendar_start(unit=unit, tz=tz, now=now)
    return int((calendar_end(unit=unit, tz=tz, start=start) - start).total_seconds())


def clip_ranges(*, ranges: Iterable[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """The parts of ``ranges`` (unix seconds, ``(a, b]``) inside ``(start, end]``, merged and sorted."""
    parts = sorted((max(a, start), min(b, end)) for a, b in ranges if min(b, end) > max(a, start))
    merged: list[tuple[int, int]] = []
    for a, b in parts:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def minute_align(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Widen ``(a, b]`` ranges to whole minutes (the store's resolution): a minute touched is excluded."""
    return [(a // MINUTE * MINUTE, -(-b // MINUTE) * MINUTE) for a, b in ranges]
