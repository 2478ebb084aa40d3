"""Local wall-clock time ↔ UTC for schedules, with one rule for the clock changes.

* An ambiguous local time (clocks go back, the hour happens twice) is its FIRST occurrence (``fold=0``).
* A nonexistent local time (clocks go forward, the hour is skipped) moves forward to the first instant that
  exists after it: the instant of the change (02:30 on a Berlin spring-forward day is 03:00 CEST).

The zone's own ``fold=0`` answer for a skipped time would be 03:30 (the time read with the old offset);
that is not a time anyone meant, so it is not used.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from oncall.domain.shifts import ScheduleError

_SECOND = timedelta(seconds=1)
MAX_WINDOW = timedelta(days=3660)  # ten years: bounds the work one question can ask for
EARLIEST, LATEST = datetime(1900, 1, 1, tzinfo=UTC), datetime(2999, 12, 31, tzinfo=UTC)


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; raises ScheduleError(field="time_zone") for an unknown one."""
    if not isinstance(name, str) or not name.strip():
        raise ScheduleError("A time zone is required (an IANA name such as Europe/Berlin).", field="time_zone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"Unknown time zone {name!r}.", field="time_zone") from None


def exists(local: datetime, tz: ZoneInfo) -> bool:
    """Whether the naive wall-clock time ``local`` happens in ``tz`` (False inside a spring-forward gap)."""
    naive = local.replace(fold=0)
    return _offset(naive.replace(tzinfo=tz)) >= _offset(naive.replace(tzinfo=tz, fold=1))


def _offset(moment: datetime) -> timedelta:
    """The UTC offset of an aware time (a ZoneInfo always has one)."""
    offset = moment.utcoffset()
    if offset is None:
        raise TypeError(f"{moment!r} has no UTC offset")
    return offset


@lru_cache(maxsize=65536)
def _day_offset(tz: ZoneInfo, day: date) -> timedelta | None:
    """The one UTC offset of every wall-clock time of the local ``day``, or None on a day the clocks change
    (checked at both ends and at noon, both folds: a change anywhere in the day shows at one of them)."""
    start = datetime.combine(day, time.min)
    probes = (start, start + timedelta(hours=12), datetime.combine(day, time.max))
    offsets = {p.replace(tzinfo=tz, fold=f).utcoffset() for p in probes for f in (0, 1)}
    return offsets.pop() if len(offsets) == 1 else None


def local_to_utc(local: datetime, tz: ZoneInfo) -> datetime:
    """The aware UTC instant of the naive wall-clock time ``local`` in ``tz`` (rules in the module doc)."""
    offset = _day_offset(tz, local.date())
    if offset is not None:  # the common case: no clock change that day
        return (local - offset).replace(tzinfo=UTC, fold=0)
    naive = local.replace(fold=0)
    before = naive.replace(tzinfo=tz).utcoffset()
    after = naive.replace(tzinfo=tz, fold=1).utcoffset()
    assert before is not None and after is not None  # a ZoneInfo always has an offset
    if before >= after:  # an ordinary time, or the first of two (fold=0)
        return (naive - before).replace(tzinfo=UTC)
    return _gap_end(naive, tz, before, after)


@lru_cache(maxsize=1024)
def _gap_end(naive: datetime, tz: ZoneInfo, before: timedelta, after: timedelta) -> datetime:
    """The instant the clocks jumped over ``naive``. It lies in ``(naive - after, naive - before]``; offsets
    change on whole seconds, so a binary search over seconds finds it (13 steps for a one-hour jump)."""
    low = (naive - after).replace(microsecond=0)  # before the change: its offset is ``before``
    lo, hi = 0, int((after - before) / _SECOND) + 1
    while lo < hi:
        mid = (lo + hi) // 2
        instant = (low + mid * _SECOND).replace(tzinfo=UTC)
        if instant.astimezone(tz).utcoffset() == before:
            lo = mid + 1
        else:
            hi = mid
    return (low + lo * _SECOND).replace(tzinfo=UTC)


def to_local(instant: datetime, tz: ZoneInfo) -> datetime:
    """The naive wall-clock time of the aware ``instant`` in ``tz``."""
    return instant.astimezone(tz).replace(tzinfo=None)


def as_utc(instant: datetime, *, field: str) -> datetime:
    """``instant`` in UTC; a naive datetime is refused (ScheduleError naming ``field``)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ScheduleError(f"{field} must be a timezone-aware datetime.", field=field)
    return instant.astimezone(UTC)


def window_utc(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """``[start, end)`` in UTC; refuses (ScheduleError) naive datetimes, end before start, instants outside
    1900–2999 and windows longer than ``MAX_WINDOW``."""
    start, end = as_utc(start, field="start"), as_utc(end, field="end")
    if end < start:
        raise ScheduleError("end must not be before start.", field="end")
    for value, field in ((start, "start"), (end, "end")):
        if not EARLIEST <= value <= LATEST:
            raise ScheduleError(f"{field} must be between the years 1900 and 2999.", field=field)
    if end - start > MAX_WINDOW:
        raise ScheduleError(f"The window is longer than {MAX_WINDOW.days} days; ask for less.", field="end")
    return start, end
