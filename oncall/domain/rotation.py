"""One rotation layer: validation, its shifts over a window, and who it puts on call at one instant.

Handoff ``i`` of a layer is at ``start + i * every * unit``. For "days" and "weeks" that sum is done on the
LOCAL wall clock and then converted (``oncall.domain.localtime``), so a 09:00 handoff stays 09:00 across
clock changes and a shift over a change lasts 23/25 hours (167/169 for a week). For "hours" it is done on
absolute time from the first handoff's instant, as PagerDuty does.

Restrictions cut the shifts down to weekly local windows (intersection, not a shifted rotation).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

from oncall.domain.localtime import EARLIEST, LATEST, exists, local_to_utc, to_local, window_utc, zone
from oncall.domain.shifts import ROTATIONS, Layer, Restriction, ScheduleError, Shift

MAX_EVERY = 10_000
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)
_UNITS = {"hours": timedelta(hours=1), "days": _DAY, "weeks": _WEEK}

# (start, end, person) in UTC: the internal form of a layer's shifts (cheaper than Shift objects).
Segment = tuple[datetime, datetime, str]


@dataclass(frozen=True, slots=True)
class CompiledLayer:
    """A validated layer with its zone and instants worked out once."""

    layer: Layer
    tz: ZoneInfo
    start_utc: datetime
    end_utc: datetime | None
    step: timedelta  # absolute for "hours", local wall-clock for "days"/"weeks"
    absolute: bool
    # Per local weekday (0 = Monday): the windows starting that day, as (start time, end time, ends next day).
    windows: tuple[tuple[tuple[time, time, bool], ...], ...] | None

    def handoff(self, index: int) -> datetime:
        """The UTC instant of handoff ``index`` (non-decreasing in ``index``)."""
        if self.absolute:
            return self.start_utc + index * self.step
        return local_to_utc(self.layer.start + index * self.step, self.tz)

    def index_at(self, instant: datetime) -> int | None:
        """The shift containing the UTC ``instant`` (ignoring ``end`` and restrictions); None before start."""
        if instant < self.start_utc:
            return None
        if self.absolute:
            return (instant - self.start_utc) // self.step
        # A guess from the wall clock, corrected on the real instants (clock changes, repeated hours).
        index = max(0, (to_local(instant, self.tz) - self.layer.start) // self.step)
        while index > 0 and self.handoff(index) > instant:
            index -= 1
        while self.handoff(index + 1) <= instant:
            index += 1
        return index

    def person(self, index: int) -> str:
        participants = self.layer.participants
        return participants[index % len(participants)]


def _weekday_intervals(restrictions: tuple[Restriction, ...]) -> list[tuple[timedelta, timedelta, Restriction, int]]:
    """Each window as [start, end) from Monday 00:00 of a nominal week (a window past Sunday night wraps),
    with the restriction and weekday it came from (labels are only formatted for an error message)."""
    out = []
    for r in restrictions:
        start = timedelta(hours=r.start.hour, minutes=r.start.minute, seconds=r.start.second)
        span = timedelta(hours=r.end.hour, minutes=r.end.minute, seconds=r.end.second) - start
        if span <= timedelta(0):
            span += _DAY
        for day in r.weekdays:
            begin = day * _DAY + start
            if begin + span > _WEEK:
                out.append((begin, _WEEK, r, day))
                out.append((timedelta(0), begin + span - _WEEK, r, day))
            else:
                out.append((begin, begin + span, r, day))
    out.sort(key=lambda item: (item[0], item[1]))
    return out


def _label(r: Restriction, day: int) -> str:
    return f"{WEEKDAYS[day]} {r.start:%H:%M}–{r.end:%H:%M}"


def _check_restrictions(restrictions: tuple[Restriction, ...]) -> None:
    for r in restrictions:
        if not isinstance(r, Restriction):
            raise ScheduleError("Each restriction must be a Restriction.", field="restrictions")
        if not r.weekdays:
            raise ScheduleError("A restriction needs at least one weekday.", field="restrictions")
        for day in r.weekdays:
            if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
                raise ScheduleError(f"Weekday {day!r} is not 0 (Monday) to 6 (Sunday).", field="restrictions")
        if len(set(r.weekdays)) != len(r.weekdays):
            raise ScheduleError("A restriction lists a weekday twice.", field="restrictions")
        for value in (r.start, r.end):
            if not isinstance(value, time) or value.tzinfo is not None:
                raise ScheduleError("Restriction times must be naive local times of day.", field="restrictions")
        if r.start == r.end:
            raise ScheduleError(
                f"A restriction from {r.start:%H:%M} to {r.end:%H:%M} is empty (start equals end).",
                field="restrictions",
            )
    intervals = _weekday_intervals(restrictions)
    for (_, prev_end, prev_r, prev_day), (begin, _, r, day) in pairwise(intervals):
        if begin < prev_end:
            message = f"Restriction windows overlap: {_label(prev_r, prev_day)} and {_label(r, day)}."
            raise ScheduleError(message, field="restrictions")


def _fmt(local: datetime) -> str:
    return local.isoformat(sep=" ", timespec="minutes" if not local.second and not local.microsecond else "auto")


def _compile(layer: Layer, time_zone: str) -> CompiledLayer:
    tz = zone(time_zone)
    if not isinstance(layer.participants, tuple) or not layer.participants:
        raise ScheduleError("A layer needs at least one participant.", field="participants")
    if any(not isinstance(p, str) or not p for p in layer.participants):
        raise ScheduleError("Participants must be non-empty person keys.", field="participants")
    if layer.rotation not in ROTATIONS:
        raise ScheduleError(
            f"Rotation must be one of {', '.join(ROTATIONS)} (got {layer.rotation!r}).", field="rotation"
        )
    every = layer.every
    if isinstance(every, bool) or not isinstance(every, int) or not 1 <= every <= MAX_EVERY:
        raise ScheduleError(f"every must be a whole number from 1 to {MAX_EVERY} (got {every!r}).", field="every")
    if not isinstance(layer.start, datetime) or layer.start.tzinfo is not None:
        raise ScheduleError("start must be a naive local wall-clock datetime in the schedule's zone.", field="start")
    if not EARLIEST.replace(tzinfo=None) <= layer.start <= LATEST.replace(tzinfo=None):
        raise ScheduleError("start must be between the years 1900 and 2999.", field="start")
    if not exists(layer.start, tz):
        raise ScheduleError(f"{_fmt(layer.start)} does not exist in {time_zone} (clocks change).", field="start")
    end_utc = None
    if layer.end is not None:
        if not isinstance(layer.end, datetime) or layer.end.tzinfo is not None:
            raise ScheduleError("end must be a naive local wall-clock datetime in the schedule's zone.", field="end")
        if layer.end <= layer.start:
            raise ScheduleError("end must be after start.", field="end")
        if layer.end > LATEST.replace(tzinfo=None):
            raise ScheduleError("end must be before the year 3000.", field="end")
        end_utc = local_to_utc(layer.end, tz)
    windows = None
    if layer.restrictions:
        if not isinstance(layer.restrictions, tuple):
            raise ScheduleError("Restrictions must be a tuple of Restriction.", field="restrictions")
        _check_restrictions(layer.restrictions)
        per_day: list[list[tuple[time, time, bool]]] = [[] for _ in range(7)]
        for r in layer.restrictions:
            for day in r.weekdays:
                per_day[day].append((r.start, r.end, r.end <= r.start))
        windows = tuple(tuple(sorted(day)) for day in per_day)
    compiled = CompiledLayer(
        layer=layer,
        tz=tz,
        start_utc=local_to_utc(layer.start, tz),
        end_utc=end_utc,
        step=every * _UNITS[layer.rotation],
        absolute=layer.rotation == "hours",
        windows=windows,
    )
    # Over two weeks every window occurs at least once outside a clock change; only shorter layers can be empty.
    short = end_utc is not None and end_utc - compiled.start_utc <= 2 * _WEEK
    if (
        windows is not None
        and end_utc is not None
        and short
        and not restriction_windows(compiled, compiled.start_utc, end_utc)
    ):
        raise ScheduleError("The restrictions leave nothing between the layer's start and end.", field="restrictions")
    return compiled


_compile_cached = lru_cache(maxsize=4096)(_compile)


def compile_layer(layer: Layer, time_zone: str) -> CompiledLayer:
    """The validated, compiled ``layer`` (cached: layers are frozen); raises ScheduleError."""
    try:
        hash((layer, time_zone))
    except TypeError:  # a list where a tuple belongs: still validated, just not cached
        return _compile(layer, time_zone)
    return _compile_cached(layer, time_zone)


def validate_layer(*, layer: Layer, time_zone: str) -> None:
    """Raise ScheduleError naming the field ("time_zone", "participants", "rotation", "every", "start",
    "end", "restrictions") if ``layer`` cannot be computed in ``time_zone``."""
    compile_layer(layer, time_zone)


def restriction_windows(compiled: CompiledLayer, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The layer's restriction windows in UTC, clipped to ``[start, end)``, sorted and disjoint."""
    assert compiled.windows is not None
    tz = compiled.tz
    out: list[tuple[datetime, datetime]] = []
    day = to_local(start, tz).date() - _DAY  # a window from yesterday may still be open
    last = to_local(end, tz).date() + _DAY
    while day <= last:
        for begin, finish, next_day in compiled.windows[day.weekday()]:
            w_start = local_to_utc(datetime.combine(day, begin), tz)
            w_end = local_to_utc(datetime.combine(day + _DAY if next_day else day, finish), tz)
            w_start, w_end = max(w_start, start), min(w_end, end)
            if w_start < w_end:
                out.append((w_start, w_end))
        day += _DAY
    return out


def in_windows(compiled: CompiledLayer, instant: datetime) -> bool:
    """Whether the UTC ``instant`` is inside one of the layer's restriction windows."""
    assert compiled.windows is not None
    tz = compiled.tz
    today = to_local(instant, tz).date()
    # Yesterday's window may run past midnight; tomorrow's matters only where clocks go back over midnight.
    for day in (today - _DAY, today, today + _DAY):
        for begin, finish, next_day in compiled.windows[day.weekday()]:
            w_start = local_to_utc(datetime.combine(day, begin), tz)
            if w_start <= instant < local_to_utc(datetime.combine(day + _DAY if next_day else day, finish), tz):
                return True
    return False


def _intersect(segments: list[Segment], windows: list[tuple[datetime, datetime]]) -> list[Segment]:
    """Both inputs sorted and disjoint: the parts of the segments inside the windows."""
    out: list[Segment] = []
    starts = [w[0] for w in windows]
    for s, e, person in segments:
        k = max(0, bisect_right(starts, s) - 1)
        while k < len(windows) and windows[k][0] < e:
            a, b = max(s, windows[k][0]), min(e, windows[k][1])
            if a < b:
                out.append((a, b, person))
            k += 1
    return out


def segments(compiled: CompiledLayer, start: datetime, end: datetime) -> list[Segment]:
    """The layer's shifts clipped to ``[start, end)`` (UTC) and to its restrictions, sorted and disjoint."""
    if compiled.end_utc is not None:
        end = min(end, compiled.end_utc)
    start = max(start, compiled.start_utc)
    if end <= start:
        return []
    index = compiled.index_at(start)
    assert index is not None
    out: list[Segment] = []
    begin = compiled.handoff(index)
    while begin < end:
        finish = compiled.handoff(index + 1)
        s, e = max(begin, start), min(finish, end)
        if s < e:
            out.append((s, e, compiled.person(index)))
        begin, index = finish, index + 1
    if compiled.windows is not None and out:
        out = _intersect(out, restriction_windows(compiled, start, end))
    return out


def person_at(compiled: CompiledLayer, instant: datetime) -> str | None:
    """Who the layer puts on call at the UTC ``instant``, or None (before start, after end, outside windows)."""
    if compiled.end_utc is not None and instant >= compiled.end_utc:
        return None
    index = compiled.index_at(instant)
    if index is None:
        return None
    if compiled.windows is not None and not in_windows(compiled, instant):
        return None
    return compiled.person(index)


def layer_shifts(*, layer: Layer, time_zone: str, start: datetime, end: datetime) -> list[Shift]:
    """The layer's own shifts (one per rotation shift, not merged) clipped to ``[start, end)`` and to its
    restrictions, in UTC. Raises ScheduleError for an invalid layer or naive ``start``/``end``."""
    compiled = compile_layer(layer, time_zone)
    segs = segments(compiled, *window_utc(start, end))
    return [Shift(start=s, end=e, people=(person,), source=layer.key) for s, e, person in segs]
