"""Per-day uptime for the 90-day bars.

Two sources, chosen per component by the caller:

* **SLI**: the linked SLOs' good/total events of the day, summed (``None`` when no traffic: never 100%).
* **Incidents**: the time the component spent in an outage that day, weighted as Statuspage does (a
  major outage counts fully, a partial outage 30%, degraded performance and maintenance not at all),
  over the part of the day that has elapsed.

All times are timezone-aware datetimes passed in; days are ``[day_start, day_end)`` ranges."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from statuspage.domain.status import DEGRADED, MAINTENANCE, MAJOR, PARTIAL, RANK

PARTIAL_WEIGHT = Fraction(3, 10)


@dataclass(frozen=True)
class Interval:
    """The component was ``status`` over ``[start, end)``; ``incident`` is the public label, if any."""

    start: datetime
    end: datetime
    status: str
    incident: str = ""


@dataclass(frozen=True)
class Day:
    day: date
    uptime: Fraction | None  # None = no data (SLI without traffic, or a day in the future)
    source: str  # "sli" | "incidents" | "none"
    good: int | Fraction | None = None
    total: int | Fraction | None = None
    seconds: dict[str, int] = field(default_factory=dict)  # status -> seconds that day (incidents source)
    incidents: tuple[str, ...] = ()
    worst: str = "operational"
    target: Fraction | None = None  # SLI days: the objective the day is held to (the strictest linked SLO's)

    @property
    def level(self) -> str:
        """How the bar is coloured: ok, minor, major, critical, maintenance or none. The worse of the
        day's uptime and the worst impact an incident had that day, so a day an incident affected is
        coloured even when the SLI had no traffic."""
        by_impact = IMPACT_LEVEL.get(self.worst, "ok")
        if self.uptime is None:
            return by_impact if by_impact != "ok" else "none"
        # An SLI day that met its objective is a good day: real traffic always has a few errors, and 99.95% of
        # requests served on a 99.9% objective is not an incident. Below the objective the shortfall sets the colour.
        perfect = self.target if self.target is not None else 1
        if self.uptime >= perfect:
            by_uptime = "ok"
        elif self.uptime < Fraction(95, 100):
            by_uptime = "critical"
        elif self.uptime < Fraction(99, 100):
            by_uptime = "major"
        else:
            by_uptime = "minor"
        return max(by_impact, by_uptime, key=LEVEL_ORDER.index)


IMPACT_LEVEL = {MAJOR: "critical", PARTIAL: "major", DEGRADED: "minor", MAINTENANCE: "maintenance"}
LEVEL_ORDER = ("none", "ok", "maintenance", "minor", "major", "critical")


def _clip(interval: Interval, start: datetime, end: datetime) -> tuple[datetime, datetime] | None:
    lo, hi = max(interval.start, start), min(interval.end, end)
    return (lo, hi) if hi > lo else None


def status_seconds(intervals: Iterable[Interval], *, start: datetime, end: datetime) -> dict[str, int]:
    """Seconds of ``[start, end)`` spent in each non-operational status, overlaps counted once at the
    worst status (a sweep over the interval boundaries)."""
    clipped = []
    for interval in intervals:
        span = _clip(interval, start, end)
        if span and RANK.get(interval.status, 0) > 0:
            clipped.append((span[0], span[1], interval.status))
    points = sorted({p for s, e, _ in clipped for p in (s, e)})
    out: dict[str, int] = {}
    for lo, hi in itertools.pairwise(points):
        active = [status for s, e, status in clipped if s <= lo and e >= hi]
        if not active:
            continue
        top = max(active, key=lambda status: RANK[status])
        out[top] = out.get(top, 0) + int((hi - lo).total_seconds())
    return out


def day_from_incidents(
    *, day: date, start: datetime, end: datetime, now: datetime, intervals: Sequence[Interval]
) -> Day:
    """Uptime of one day from outage intervals; the day counts only up to ``now``."""
    end = min(end, now)
    if end <= start:
        return Day(day=day, uptime=None, source="none")
    seconds = status_seconds(intervals, start=start, end=end)
    elapsed = int((end - start).total_seconds())
    down = Fraction(seconds.get(MAJOR, 0)) + PARTIAL_WEIGHT * seconds.get(PARTIAL, 0)
    uptime = max(Fraction(0), 1 - down / elapsed) if elapsed else None
    names = tuple(dict.fromkeys(i.incident for i in intervals if i.incident and _clip(i, start, end)))
    worst = max(seconds, key=lambda s: RANK[s]) if seconds else "operational"
    return Day(day=day, uptime=uptime, source="incidents", seconds=seconds, incidents=names, worst=worst)


def day_from_sli(
    *,
    day: date,
    counts: Sequence[tuple[int | Fraction, int | Fraction] | None],
    incidents: Day | None = None,
    target: Fraction | None = None,
) -> Day:
    """Uptime of one day from the linked SLOs' ``(good, total)`` (summed); incident names and seconds
    still come from ``incidents`` so hovering shows what happened. ``target`` (the strictest linked SLO's
    objective) is what a good day reaches: the bar is green at or above it."""
    known = [c for c in counts if c is not None]
    good = sum((c[0] for c in known), 0)
    total = sum((c[1] for c in known), 0)
    extra: dict[str, Any] = {"target": target}
    if incidents is not None:
        extra.update(seconds=incidents.seconds, incidents=incidents.incidents, worst=incidents.worst)
    if not known or not total:
        return Day(day=day, uptime=None, source="sli", **extra)
    return Day(day=day, uptime=Fraction(good) / Fraction(total), source="sli", good=good, total=total, **extra)


def overall_uptime(days: Iterable[Day]) -> Fraction | None:
    """The uptime over the whole range: events summed where the days are SLI-based, else the mean of the
    days with data. ``None`` when no day has data."""
    days = [d for d in days if d.uptime is not None]
    if not days:
        return None
    if all(d.source == "sli" for d in days):
        total = sum((d.total or 0 for d in days), 0)
        if total:
            return Fraction(sum((d.good or 0 for d in days), 0)) / Fraction(total)
    return sum((d.uptime for d in days if d.uptime is not None), Fraction(0)) / len(days)


def format_percent(value: Fraction | None, *, places: int = 2) -> str:
    """``99.95%`` (rounded down, so 99.999% never shows as 100%); ``no data`` for None."""
    if value is None:
        return "no data"
    scaled = value * 100 * 10**places
    whole = scaled.numerator // scaled.denominator
    text = f"{whole // 10**places}.{whole % 10**places:0{places}d}"
    return f"{text}%"
