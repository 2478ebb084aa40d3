"""Window arithmetic for sums over the rollups: whole hours from the hourly table, edges from minutes."""

from __future__ import annotations

from dataclasses import dataclass

MINUTE = 60
HOUR = 3600


@dataclass(frozen=True)
class WindowPlan:
    """Half-open ranges ``[a, b)`` of bucket starts: minute ranges and at most one hour range."""

    minute_ranges: tuple[tuple[int, int], ...]
    hour_range: tuple[int, int] | None


def window_bounds(*, now: float, seconds: int) -> tuple[int, int]:
    """``[start, end)`` in minute buckets for "the last ``seconds``" ending at ``now``: the current (partial)
    minute is included, so a 5-minute window is the current minute and the four before it."""
    end = (int(now) // MINUTE + 1) * MINUTE
    minutes = max(1, -(-seconds // MINUTE))
    return end - minutes * MINUTE, end


def plan_window(*, start: int, end: int) -> WindowPlan:
    """Split ``[start, end)`` (minute aligned) into whole hours plus minute edges so that a 30-day window
    reads ~720 hourly rows and at most ~118 minute rows per series instead of 43,200 minute rows."""
    if end <= start:
        return WindowPlan((), None)
    first_hour = -(-start // HOUR) * HOUR
    last_hour = end // HOUR * HOUR
    if last_hour <= first_hour:
        return WindowPlan(((start, end),), None)
    minutes = tuple(r for r in ((start, first_hour), (last_hour, end)) if r[0] < r[1])
    return WindowPlan(minutes, (first_hour, last_hour))
