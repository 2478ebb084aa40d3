"""The status machine, the timestamps transitions set, timestamp validation and the Statuspage mapping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from incidents.domain import lifecycle

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T0 = NOW - timedelta(hours=1)

VALID = [
    ("triage", "investigating"),
    ("triage", "resolved"),
    ("investigating", "identified"),
    ("identified", "monitoring"),
    ("monitoring", "investigating"),
    ("monitoring", "resolved"),
    ("resolved", "closed"),
    ("resolved", "investigating"),
    ("closed", "investigating"),
]
INVALID = [
    ("triage", "closed"),
    ("triage", "triage"),
    ("investigating", "triage"),
    ("monitoring", "closed"),
    ("resolved", "monitoring"),
    ("resolved", "resolved"),
    ("closed", "resolved"),
    ("closed", "triage"),
    ("investigating", "bogus"),
]


@pytest.mark.parametrize(("current", "target"), VALID)
def test_valid_transitions(current: str, target: str) -> None:
    lifecycle.check_transition(current=current, target=target)


@pytest.mark.parametrize(("current", "target"), INVALID)
def test_invalid_transitions_name_the_allowed_states(current: str, target: str) -> None:
    with pytest.raises(lifecycle.TransitionError) as info:
        lifecycle.check_transition(current=current, target=target)
    assert info.value.allowed == lifecycle.allowed_next(current)
    assert "allowed next states" in str(info.value)


EMPTY = dict.fromkeys(lifecycle.TIMESTAMP_FIELDS)


@pytest.mark.parametrize(
    ("current", "target", "stamps", "expected"),
    [
        ("triage", "investigating", EMPTY, {"acknowledged_at": NOW}),
        ("triage", "monitoring", EMPTY, {"acknowledged_at": NOW, "mitigated_at": NOW}),
        ("triage", "resolved", EMPTY, {"acknowledged_at": NOW, "mitigated_at": NOW, "resolved_at": NOW}),
        ("monitoring", "resolved", {**EMPTY, "acknowledged_at": T0, "mitigated_at": T0}, {"resolved_at": NOW}),
        ("resolved", "closed", {**EMPTY, "acknowledged_at": T0, "mitigated_at": T0, "resolved_at": T0},
         {"closed_at": NOW}),
        ("closed", "investigating", {**EMPTY, "acknowledged_at": T0, "mitigated_at": T0, "resolved_at": T0,
                                     "closed_at": T0}, {"resolved_at": None, "closed_at": None}),
        ("identified", "investigating", {**EMPTY, "acknowledged_at": T0}, {}),
    ],
)  # fmt: skip
def test_transition_timestamps(current, target, stamps, expected) -> None:
    assert lifecycle.transition_timestamps(current=current, target=target, now=NOW, stamps=stamps) == expected


@pytest.mark.parametrize(
    ("changes", "bad_field"),
    [
        ({"detected_at": T0 - timedelta(minutes=1)}, "detected_at"),
        ({"resolved_at": T0 + timedelta(minutes=5), "closed_at": T0 + timedelta(minutes=1)}, "closed_at"),
        ({"mitigated_at": T0 + timedelta(minutes=9), "resolved_at": T0 + timedelta(minutes=5)}, "resolved_at"),
        ({"started_at": None}, "started_at"),
    ],
)
def test_inconsistent_timestamps_are_named(changes, bad_field) -> None:
    errors = lifecycle.check_timestamps({**EMPTY, "started_at": T0, **changes})
    assert bad_field in errors


def test_consistent_timestamps_pass() -> None:
    stamps = {
        "started_at": T0,
        "detected_at": T0,
        "acknowledged_at": T0 + timedelta(minutes=2),
        "mitigated_at": T0 + timedelta(minutes=10),
        "resolved_at": T0 + timedelta(minutes=20),
        "closed_at": None,
    }
    assert lifecycle.check_timestamps(stamps) == {}


@pytest.mark.parametrize(
    ("status", "published", "expected"),
    [
        ("triage", False, "investigating"),
        ("investigating", False, "investigating"),
        ("identified", False, "identified"),
        ("monitoring", False, "monitoring"),
        ("resolved", False, "resolved"),
        ("closed", False, "resolved"),
        ("resolved", True, "postmortem"),
        ("closed", True, "postmortem"),
        ("monitoring", True, "monitoring"),
    ],
)
def test_public_status_follows_statuspage(status, published, expected) -> None:
    assert lifecycle.public_status(status, postmortem_published=published) == expected
