"""Window arithmetic: durations, the SLO's own window (rolling or calendar, in a time zone), exclusions.

A window ``(start, end]`` of length ``seconds`` ending at ``end`` counts events whose time is after
``start`` and at or before ``end`` — the same increases Prometheus' ``increase(x[seconds])`` sees
when samples sit on minute boundaries.
"""

from __future__ import annotations

import datetime as dt
import re
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

_UNITS = {"s": 1, "m": MINUTE, "h": HOUR, "d": DAY, "w": 7 * DAY}
_DURATION = re.compile(r"^(\d+)([smhdw])$")


def parse_duration(text: str) -> int:
    """Seconds of ``"5m"``, ``"1h"``, ``"30d"``, ``"2w"``. Raises ``ValueError`` otherwise."""
    match = _DURATION.match(str(text).strip())
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"{text!r} is not a duration like 5m, 1h or 30d")
    return int(match.group(1)) * _UNITS[match.group(2)]


def format_duration(seconds: int) -> str:
    """The largest whole unit: 300 -> "5m", 259200 -> "3d", 90 -> "90s" (PromQL and OpenSLO syntax)."""
    seconds = int(seconds)
    for unit in ("d", "h", "m"):
        size = _UNITS[unit]
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


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
    """Length of the SLO's window ending at ``now``: ``days`` whole days when rolling; the elapsed part of
    the current week/month (rounded up to a whole minute, at least one) when calendar."""
    if kind == "rolling":
        return int(days) * DAY
    elapsed = (now - calendar_start(unit=unit, tz=tz, now=now)).total_seconds()
    return max(MINUTE, -(-int(elapsed) // MINUTE) * MINUTE)


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
