"""Schedule computation (oncall.domain.schedule): rotations, clock changes, restrictions, levels, overrides,
swaps, gaps. No database: every instant here is a literal."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from oncall.domain.schedule import (
    FixedLayer,
    Interval,
    Layer,
    Override,
    Restriction,
    ScheduleError,
    Shift,
    Swap,
    final_schedule,
    layer_shifts,
    next_shift_after,
    on_call_at,
    validate_layer,
)

WEEKDAYS = (0, 1, 2, 3, 4)


def u(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make_layer(**fields: object) -> Layer:
    defaults: dict[str, object] = {
        "key": "l",
        "level": 0,
        "participants": ("alice", "bob"),
        "rotation": "weeks",
        "every": 1,
        "start": datetime(2026, 1, 5, 0, 0),  # a Monday
    }
    return Layer(**(defaults | fields))  # type: ignore[arg-type]


def triples(shifts: list[Shift] | tuple[Shift, ...]) -> list[tuple[datetime, datetime, str]]:
    return [(s.start, s.end, ",".join(s.people)) for s in shifts]


def quads(shifts: tuple[Shift, ...]) -> list[tuple[datetime, datetime, str, str]]:
    return [(s.start, s.end, ",".join(s.people), s.source) for s in shifts]


# --- rotations -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rotation", "every", "start", "window", "expected"),
    [
        pytest.param(
            "hours",
            8,
            datetime(2026, 1, 1, 0, 0),
            (u(2026, 1, 1), u(2026, 1, 2)),
            [(u(2026, 1, 1, 0), u(2026, 1, 1, 8), "a"), (u(2026, 1, 1, 8), u(2026, 1, 1, 16), "b"),
             (u(2026, 1, 1, 16), u(2026, 1, 2, 0), "c")],
            id="hours",
        ),
        pytest.param(
            "days",
            2,
            datetime(2026, 1, 1, 9, 0),
            (u(2026, 1, 1), u(2026, 1, 6)),
            [(u(2026, 1, 1, 9), u(2026, 1, 3, 9), "a"), (u(2026, 1, 3, 9), u(2026, 1, 5, 9), "b"),
             (u(2026, 1, 5, 9), u(2026, 1, 6), "c")],
            id="days-every-2",
        ),
        pytest.param(
            "weeks",
            1,
            datetime(2026, 1, 5, 9, 0),
            (u(2026, 1, 10), u(2026, 1, 27)),
            [(u(2026, 1, 10), u(2026, 1, 12, 9), "a"), (u(2026, 1, 12, 9), u(2026, 1, 19, 9), "b"),
             (u(2026, 1, 19, 9), u(2026, 1, 26, 9), "c"), (u(2026, 1, 26, 9), u(2026, 1, 27), "a")],
            id="weeks-clipped-both-ends",
        ),
        pytest.param(
            "hours",
            5,
            datetime(2026, 1, 1, 0, 0),
            (u(2026, 1, 3, 10), u(2026, 1, 3, 20)),  # hour 58 is in shift 11 (55–60): 11 % 3 = 2
            [(u(2026, 1, 3, 10), u(2026, 1, 3, 12), "c"), (u(2026, 1, 3, 12), u(2026, 1, 3, 17), "a"),
             (u(2026, 1, 3, 17), u(2026, 1, 3, 20), "b")],
            id="hours-jumps-to-index",
        ),
    ],
)  # fmt: skip
def test_rotation_units(rotation, every, start, window, expected):
    layer = make_layer(participants=("a", "b", "c"), rotation=rotation, every=every, start=start)
    shifts = layer_shifts(layer=layer, time_zone="UTC", start=window[0], end=window[1])
    assert triples(shifts) == expected
    assert all(s.source == "l" for s in shifts)


def test_no_shift_before_start_nor_after_end():
    layer = make_layer(rotation="days", start=datetime(2026, 1, 5, 9, 0), end=datetime(2026, 1, 7, 12, 0))
    shifts = layer_shifts(layer=layer, time_zone="UTC", start=u(2026, 1, 1), end=u(2026, 2, 1))
    assert triples(shifts) == [
        (u(2026, 1, 5, 9), u(2026, 1, 6, 9), "alice"),
        (u(2026, 1, 6, 9), u(2026, 1, 7, 9), "bob"),
        (u(2026, 1, 7, 9), u(2026, 1, 7, 12), "alice"),
    ]


# --- clock changes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "start", "first", "second", "hours"),
    [
        ("Europe/Berlin", datetime(2026, 3, 23, 9, 0), u(2026, 3, 23, 8), u(2026, 3, 30, 7), 167),
        ("Europe/Berlin", datetime(2026, 10, 19, 9, 0), u(2026, 10, 19, 7), u(2026, 10, 26, 8), 169),
        ("America/New_York", datetime(2026, 3, 2, 9, 0), u(2026, 3, 2, 14), u(2026, 3, 9, 13), 167),
        ("America/New_York", datetime(2026, 10, 26, 9, 0), u(2026, 10, 26, 13), u(2026, 11, 2, 14), 169),
    ],
)
def test_weekly_handoff_stays_at_local_nine_across_clock_changes(zone, start, first, second, hours):
    layer = make_layer(rotation="weeks", start=start)
    shifts = layer_shifts(layer=layer, time_zone=zone, start=first, end=second + timedelta(days=21))
    assert shifts[0].start == first
    assert shifts[0].end == second == shifts[1].start
    assert shifts[0].end - shifts[0].start == timedelta(hours=hours)
    for shift in shifts:
        assert shift.start.astimezone(ZoneInfo(zone)).time() == time(9, 0)
    assert [s.people for s in shifts] == [("alice",), ("bob",), ("alice",), ("bob",)]


@pytest.mark.parametrize(
    ("zone", "start", "window", "handoffs"),
    [
        # daily 09:00 over the EU spring change: 23 hours on Saturday→Sunday
        ("Europe/Berlin", datetime(2026, 3, 27, 9, 0), (u(2026, 3, 27), u(2026, 3, 31)),
         [u(2026, 3, 27, 8), u(2026, 3, 28, 8), u(2026, 3, 29, 7), u(2026, 3, 30, 7)]),
        # daily 02:30 handoff: on the spring-forward day 02:30 does not exist → 03:00 CEST (01:00Z)
        ("Europe/Berlin", datetime(2026, 3, 27, 2, 30), (u(2026, 3, 27), u(2026, 3, 31)),
         [u(2026, 3, 27, 1, 30), u(2026, 3, 28, 1, 30), u(2026, 3, 29, 1), u(2026, 3, 30, 0, 30)]),
        # on the fall-back day 02:30 happens twice: the first one (02:30 CEST = 00:30Z)
        ("Europe/Berlin", datetime(2026, 10, 24, 2, 30), (u(2026, 10, 24), u(2026, 10, 27)),
         [u(2026, 10, 24, 0, 30), u(2026, 10, 25, 0, 30), u(2026, 10, 26, 1, 30)]),
        # US: 02:30 on 2026-03-08 does not exist → 03:00 EDT (07:00Z)
        ("America/New_York", datetime(2026, 3, 7, 2, 30), (u(2026, 3, 7), u(2026, 3, 10)),
         [u(2026, 3, 7, 7, 30), u(2026, 3, 8, 7), u(2026, 3, 9, 6, 30)]),
        # US fall back: 01:30 happens twice, the first (EDT, 05:30Z) is the handoff
        ("America/New_York", datetime(2026, 10, 31, 1, 30), (u(2026, 10, 31), u(2026, 11, 3)),
         [u(2026, 10, 31, 5, 30), u(2026, 11, 1, 5, 30), u(2026, 11, 2, 6, 30)]),
    ],
)  # fmt: skip
def test_daily_handoffs_around_clock_changes(zone, start, window, handoffs):
    layer = make_layer(rotation="days", start=start)
    shifts = layer_shifts(layer=layer, time_zone=zone, start=window[0], end=window[1])
    assert [s.start for s in shifts if s.start != window[0]] == handoffs


def test_hours_rotation_is_absolute_time_across_a_clock_change():
    # 12-hour shifts from Saturday 21:00 CET (20:00Z): handoffs drift to 10:00/22:00 CEST after the change
    layer = make_layer(rotation="hours", every=12, start=datetime(2026, 3, 28, 21, 0))
    shifts = layer_shifts(layer=layer, time_zone="Europe/Berlin", start=u(2026, 3, 28), end=u(2026, 3, 30))
    assert [s.start for s in shifts] == [u(2026, 3, 28, 20), u(2026, 3, 29, 8), u(2026, 3, 29, 20)]
    assert all(s.end - s.start == timedelta(hours=12) for s in shifts[:-1])
    assert shifts[1].start.astimezone(ZoneInfo("Europe/Berlin")).hour == 10


# --- restrictions ----------------------------------------------------------------------------------------


def test_business_hours_follow_local_time_across_the_change():
    layer = make_layer(
        participants=("a", "b", "c"),
        rotation="days",
        start=datetime(2026, 3, 23, 9, 0),
        restrictions=(Restriction(weekdays=WEEKDAYS, start=time(9), end=time(17)),),
    )
    shifts = layer_shifts(layer=layer, time_zone="Europe/Berlin", start=u(2026, 3, 27), end=u(2026, 4, 1))
    assert triples(shifts) == [
        (u(2026, 3, 27, 8), u(2026, 3, 27, 16), "b"),  # Friday, CET
        (u(2026, 3, 30, 7), u(2026, 3, 30, 15), "b"),  # Monday, CEST
        (u(2026, 3, 31, 7), u(2026, 3, 31, 15), "c"),
    ]


def test_nights_window_runs_past_midnight_and_splits_at_a_handoff():
    layer = make_layer(
        rotation="days",
        start=datetime(2026, 1, 5, 0, 0),
        restrictions=(Restriction(weekdays=WEEKDAYS, start=time(18), end=time(8)),),
    )
    shifts = layer_shifts(layer=layer, time_zone="Europe/Berlin", start=u(2026, 1, 5), end=u(2026, 1, 8))
    assert triples(shifts) == [
        (u(2026, 1, 5, 17), u(2026, 1, 5, 23), "alice"),  # Monday 18:00–24:00 CET
        (u(2026, 1, 5, 23), u(2026, 1, 6, 7), "bob"),  # Tuesday 00:00–08:00 (Tuesday's shift)
        (u(2026, 1, 6, 17), u(2026, 1, 6, 23), "bob"),
        (u(2026, 1, 6, 23), u(2026, 1, 7, 7), "alice"),
        (u(2026, 1, 7, 17), u(2026, 1, 7, 23), "alice"),
        (u(2026, 1, 7, 23), u(2026, 1, 8, 0), "bob"),
    ]


@pytest.mark.parametrize(
    ("saturday", "expected"),
    [
        (datetime(2026, 3, 28, 0, 0), (u(2026, 3, 28, 21), u(2026, 3, 29, 4))),  # 7 hours: clocks go forward
        (datetime(2026, 10, 24, 0, 0), (u(2026, 10, 24, 20), u(2026, 10, 25, 5))),  # 9 hours: clocks go back
    ],
)
def test_night_window_across_a_clock_change(saturday, expected):
    layer = make_layer(
        participants=("n",),
        start=saturday,
        restrictions=(Restriction(weekdays=(5,), start=time(22), end=time(6)),),
    )
    start = saturday.replace(tzinfo=UTC)
    shifts = layer_shifts(layer=layer, time_zone="Europe/Berlin", start=start, end=start + timedelta(days=2))
    assert [(s.start, s.end) for s in shifts] == [expected]


# --- validation -------------------------------------------------------------------------------------------

MON_9_17 = Restriction(weekdays=(0,), start=time(9), end=time(17))


@pytest.mark.parametrize(
    ("fields", "zone", "field", "fragment"),
    [
        ({"participants": ()}, "UTC", "participants", "at least one participant"),
        ({"participants": ("a", "")}, "UTC", "participants", "non-empty"),
        ({"every": 0}, "UTC", "every", "1 to 10000"),
        ({"every": 10_001}, "UTC", "every", "1 to 10000"),
        ({"rotation": "months"}, "UTC", "rotation", "'months'"),
        ({}, "Mars/Olympus_Mons", "time_zone", "Unknown time zone"),
        ({}, "", "time_zone", "required"),
        ({"start": datetime(2026, 3, 29, 2, 30)}, "Europe/Berlin", "start",
         "2026-03-29 02:30 does not exist in Europe/Berlin (clocks change)"),
        ({"start": datetime(2026, 3, 8, 2, 0)}, "America/New_York", "start", "does not exist"),
        ({"start": u(2026, 1, 5)}, "UTC", "start", "naive"),
        ({"start": datetime(1850, 1, 7)}, "UTC", "start", "1900"),
        ({"end": datetime(3001, 1, 1)}, "UTC", "end", "3000"),
        ({"end": datetime(2026, 1, 5, 0, 0)}, "UTC", "end", "after start"),
        ({"end": datetime(2026, 1, 4)}, "UTC", "end", "after start"),
        ({"restrictions": (Restriction(weekdays=(), start=time(9), end=time(17)),)}, "UTC", "restrictions",
         "at least one weekday"),
        ({"restrictions": (Restriction(weekdays=(7,), start=time(9), end=time(17)),)}, "UTC", "restrictions",
         "Weekday 7"),
        ({"restrictions": (Restriction(weekdays=(-1,), start=time(9), end=time(17)),)}, "UTC", "restrictions",
         "Weekday -1"),
        ({"restrictions": (Restriction(weekdays=(1,), start=time(9), end=time(9)),)}, "UTC", "restrictions",
         "empty"),
        ({"restrictions": (MON_9_17, Restriction(weekdays=(0,), start=time(12), end=time(18)))}, "UTC",
         "restrictions", "overlap: Monday 09:00–17:00 and Monday 12:00–18:00"),
        # Monday night runs into Tuesday morning
        ({"restrictions": (Restriction(weekdays=(0,), start=time(18), end=time(8)),
                           Restriction(weekdays=(1,), start=time(7), end=time(9)))}, "UTC", "restrictions", "overlap"),
        # Sunday night wraps round the week into Monday morning
        ({"restrictions": (Restriction(weekdays=(6,), start=time(22), end=time(6)),
                           Restriction(weekdays=(0,), start=time(5), end=time(7)))}, "UTC", "restrictions", "overlap"),
        ({"end": datetime(2026, 1, 5, 12, 0), "restrictions": (Restriction(weekdays=(1,), start=time(9),
                                                                           end=time(17)),)},
         "UTC", "restrictions", "leave nothing"),
    ],
)  # fmt: skip
def test_validation_names_the_field(fields, zone, field, fragment):
    with pytest.raises(ScheduleError) as caught:
        validate_layer(layer=make_layer(**fields), time_zone=zone)
    assert caught.value.field == field
    assert fragment in caught.value.message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    "fields",
    [
        {"restrictions": (MON_9_17, Restriction(weekdays=(0,), start=time(17), end=time(20)))},  # touching
        {"restrictions": (Restriction(weekdays=WEEKDAYS, start=time(18), end=time(8)),)},
        {"restrictions": (Restriction(weekdays=(6,), start=time(22), end=time(6)),
                          Restriction(weekdays=(0,), start=time(6), end=time(7)))},
        {"start": datetime(2026, 10, 25, 2, 30)},  # ambiguous, not missing: the first one
        {"every": 10_000, "rotation": "hours"},
    ],
)  # fmt: skip
def test_valid_layers_pass(fields):
    layer = make_layer(**fields)
    assert validate_layer(layer=layer, time_zone="Europe/Berlin") is None
    shifts = layer_shifts(layer=layer, time_zone="Europe/Berlin", start=u(2026, 1, 1), end=u(2027, 1, 1))
    assert shifts and {person for shift in shifts for person in shift.people} <= {"alice", "bob"}


@pytest.mark.parametrize(
    ("start", "end", "field", "fragment"),
    [
        (u(2026, 1, 1), u(2037, 1, 1), "end", "longer than 3660 days"),
        (u(1850, 1, 1), u(1850, 2, 1), "start", "1900"),
        (u(2026, 1, 2), u(2026, 1, 1), "end", "before start"),
        (datetime(2026, 1, 1), u(2026, 1, 2), "start", "timezone-aware"),
    ],
)
def test_bad_windows_are_refused(start, end, field, fragment):
    for call in (
        lambda: layer_shifts(layer=make_layer(rotation="hours"), time_zone="UTC", start=start, end=end),
        lambda: final_schedule(time_zone="UTC", layers=[make_layer()], start=start, end=end),
    ):
        with pytest.raises(ScheduleError) as caught:
            call()
        assert caught.value.field == field
        assert fragment in caught.value.message


# --- final schedule ---------------------------------------------------------------------------------------

BASE = make_layer(key="base", participants=("alice",))
DAYTIME = make_layer(
    key="day",
    level=1,
    participants=("bob",),
    restrictions=(Restriction(weekdays=WEEKDAYS, start=time(9), end=time(17)),),
)


MONDAY, TUESDAY = u(2026, 1, 5), u(2026, 1, 6)


def final(layers, *, start=MONDAY, end=TUESDAY, **kwargs):
    return final_schedule(time_zone="UTC", layers=layers, start=start, end=end, **kwargs)


def test_higher_level_wins_and_lower_shows_through_outside_its_windows():
    result = final([BASE, DAYTIME], start=u(2026, 1, 9, 12), end=u(2026, 1, 12, 12))
    assert quads(result.shifts) == [
        (u(2026, 1, 9, 12), u(2026, 1, 9, 17), "bob", "day"),
        (u(2026, 1, 9, 17), u(2026, 1, 12, 9), "alice", "base"),  # the weekend, merged
        (u(2026, 1, 12, 9), u(2026, 1, 12, 12), "bob", "day"),
    ]
    assert result.gaps == () and result.overlaps == ()


def test_same_level_overlap_is_a_union_and_a_warning():
    other = make_layer(
        key="other", participants=("bob",), restrictions=(Restriction(weekdays=(0,), start=time(10), end=time(12)),)
    )
    result = final([BASE, other])
    assert quads(result.shifts) == [
        (u(2026, 1, 5, 0), u(2026, 1, 5, 10), "alice", "base"),
        (u(2026, 1, 5, 10), u(2026, 1, 5, 12), "alice,bob", "base+other"),
        (u(2026, 1, 5, 12), u(2026, 1, 6), "alice", "base"),
    ]
    assert result.overlaps == (Interval(u(2026, 1, 5, 10), u(2026, 1, 5, 12)),)
    # a higher layer hides part of the conflict: only what decides who is on call is reported
    top = make_layer(
        key="top",
        level=2,
        participants=("carol",),
        restrictions=(Restriction(weekdays=(0,), start=time(11), end=time(13)),),
    )
    assert final([BASE, other, top]).overlaps == (Interval(u(2026, 1, 5, 10), u(2026, 1, 5, 11)),)


def test_same_person_on_two_same_level_layers_is_no_warning():
    twin = dataclasses.replace(BASE, key="twin")
    result = final([BASE, twin])
    assert quads(result.shifts) == [(u(2026, 1, 5), u(2026, 1, 6), "alice", "base+twin")]
    assert result.overlaps == ()


def test_overrides_replace_everything_and_overlapping_overrides_add_up():
    overrides = [
        Override(key="o1", person="dave", start=u(2026, 1, 5, 10), end=u(2026, 1, 5, 14)),
        Override(key="o2", person="erin", start=u(2026, 1, 5, 12), end=u(2026, 1, 5, 16)),
    ]
    result = final([BASE, DAYTIME], overrides=overrides)
    assert quads(result.shifts) == [
        (u(2026, 1, 5, 0), u(2026, 1, 5, 9), "alice", "base"),
        (u(2026, 1, 5, 9), u(2026, 1, 5, 10), "bob", "day"),
        (u(2026, 1, 5, 10), u(2026, 1, 5, 12), "dave", "o1"),
        (u(2026, 1, 5, 12), u(2026, 1, 5, 14), "dave,erin", "o1+o2"),
        (u(2026, 1, 5, 14), u(2026, 1, 5, 16), "erin", "o2"),
        (u(2026, 1, 5, 16), u(2026, 1, 5, 17), "bob", "day"),
        (u(2026, 1, 5, 17), u(2026, 1, 6), "alice", "base"),
    ]
    assert result.overlaps == (Interval(u(2026, 1, 5, 12), u(2026, 1, 5, 14)),)


def test_override_fills_a_gap():
    overrides = [Override(key="o", person="dave", start=u(2026, 1, 5, 6), end=u(2026, 1, 5, 10))]
    result = final([DAYTIME], overrides=overrides)
    assert quads(result.shifts) == [
        (u(2026, 1, 5, 6), u(2026, 1, 5, 10), "dave", "o"),  # it also beats bob from 09:00
        (u(2026, 1, 5, 10), u(2026, 1, 5, 17), "bob", "day"),
    ]
    assert result.gaps == (Interval(u(2026, 1, 5), u(2026, 1, 5, 6)), Interval(u(2026, 1, 5, 17), u(2026, 1, 6)))


def test_swaps_replace_the_from_person_only_where_the_layers_put_them():
    rota = make_layer(key="rota")  # alice this week, bob the next
    swaps = [
        Swap(key="s1", from_person="alice", to_person="carol", start=u(2026, 1, 6), end=u(2026, 1, 7)),
        Swap(key="s2", from_person="bob", to_person="dave", start=u(2026, 1, 6), end=u(2026, 1, 13)),
    ]
    overrides = [Override(key="o", person="erin", start=u(2026, 1, 6, 10), end=u(2026, 1, 6, 12))]
    result = final([rota], swaps=swaps, overrides=overrides, end=u(2026, 1, 14))
    assert quads(result.shifts) == [
        (u(2026, 1, 5), u(2026, 1, 6), "alice", "rota"),
        (u(2026, 1, 6), u(2026, 1, 6, 10), "carol", "s1"),
        (u(2026, 1, 6, 10), u(2026, 1, 6, 12), "erin", "o"),  # an override beats a swap
        (u(2026, 1, 6, 12), u(2026, 1, 7), "carol", "s1"),
        (u(2026, 1, 7), u(2026, 1, 12), "alice", "rota"),
        (u(2026, 1, 12), u(2026, 1, 13), "dave", "s2"),  # bob's week starts: s2 applies
        (u(2026, 1, 13), u(2026, 1, 14), "bob", "rota"),
    ]


def test_swap_inside_a_union():
    other = make_layer(
        key="other", participants=("bob",), restrictions=(Restriction(weekdays=(0,), start=time(10), end=time(12)),)
    )
    swaps = [Swap(key="s", from_person="alice", to_person="carol", start=u(2026, 1, 5, 11), end=u(2026, 1, 5, 13))]
    result = final([BASE, other], swaps=swaps)
    assert quads(result.shifts)[1:4] == [
        (u(2026, 1, 5, 10), u(2026, 1, 5, 11), "alice,bob", "base+other"),
        (u(2026, 1, 5, 11), u(2026, 1, 5, 12), "bob,carol", "s"),
        (u(2026, 1, 5, 12), u(2026, 1, 5, 13), "carol", "s"),
    ]


def test_gaps_and_fallback():
    plain = final([DAYTIME])
    assert quads(plain.shifts) == [(u(2026, 1, 5, 9), u(2026, 1, 5, 17), "bob", "day")]
    gaps = (Interval(u(2026, 1, 5), u(2026, 1, 5, 9)), Interval(u(2026, 1, 5, 17), u(2026, 1, 6)))
    assert plain.gaps == gaps
    covered = final([DAYTIME], fallback="zed")
    assert quads(covered.shifts) == [
        (u(2026, 1, 5), u(2026, 1, 5, 9), "zed", "fallback"),
        (u(2026, 1, 5, 9), u(2026, 1, 5, 17), "bob", "day"),
        (u(2026, 1, 5, 17), u(2026, 1, 6), "zed", "fallback"),
    ]
    assert covered.gaps == gaps
    assert final([]).gaps == (Interval(u(2026, 1, 5), u(2026, 1, 6)),)


def test_fixed_layer_overlaps_add_up_and_outrank_by_level():
    ical = FixedLayer(
        key="ical",
        level=1,
        shifts=(
            Shift(start=u(2026, 1, 5, 10), end=u(2026, 1, 5, 14), people=("erin",), source="ical"),
            Shift(start=u(2026, 1, 5, 12), end=u(2026, 1, 5, 16), people=("frank",), source="ical"),
        ),
    )
    result = final([BASE, ical])
    assert quads(result.shifts) == [
        (u(2026, 1, 5), u(2026, 1, 5, 10), "alice", "base"),
        (u(2026, 1, 5, 10), u(2026, 1, 5, 12), "erin", "ical"),
        (u(2026, 1, 5, 12), u(2026, 1, 5, 14), "erin,frank", "ical"),
        (u(2026, 1, 5, 14), u(2026, 1, 5, 16), "frank", "ical"),
        (u(2026, 1, 5, 16), u(2026, 1, 6), "alice", "base"),
    ]
    assert result.overlaps == ()  # two people in one calendar is what the calendar says, not a conflict


def test_inputs_in_any_zone_outputs_in_utc():
    berlin = ZoneInfo("Europe/Berlin")
    result = final_schedule(
        time_zone="Europe/Berlin",
        layers=[make_layer(start=datetime(2026, 3, 23, 9, 0))],
        overrides=[Override(key="o", person="x", start=datetime(2026, 3, 24, 10, tzinfo=berlin),
                            end=datetime(2026, 3, 24, 11, tzinfo=berlin))],
        start=datetime(2026, 3, 24, 0, 0, tzinfo=berlin),
        end=datetime(2026, 3, 25, 0, 0, tzinfo=berlin),
    )  # fmt: skip
    assert [(s.start, s.end) for s in result.shifts] == [
        (u(2026, 3, 23, 23), u(2026, 3, 24, 9)),
        (u(2026, 3, 24, 9), u(2026, 3, 24, 10)),
        (u(2026, 3, 24, 10), u(2026, 3, 24, 23)),
    ]
    assert all(s.start.tzinfo is UTC and s.end.tzinfo is UTC for s in result.shifts)


# --- one instant ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (u(2026, 1, 5, 8, 59), ("alice",)),
        (u(2026, 1, 5, 9), ("bob",)),  # a shift starts at its start
        (u(2026, 1, 5, 12), ("dave",)),  # override
        (u(2026, 1, 5, 13), ("bob",)),  # the override has ended
        (u(2026, 1, 5, 17), ("alice",)),
        (u(2026, 1, 12, 9, 30), ("carol",)),  # swap of bob's daytime on the next Monday
        (u(2026, 1, 4, 23), ("zed",)),  # before the layers start: fallback
    ],
)
def test_on_call_at(at, expected):
    kwargs = {
        "time_zone": "UTC",
        "layers": [BASE, DAYTIME],
        "overrides": [Override(key="o", person="dave", start=u(2026, 1, 5, 11), end=u(2026, 1, 5, 13))],
        "swaps": [Swap(key="s", from_person="bob", to_person="carol", start=u(2026, 1, 12), end=u(2026, 1, 13))],
        "fallback": "zed",
    }
    assert on_call_at(at=at, **kwargs) == expected
    window = final_schedule(start=at, end=at + timedelta(minutes=1), **kwargs)
    assert window.shifts[0].people == expected


def test_next_shift_after():
    layers = [make_layer(start=datetime(2026, 3, 23, 9, 0))]
    nxt = next_shift_after(time_zone="Europe/Berlin", layers=layers, at=u(2026, 3, 25))
    assert nxt == Shift(start=u(2026, 3, 30, 7), end=u(2026, 4, 6, 7), people=("bob",), source="l")
    short = next_shift_after(time_zone="Europe/Berlin", layers=layers, at=u(2026, 3, 25), horizon=timedelta(days=2))
    assert short is None


# --- properties -------------------------------------------------------------------------------------------

# Zones with 1-hour changes both ways, a 30-minute change (Lord Howe) and changes at midnight (Santiago).
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago")
# Windows that contain clock changes in those zones.
WINDOW_STARTS = (u(2026, 3, 5), u(2026, 3, 26), u(2026, 4, 2), u(2026, 9, 3), u(2026, 10, 22), u(2026, 10, 30))
PEOPLE = ("ann", "ben", "cat", "dan")

restrictions_st = st.lists(
    st.builds(
        Restriction,
        weekdays=st.sets(st.integers(0, 6), min_size=1, max_size=3).map(lambda days: tuple(sorted(days))),
        start=st.builds(time, st.integers(0, 23), st.sampled_from([0, 30])),
        end=st.builds(time, st.integers(0, 23), st.sampled_from([0, 30])),
    ),
    max_size=2,
).map(tuple)

layer_st = st.builds(
    Layer,
    key=st.sampled_from(["l1", "l2", "l3"]),
    level=st.integers(0, 2),
    participants=st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=3).map(tuple),
    rotation=st.sampled_from(["hours", "days", "weeks"]),
    every=st.integers(1, 3),
    start=st.builds(
        lambda day, minute: datetime(2026, 1, 1) + timedelta(days=day, minutes=minute),
        st.integers(0, 320),
        st.sampled_from([0, 30, 150, 9 * 60, 23 * 60 + 30]),
    ),
    end=st.none() | st.builds(lambda days: datetime(2026, 3, 28) + timedelta(days=days, hours=7), st.integers(0, 220)),
    restrictions=restrictions_st,
)


def valid_layers(layers: list[Layer], zone: str) -> list[Layer]:
    keyed = [dataclasses.replace(layer, key=f"{layer.key}-{i}") for i, layer in enumerate(layers)]
    for layer in keyed:
        try:
            validate_layer(layer=layer, time_zone=zone)
        except ScheduleError:
            assume(False)
    return keyed


@st.composite
def schedule_st(draw):
    zone = draw(st.sampled_from(ZONES))
    layers = valid_layers(draw(st.lists(layer_st, min_size=1, max_size=3)), zone)
    start = draw(st.sampled_from(WINDOW_STARTS))
    end = start + timedelta(days=draw(st.integers(1, 12)))

    def within(minutes: int) -> datetime:
        return start + timedelta(minutes=minutes)

    span = int((end - start).total_seconds() // 60)
    interval = st.tuples(st.integers(0, span), st.integers(30, 3000))
    overrides = [
        Override(key=f"o{i}", person=draw(st.sampled_from(PEOPLE)), start=within(a), end=within(a + d))
        for i, (a, d) in enumerate(draw(st.lists(interval, max_size=2)))
    ]
    swaps = [
        Swap(key=f"s{i}", from_person=f, to_person=t, start=within(a), end=within(a + d))
        for i, (f, t, (a, d)) in enumerate(
            draw(st.lists(st.tuples(st.sampled_from(PEOPLE), st.sampled_from(PEOPLE), interval), max_size=2))
        )
    ]
    instants = draw(st.lists(st.integers(0, span * 60 - 1).map(lambda s: start + timedelta(seconds=s)), max_size=8))
    return zone, layers, overrides, swaps, start, end, instants


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(schedule_st(), st.none() | st.just("zed"))
def test_on_call_at_agrees_with_final_schedule(case, fallback):
    zone, layers, overrides, swaps, start, end, instants = case
    kwargs = {"time_zone": zone, "layers": layers, "overrides": overrides, "swaps": swaps, "fallback": fallback}
    result = final_schedule(start=start, end=end, **kwargs)
    # the shifts are sorted, disjoint, non-empty, merged, in UTC and inside the window
    previous = None
    for shift in result.shifts:
        assert start <= shift.start < shift.end <= end
        assert shift.people and list(shift.people) == sorted(set(shift.people))
        assert shift.start.utcoffset() == timedelta(0)
        if previous is not None:
            assert previous.end <= shift.start
            assert previous.end < shift.start or (previous.people, previous.source) != (shift.people, shift.source)
        previous = shift
    # shifts and gaps cover the window exactly (without a fallback they do not meet)
    covered = sorted(
        [(s.start, s.end) for s in result.shifts] + ([] if fallback else [(g.start, g.end) for g in result.gaps])
    )
    if fallback is None:
        assert sum((e - s for s, e in covered), timedelta(0)) == end - start
    else:
        assert covered[0][0] == start and covered[-1][1] == end
        assert all(a[1] == b[0] for a, b in pairwise(covered))
    for at in [
        *instants,
        *(s.start for s in result.shifts),
        *(s.end - timedelta(microseconds=1) for s in result.shifts),
    ]:
        expected = next((s.people for s in result.shifts if s.start <= at < s.end), ())
        assert on_call_at(at=at, **kwargs) == expected, at


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.sampled_from(ZONES), layer_st.map(lambda layer: dataclasses.replace(layer, restrictions=(), end=None)),
       st.sampled_from(WINDOW_STARTS))  # fmt: skip
def test_handoffs_are_at_the_local_handoff_time(zone, layer, start):
    assume(valid_layers([layer], zone))
    tz = ZoneInfo(zone)
    shifts = layer_shifts(layer=layer, time_zone=zone, start=start, end=start + timedelta(days=40))
    for previous, shift in pairwise(shifts):
        assert previous.end == shift.start
        if layer.rotation == "hours":
            assert shift.start - previous.start == timedelta(hours=layer.every) or previous.start == start
        else:
            local = shift.start.astimezone(tz)
            wall = layer.start.time()
            # the handoff is at the wall time, or where that wall time was skipped, at the instant of the jump
            assert local.time() == wall or (
                local.replace(tzinfo=None) > datetime.combine(local.date(), wall)
                and (shift.start - timedelta(microseconds=1)).astimezone(tz).utcoffset() != local.utcoffset()
            )
