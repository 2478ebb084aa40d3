"""The values of on-call schedules: layers, overrides, swaps, shifts and the final schedule.

Plain frozen dataclasses (hashable, so compiled layers can be cached). ``oncall.domain.schedule`` re-exports
every name here; import them from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

ROTATIONS = ("hours", "days", "weeks")


class ScheduleError(ValueError):
    """A schedule input that cannot be computed; ``field`` names the input at fault ("start", "ical", ...)."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        return f"ScheduleError({self.message!r}, field={self.field!r})"


@dataclass(frozen=True)
class Restriction:
    """A weekly window in local wall-clock time. ``weekdays`` (0 = Monday) are the local days a window
    STARTS on; ``end <= start`` runs past midnight into the next day (nights 18:00 → 08:00)."""

    weekdays: tuple[int, ...]
    start: time
    end: time


@dataclass(frozen=True)
class Layer:
    """A rotation: shift ``i`` starts at ``start + i * every * unit`` and belongs to
    ``participants[i % len(participants)]``. ``start``/``end`` are NAIVE local wall-clock times in the
    schedule's zone; "days"/"weeks" step in local wall time, "hours" in absolute time."""

    key: str
    level: int
    participants: tuple[str, ...]
    rotation: str
    every: int
    start: datetime
    end: datetime | None = None
    restrictions: tuple[Restriction, ...] = ()


@dataclass(frozen=True)
class Shift:
    """``people`` (sorted) on call over ``[start, end)`` (aware, UTC), put there by ``source``."""

    start: datetime
    end: datetime
    people: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class FixedLayer:
    """A layer whose shifts are already known (an iCalendar layer). Its shifts may overlap each other:
    where they do, everyone they name is on call."""

    key: str
    level: int
    shifts: tuple[Shift, ...]


@dataclass(frozen=True)
class Override:
    """``person`` covers ``[start, end)`` (aware) whatever the layers say."""

    key: str
    person: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Swap:
    """Within ``[start, end)`` (aware), wherever the layers put ``from_person`` on call, ``to_person`` is."""

    key: str
    from_person: str
    to_person: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Interval:
    """``[start, end)``, aware UTC."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class FinalSchedule:
    """Sorted, non-overlapping, merged shifts; ``gaps`` where nobody is on call (before the fallback);
    ``overlaps`` where two same-level layers or two overrides put different people on call at once."""

    shifts: tuple[Shift, ...]
    gaps: tuple[Interval, ...]
    overlaps: tuple[Interval, ...]
