"""Import plans from Grafana OnCall and PagerDuty JSON: pure, no database."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from oncall.domain.imports import ImportFormatError, Unmapped, week_windows
from oncall.domain.imports_grafana import grafana_plan
from oncall.domain.imports_pagerduty import pagerduty_plan
from oncall.domain.schedule import Layer, Restriction, on_call_at

FIXTURES = Path(__file__).parent / "fixtures"
NOW = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)


def _doc(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def _on_call(schedule, at: dt.datetime) -> tuple[str, ...]:
    layers = [
        Layer(
            key=f"l{i}",
            level=p.level,
            participants=p.participants,
            rotation=p.rotation,
            every=p.every,
            start=p.start,
            end=p.end,
            restrictions=p.restrictions,
        )
        for i, p in enumerate(schedule.layers)
    ]
    return on_call_at(time_zone=schedule.time_zone, layers=layers, at=at)


def _utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def _shift(**overrides) -> dict:
    base = {
        "id": "O1",
        "schedule": "S1",
        "name": "rota",
        "type": "rolling_users",
        "time_zone": "Europe/Berlin",
        "level": 0,
        "start": "2025-12-01T09:00:00",
        "rotation_start": "2025-12-01T09:00:00",
        "duration": 604800,
        "frequency": "weekly",
        "interval": 1,
        "week_start": "MO",
        "rolling_users": [["A"], ["B"], ["C"]],
    }
    return base | overrides


def _grafana(*shifts: dict) -> dict:
    return {
        "schedules": [{"id": "S1", "type": "web", "name": "S", "time_zone": "Europe/Berlin"}],
        "on_call_shifts": list(shifts),
    }


# --- Grafana fixture -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (_utc(2026, 1, 5, 7, 59), ("UBOB0002",)),  # 08:59 Berlin: week 4 (Dec 29) is Bob's
        (_utc(2026, 1, 5, 8, 0), ("UCAROL03",)),  # 09:00 Berlin: handoff 5 → Carol (groups 0, 1, 2)
        (_utc(2026, 3, 30, 6, 59), ("UBOB0002",)),  # 08:59 CEST after the clock change: still week 16
        (_utc(2026, 3, 30, 7, 0), ("UCAROL03",)),  # 09:00 CEST: week 17 → Carol, on the local clock
    ],
)
def test_grafana_weekly_rotation_hands_off_at_0900_berlin(at, expected):
    platform = grafana_plan(document=_doc("grafana_oncall.json"), now=NOW).schedules[0]
    assert platform.time_zone == "Europe/Berlin"
    assert _on_call(platform, at) == expected


def test_grafana_override_on_the_local_clock():
    platform = grafana_plan(document=_doc("grafana_oncall.json"), now=NOW).schedules[0]
    (override,) = platform.overrides
    assert (override.person, override.start, override.end) == ("UALICE01", _utc(2026, 1, 7, 17), _utc(2026, 1, 7, 21))


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (_utc(2026, 1, 5, 12), ("UBOB0002",)),  # Monday: 25th selected day since Dec 1 → group 1
        (_utc(2026, 1, 6, 12), ("UALICE01",)),
        (_utc(2026, 1, 9, 12), ("UBOB0002",)),  # Friday
        (_utc(2026, 1, 5, 16, 30), ()),  # 17:30 Berlin: outside 09–17
        (_utc(2026, 1, 10, 12), ()),  # Saturday
        (_utc(2026, 1, 12, 12), ("UALICE01",)),  # next Monday: 30th selected day → group 0
    ],
)
def test_grafana_daily_weekday_rotation(at, expected):
    office = grafana_plan(document=_doc("grafana_oncall.json"), now=NOW).schedules[1]
    (layer,) = office.layers
    assert (layer.rotation, layer.every) == ("days", 1)
    assert layer.restrictions == (Restriction(weekdays=(0, 1, 2, 3, 4), start=dt.time(9), end=dt.time(17)),)
    assert _on_call(office, at) == expected


def test_grafana_fixture_policy_and_unmapped():
    plan = grafana_plan(document=_doc("grafana_oncall.json"), now=NOW)
    (policy,) = plan.policies
    assert [(s.kind, s.persons, s.schedule, s.important, s.wait_minutes, s.repeat_times) for s in policy.steps] == [
        ("notify_persons", ("UALICE01", "UBOB0002"), None, False, 0, 0),
        ("wait", (), None, False, 5, 0),
        ("notify_schedule", (), "SPLATFRM", True, 0, 0),
        ("wait", (), None, False, 15, 0),
        ("time_window", (), None, False, 0, 0),
        ("repeat", (), None, False, 0, 5),
    ]
    assert policy.steps[4].window == (tuple(range(7)), dt.time(7), dt.time(19), "UTC")
    assert [(u.item, u.reason.split(":")[0]) for u in plan.unmapped] == [
        ('schedule "Platform primary" shift "Monthly review duty"', "frequency 'monthly'"),
        (
            'schedule "Office hours" shift "Business hours backup"',
            "OnCall hands over on the selected days only; no rotation here gives the same turns",
        ),
        (
            'escalation chain "Platform critical" step 5 (trigger_webhook)',
            "an outgoing webhook by id",
        ),
        ('escalation chain "Platform critical" step 8 (resolve)', "we never resolve an alert group from a policy"),
    ]


# --- Grafana rotations, table-driven --------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, ("weeks", 1, ())),
        ({"frequency": "daily", "duration": 86400}, ("days", 1, ())),
        ({"frequency": "daily", "interval": 2, "duration": 172800}, ("days", 2, ())),
        ({"frequency": "weekly", "interval": 2, "duration": 1209600}, ("weeks", 2, ())),
        (
            {"frequency": "daily", "duration": 8 * 3600},
            ("days", 1, (Restriction(tuple(range(7)), dt.time(9), dt.time(17)),)),
        ),
        (  # weekly, Monday–Friday 09–17, the week's turn starting Monday
            {"by_day": ["MO", "TU", "WE", "TH", "FR"], "duration": 8 * 3600},
            ("weeks", 1, (Restriction((0, 1, 2, 3, 4), dt.time(9), dt.time(17)),)),
        ),
        (  # daily on weekdays, 5 selected days per group: a weekly turn
            {"frequency": "daily", "interval": 5, "by_day": ["MO", "TU", "WE", "TH", "FR"], "duration": 8 * 3600},
            ("weeks", 1, (Restriction((0, 1, 2, 3, 4), dt.time(9), dt.time(17)),)),
        ),
        ({"frequency": "hourly", "interval": 12, "duration": 43200, "time_zone": "UTC"}, ("hours", 12, ())),
    ],
)
def test_grafana_rotations_that_map(changes, expected):
    plan = grafana_plan(document=_grafana(_shift(**changes)), now=NOW)
    assert [u for u in plan.unmapped if "shift" in u.item] == []  # a UTC rotation only notes the zone
    (layer,) = plan.schedules[0].layers
    assert (layer.rotation, layer.every, layer.restrictions) == expected


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"frequency": "monthly"}, "frequency 'monthly'"),
        ({"by_monthday": [1, 15]}, "by_month/by_monthday"),
        ({"rolling_users": [["A", "B"], ["C"]]}, "groups of several people"),
        ({"frequency": "hourly", "duration": 3600}, "hourly rotation outside UTC"),
        ({"duration": 700000}, "longer than the interval"),
        ({"interval": 2, "duration": 86400}, "our windows repeat weekly"),
        ({"rotation_start": "2025-12-15T09:00:00"}, "rotation_start differs"),
        ({"until": "2025-12-20T00:00:00"}, "ended at 2025-12-20 00:00Z"),
        ({"until": "2026-06-01T00:00:00"}, "ends in the future"),
        (
            {
                "by_day": ["MO", "WE"],
                "start": "2025-12-03T09:00:00",
                "rotation_start": "2025-12-03T09:00:00",
                "duration": 3600,
            },
            "other than the week's first",
        ),
        ({"frequency": "daily", "by_day": ["MO", "TU", "WE", "TH", "FR"], "duration": 3600}, "selected days only"),
        ({"type": "single_event", "users": ["A"]}, "a one-off shift"),
    ],
)
def test_grafana_rotations_that_are_listed(changes, reason):
    plan = grafana_plan(document=_grafana(_shift(**changes)), now=NOW)
    assert plan.schedules[0].layers == ()
    (unmapped,) = plan.unmapped
    assert reason in unmapped.reason


def test_grafana_recurrent_event_with_two_people_is_two_layers():
    plan = grafana_plan(
        document=_grafana(_shift(type="recurrent_event", users=["A", "B"], rolling_users=None)), now=NOW
    )
    assert [layer.participants for layer in plan.schedules[0].layers] == [("A",), ("B",)]


def test_grafana_start_rotation_from_user_index():
    plan = grafana_plan(document=_grafana(_shift(start_rotation_from_user_index=1)), now=NOW)
    assert plan.schedules[0].layers[0].participants == ("B", "C", "A")


def test_grafana_web_shift_without_zone_is_utc():
    plan = grafana_plan(document=_grafana(_shift(time_zone=None)), now=NOW)
    schedule = plan.schedules[0]
    assert schedule.time_zone == "UTC"
    assert plan.unmapped == (
        Unmapped('schedule "S" time_zone', "kept in UTC, the zone its rotations are in, not Europe/Berlin"),
    )


@pytest.mark.parametrize(
    ("step", "reason"),
    [
        ({"type": "notify_person_next_each_time", "persons_to_notify_next_each_time": ["A"]}, "round robin"),
        ({"type": "notify_team_members", "team_to_notify": "T1"}, "teams are not imported"),
        ({"type": "notify_user_group", "group_to_notify": "G1"}, "Slack user groups"),
        ({"type": "wait", "duration": 90}, "not whole minutes"),
        (
            {"type": "notify_if_time_from_to", "notify_if_time_from": "09:00:00Z", "notify_if_time_to": "09:00:00Z"},
            "starts where it ends",
        ),
        ({"type": "declare_incident"}, "declares an incident"),
    ],
)
def test_grafana_steps_that_are_listed(step, reason):
    document = {
        "escalation_chains": [{"id": "C1", "name": "C", "team_id": None}],
        "escalation_policies": [{"id": "E1", "escalation_chain_id": "C1", "position": 0, **step}],
    }
    plan = grafana_plan(document=document, now=NOW)
    assert plan.policies[0].steps == ()
    (unmapped,) = plan.unmapped
    assert reason in unmapped.reason


def test_grafana_second_repeat_is_listed():
    document = {
        "escalation_chains": [{"id": "C1", "name": "C"}],
        "escalation_policies": [
            {"id": "E1", "escalation_chain_id": "C1", "position": 0, "type": "repeat_escalation"},
            {"id": "E2", "escalation_chain_id": "C1", "position": 1, "type": "repeat_escalation"},
        ],
    }
    plan = grafana_plan(document=document, now=NOW)
    assert [s.kind for s in plan.policies[0].steps] == ["repeat"]
    assert "second repeat" in plan.unmapped[0].reason


# --- PagerDuty ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (_utc(2026, 1, 5, 12), ("PALICE1",)),  # Mon 07:00 New York: layer 1, turn of Dec 29 (Alice)
        (_utc(2026, 1, 5, 15), ("PALICE1",)),  # Mon 10:00: layer 2 (Mon 09:00–Fri 17:00), week 5 → Alice
        (_utc(2026, 1, 13, 15), ("PCAROL3",)),  # Tue of week 6 → Carol
        (_utc(2026, 1, 16, 21, 59), ("PCAROL3",)),  # Fri 16:59
        (_utc(2026, 1, 16, 22, 1), ("PALICE1",)),  # Fri 17:01: back to layer 1, turn of Jan 12 (Alice)
        (_utc(2026, 1, 10, 17), ("PBOB002",)),  # Saturday noon: layer 1, turn of Jan 5
        (_utc(2026, 3, 9, 12, 59), ("PBOB002",)),  # Mon 08:59 EDT, after the clock change: layer 1
        (_utc(2026, 3, 9, 13, 0), ("PCAROL3",)),  # Mon 09:00 EDT: layer 2, week 14 → Carol
    ],
)
def test_pagerduty_layers_by_precedence(at, expected):
    (schedule,) = pagerduty_plan(document=_doc("pagerduty.json"), now=NOW).schedules
    assert [layer.level for layer in schedule.layers] == [2, 1]
    assert _on_call(schedule, at) == expected


def test_pagerduty_policy_steps():
    plan = pagerduty_plan(document=_doc("pagerduty.json"), now=NOW)
    (policy,) = plan.policies
    assert [(s.kind, s.persons, s.schedule, s.wait_minutes, s.repeat_times) for s in policy.steps] == [
        ("notify_schedule", (), "PSCHED1", 0, 0),
        ("wait", (), None, 15, 0),
        ("notify_persons", ("PCAROL3", "PERIN04"), None, 0, 0),
        ("wait", (), None, 30, 0),
        ("repeat", (), None, 0, 2),
    ]
    assert plan.unmapped == ()


def _pd_layer(**changes) -> dict:
    base = {
        "name": "L",
        "start": "2025-12-01T09:00:00-05:00",
        "end": None,
        "rotation_virtual_start": "2025-12-01T09:00:00-05:00",
        "rotation_turn_length_seconds": 86400,
        "users": [{"user": {"id": "A", "type": "user_reference"}}, {"user": {"id": "B", "type": "user_reference"}}],
        "restrictions": [],
    }
    return base | changes


def _pd(*layers: dict) -> dict:
    return {"schedules": [{"id": "S", "name": "S", "time_zone": "America/New_York", "schedule_layers": list(layers)}]}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, ("days", 1, dt.datetime(2025, 12, 1, 9), ("A", "B"), ())),
        ({"rotation_turn_length_seconds": 43200}, ("hours", 12, dt.datetime(2025, 12, 1, 9), ("A", "B"), ())),
        (  # starts three days in, on a handoff: the rotation is advanced
            {"start": "2025-12-04T09:00:00-05:00"},
            ("days", 1, dt.datetime(2025, 12, 4, 9), ("B", "A"), ()),
        ),
        (
            {
                "restrictions": [
                    {"type": "daily_restriction", "start_time_of_day": "18:00:00", "duration_seconds": 50400}
                ]
            },
            (
                "days",
                1,
                dt.datetime(2025, 12, 1, 9),
                ("A", "B"),
                (
                    Restriction(tuple(range(7)), dt.time(0), dt.time(8)),
                    Restriction(tuple(range(7)), dt.time(18), dt.time(0)),
                ),
            ),
        ),
        (
            {
                "restrictions": [
                    {"type": "daily_restriction", "start_time_of_day": "00:00:00", "duration_seconds": 86400}
                ]
            },
            ("days", 1, dt.datetime(2025, 12, 1, 9), ("A", "B"), ()),
        ),
    ],
)
def test_pagerduty_layers_that_map(changes, expected):
    plan = pagerduty_plan(document=_pd(_pd_layer(**changes)), now=NOW)
    assert plan.unmapped == ()
    (layer,) = plan.schedules[0].layers
    assert (layer.rotation, layer.every, layer.start, layer.participants, layer.restrictions) == expected


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"rotation_turn_length_seconds": 5400}, "not a whole number of hours"),
        ({"end": "2025-12-20T09:00:00-05:00"}, "ended at"),
        ({"end": "2026-02-01T12:00:00-05:00"}, "not at its handoff time"),
        ({"start": "2026-02-01T12:00:00-05:00"}, "starts mid-turn"),
        ({"users": []}, "nobody"),
    ],
)
def test_pagerduty_layers_that_are_listed(changes, reason):
    plan = pagerduty_plan(document=_pd(_pd_layer(**changes)), now=NOW)
    assert plan.schedules[0].layers == ()
    assert reason in plan.unmapped[0].reason


def test_pagerduty_layer_started_mid_turn_in_the_past_is_created_and_noted():
    plan = pagerduty_plan(document=_pd(_pd_layer(start="2025-12-04T12:00:00-05:00")), now=NOW)
    (layer,) = plan.schedules[0].layers
    assert (layer.start, layer.participants) == (dt.datetime(2025, 12, 4, 9), ("B", "A"))
    assert "only the past before the start differs" in plan.unmapped[0].reason


def test_pagerduty_end_on_the_handoff_maps():
    plan = pagerduty_plan(document=_pd(_pd_layer(end="2026-02-01T09:00:00-05:00")), now=NOW)
    assert plan.schedules[0].layers[0].end == dt.datetime(2026, 2, 1, 9)


def test_pagerduty_round_robin_and_odd_targets_are_listed():
    document = {
        "escalation_policies": [
            {
                "id": "P",
                "name": "P",
                "num_loops": 0,
                "escalation_rules": [
                    {
                        "escalation_delay_in_minutes": 10,
                        "targets": [{"id": "A", "type": "user_reference"}],
                        "escalation_rule_assignment_strategy": "round_robin",
                    },
                    {"escalation_delay_in_minutes": 10, "targets": [{"id": "X", "type": "schedule_v3_reference"}]},
                ],
            }
        ]
    }
    plan = pagerduty_plan(document=document, now=NOW)
    assert [(s.kind, s.wait_minutes) for s in plan.policies[0].steps] == [("wait", 10)]  # no trailing wait
    assert [u.reason.split(" ")[0] for u in plan.unmapped] == ["round-robin", "targets"]


# --- shape errors and windows ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ([], "document"),
        ({"users": [], "teams": []}, "document.teams"),
        ({"users": "x"}, "document.users"),
        ({"users": [1]}, "document.users[0]"),
        ({"users": [{"email": "a@b"}]}, "users[0].id"),
        ({"users": [{"id": str(i)} for i in range(5001)]}, "document.users"),
    ],
)
def test_shape_errors_name_the_field(document, field):
    for parse in (grafana_plan, pagerduty_plan):
        with pytest.raises(ImportFormatError) as caught:
            parse(document=document, now=NOW)
        assert caught.value.field == field


def test_a_page_that_says_more_follow_is_listed():
    document = {
        "users": {"count": 200, "next": "https://oncall.example/api/v1/users/?page=2", "previous": None, "results": []}
    }
    assert grafana_plan(document=document, now=NOW).unmapped[0].item == "users"


@pytest.mark.parametrize(
    ("pieces", "expected"),
    [
        ([(0, 7 * 86400)], None),
        ([(d * 86400, 86400) for d in range(7)], None),
        ([], ()),
        ([(4 * 86400 + 64800, 2 * 86400 + 50400)], ...),  # Fri 18:00 → Mon 08:00, checked below
    ],
)
def test_week_windows(pieces, expected):
    windows = week_windows(pieces)
    if expected is ...:
        assert windows == (
            Restriction((0,), dt.time(0), dt.time(8)),
            Restriction((4,), dt.time(18), dt.time(0)),
            Restriction((5, 6), dt.time(0), dt.time(12)),
            Restriction((5, 6), dt.time(12), dt.time(0)),
        )
    else:
        assert windows == expected
