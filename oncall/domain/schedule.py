"""The final schedule: layers by level, then swaps, then overrides, then the fallback.

At each instant:

1. Layers: the highest ``level`` among the layers covering the instant wins; a restricted higher layer lets
   lower ones show through outside its windows. Several layers of that level → everyone they name is on
   call (source: their keys joined with "+", sorted) and, if they name different people, an overlap.
2. Swaps: each person the layers put on call who is the ``from_person`` of a swap covering the instant is
   replaced by its ``to_person`` (by all of them if swaps for that person overlap; swaps do not chain).
   The source becomes the swap's key (keys joined with "+").
3. Overrides replace everything; two overlapping overrides naming different people → union + overlap.
4. Nobody on call → a gap; with a ``fallback`` the gap is still reported and a "fallback" shift covers it.

An overlap is reported only where it decides who is on call (not under an override or a higher layer).
Overrides and swaps whose end is not after their start cover nothing. All datetimes returned are UTC.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from oncall.domain.localtime import EARLIEST, LATEST, MAX_WINDOW, as_utc, window_utc, zone
from oncall.domain.rotation import compile_layer, layer_shifts, person_at, segments, validate_layer
from oncall.domain.shifts import (
    FinalSchedule,
    FixedLayer,
    Interval,
    Layer,
    Override,
    Restriction,
    ScheduleError,
    Shift,
    Swap,
)

__all__ = [
    "FinalSchedule",
    "FixedLayer",
    "Interval",
    "Layer",
    "Override",
    "Restriction",
    "ScheduleError",
    "Shift",
    "Swap",
    "final_schedule",
    "layer_shifts",
    "next_shift_after",
    "on_call_at",
    "validate_layer",
]

FALLBACK = "fallback"
People = tuple[str, ...]
# (level, people, key): what one layer says at an instant.
LayerClaim = tuple[int, People, str]
_V = TypeVar("_V")


def _edge(table: dict[int, _V], item: int, value: _V, delta: int) -> None:
    """An item's start (``delta`` > 0) adds it to the table of what is active, its end removes it."""
    if delta > 0:
        table[item] = value
    else:
        table.pop(item, None)


def _resolve(
    claims: Iterable[LayerClaim], swaps: Sequence[Swap], overrides: Sequence[Override]
) -> tuple[People, str, bool]:
    """(people, source, overlap) at one instant from what covers it. The one rule both the sweep of
    ``final_schedule`` and ``on_call_at`` use, so they cannot disagree."""
    if overrides:
        persons = sorted({o.person for o in overrides})
        return tuple(persons), "+".join(sorted({o.key for o in overrides})), len(persons) > 1
    top = 0
    winning: list[tuple[People, str]] = []
    for level, people, key in claims:
        if not winning or level > top:
            top, winning = level, [(people, key)]
        elif level == top:
            winning.append((people, key))
    if not winning:
        return (), "", False
    if len(winning) == 1 and not swaps:  # the common case, kept cheap for the sweep
        return winning[0][0], winning[0][1], False
    distinct = {people for people, _ in winning}
    on_call = {person for people in distinct for person in people}
    source = "+".join(sorted({key for _, key in winning}))
    applied = [s for s in swaps if s.from_person in on_call]
    if applied:
        on_call = (on_call - {s.from_person for s in applied}) | {s.to_person for s in applied}
        source = "+".join(sorted({s.key for s in applied}))
    return tuple(sorted(on_call)), source, len(distinct) > 1


def _covering(start: datetime, end: datetime, item_start: datetime, item_end: datetime) -> bool:
    return item_start < end and item_end > start and item_start < item_end


def _covers(item: Override | Swap, at: datetime) -> bool:
    return as_utc(item.start, field="start") <= at < as_utc(item.end, field="end")


def _fixed_segments(layer: FixedLayer, start: datetime, end: datetime) -> list[tuple[datetime, datetime, People]]:
    """A fixed layer's shifts clipped to ``[start, end)`` as disjoint segments; overlapping shifts add up."""
    events: list[tuple[datetime, int, People]] = []
    for shift in layer.shifts:
        s = max(as_utc(shift.start, field="shifts"), start)
        e = min(as_utc(shift.end, field="shifts"), end)
        if s < e and shift.people:
            events.append((s, 1, shift.people))
            events.append((e, -1, shift.people))
    events.sort(key=lambda ev: ev[0])
    out: list[tuple[datetime, datetime, People]] = []
    counts: Counter[str] = Counter()
    for i, (at, delta, people) in enumerate(events):
        for person in people:
            counts[person] += delta
        if i + 1 < len(events) and events[i + 1][0] > at:
            on_call = tuple(sorted(p for p, n in counts.items() if n > 0))
            if on_call:
                nxt = events[i + 1][0]
                if out and out[-1][1] == at and out[-1][2] == on_call:
                    out[-1] = (out[-1][0], nxt, on_call)
                else:
                    out.append((at, nxt, on_call))
    return out


def _check_layers(layers: Sequence[Layer | FixedLayer], time_zone: str) -> None:
    zone(time_zone)
    for layer in layers:
        if not isinstance(layer, Layer | FixedLayer):
            raise ScheduleError(f"Not a layer: {type(layer).__name__}.", field="layers")


def _append_interval(target: list[Interval], start: datetime, end: datetime) -> None:
    if target and target[-1].end == start:
        target[-1] = Interval(start=target[-1].start, end=end)
    else:
        target.append(Interval(start=start, end=end))


def final_schedule(
    *,
    time_zone: str,
    layers: Sequence[Layer | FixedLayer],
    overrides: Sequence[Override] = (),
    swaps: Sequence[Swap] = (),
    start: datetime,
    end: datetime,
    fallback: str | None = None,
) -> FinalSchedule:
    """Who is on call over ``[start, end)`` (aware, any zone) with the rules in the module doc. Raises
    ScheduleError for an invalid layer (naming its field), a naive datetime or ``end`` before ``start``."""
    _check_layers(layers, time_zone)
    start, end = window_utc(start, end)

    # Everything becomes items with a start and an end; a sweep over their edges does the rest.
    claims: list[LayerClaim | None] = []  # by item id; None for overrides and swaps
    kinds: list[Override | Swap | None] = []
    events: list[tuple[datetime, int, int]] = []  # (instant, +1 start / -1 end, item id)

    def add(s: datetime, e: datetime, claim: LayerClaim | None, other: Override | Swap | None) -> None:
        item = len(claims)
        claims.append(claim)
        kinds.append(other)
        events.append((s, 1, item))
        events.append((e, -1, item))

    for layer in layers:
        if isinstance(layer, Layer):
            for s, e, person in segments(compile_layer(layer, time_zone), start, end):
                add(s, e, (layer.level, (person,), layer.key), None)
        else:
            for s, e, people in _fixed_segments(layer, start, end):
                add(s, e, (layer.level, people, layer.key), None)
    moves: tuple[Override | Swap, ...] = (*overrides, *swaps)
    for move in moves:
        s, e = as_utc(move.start, field="start"), as_utc(move.end, field="end")
        if _covering(start, end, s, e):
            add(max(s, start), min(e, end), None, move)
    events.sort(key=lambda ev: ev[0])

    pieces: list[list[Any]] = []  # [start, end, people, source], merged in place before becoming Shifts
    gaps: list[Interval] = []
    overlaps: list[Interval] = []
    active_claims: dict[int, LayerClaim] = {}
    active_swaps: dict[int, Swap] = {}
    active_overrides: dict[int, Override] = {}
    cursor, i, n = start, 0, len(events)
    while cursor < end:
        while i < n and events[i][0] <= cursor:
            _, delta, item = events[i]
            claim, other = claims[item], kinds[item]
            if claim is not None:
                _edge(active_claims, item, claim, delta)
            elif isinstance(other, Override):
                _edge(active_overrides, item, other, delta)
            elif other is not None:
                _edge(active_swaps, item, other, delta)
            i += 1
        nxt = events[i][0] if i < n and events[i][0] < end else end
        people, source, overlap = _resolve(
            active_claims.values(),
            list(active_swaps.values()) if active_swaps else (),
            list(active_overrides.values()) if active_overrides else (),
        )
        if overlap:
            _append_interval(overlaps, cursor, nxt)
        if not people:
            _append_interval(gaps, cursor, nxt)
            if fallback:
                people, source = (fallback,), FALLBACK
        if people:
            last = pieces[-1] if pieces else None
            if last is not None and last[1] == cursor and last[2] == people and last[3] == source:
                last[1] = nxt
            else:
                pieces.append([cursor, nxt, people, source])
        cursor = nxt
    shifts = tuple(Shift(start=s, end=e, people=people, source=source) for s, e, people, source in pieces)
    return FinalSchedule(shifts=shifts, gaps=tuple(gaps), overlaps=tuple(overlaps))


def on_call_at(
    *,
    time_zone: str,
    layers: Sequence[Layer | FixedLayer],
    overrides: Sequence[Override] = (),
    swaps: Sequence[Swap] = (),
    at: datetime,
    fallback: str | None = None,
) -> tuple[str, ...]:
    """Who is on call at the instant ``at`` (sorted; the fallback in a gap; () if nobody). Each layer answers
    from its shift index at ``at`` without listing its shifts; agrees with ``final_schedule``."""
    _check_layers(layers, time_zone)
    at = as_utc(at, field="at")
    if not EARLIEST <= at <= LATEST:
        raise ScheduleError("at must be between the years 1900 and 2999.", field="at")
    claims: list[LayerClaim] = []
    for layer in layers:
        if isinstance(layer, Layer):
            person = person_at(compile_layer(layer, time_zone), at)
            if person is not None:
                claims.append((layer.level, (person,), layer.key))
        else:
            covering = {
                p
                for shift in layer.shifts
                if as_utc(shift.start, field="shifts") <= at < as_utc(shift.end, field="shifts")
                for p in shift.people
            }
            if covering:
                claims.append((layer.level, tuple(sorted(covering)), layer.key))
    active_swaps = [s for s in swaps if _covers(s, at)]
    active_overrides = [o for o in overrides if _covers(o, at)]
    people, _, _ = _resolve(claims, active_swaps, active_overrides)
    if not people and fallback:
        return (fallback,)
    return people


def next_shift_after(
    *,
    time_zone: str,
    layers: Sequence[Layer | FixedLayer],
    overrides: Sequence[Override] = (),
    swaps: Sequence[Swap] = (),
    at: datetime,
    horizon: timedelta = timedelta(days=30),
    fallback: str | None = None,
) -> Shift | None:
    """The first final shift that starts after ``at`` with other people than are on call at ``at`` ("on
    call next"), looking no further than ``at + horizon``; None if there is none. Its end is clipped to the
    horizon."""
    if not timedelta(0) < horizon <= MAX_WINDOW:
        raise ScheduleError(f"horizon must be positive and at most {MAX_WINDOW.days} days.", field="horizon")
    if not EARLIEST <= as_utc(at, field="at") <= LATEST:
        raise ScheduleError("at must be between the years 1900 and 2999.", field="at")
    final = final_schedule(
        time_zone=time_zone,
        layers=layers,
        overrides=overrides,
        swaps=swaps,
        start=at,
        end=at + horizon,
        fallback=fallback,
    )
    at = as_utc(at, field="at")
    current = final.shifts[0].people if final.shifts and final.shifts[0].start <= at else ()
    for shift in final.shifts:
        if shift.start > at and shift.people != current:
            return shift
    return None
