"""Policy values: thresholds and factors typed by people, read exactly or refused naming the field."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from releases.domain.policy import (
    DEFAULT_RULES,
    EXHAUSTED,
    PolicyError,
    effective_thresholds,
    factor_parse,
    percent_label,
    rules_parse,
    threshold_severity,
    thresholds_dump,
    thresholds_parse,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([80, 95, 100], (Fraction(80), Fraction(95), Fraction(100))),
        ([100, 80], (Fraction(80), Fraction(100))),
        ([99.5], (Fraction(199, 2),)),
        ([0.01, 1000], (Fraction(1, 100), Fraction(1000))),
        ([Decimal("50.25")], (Fraction(201, 4),)),
        ([150], (Fraction(150),)),
    ],
)
def test_thresholds_are_read_exactly_and_sorted(value, expected) -> None:
    assert thresholds_parse(value) == expected


@pytest.mark.parametrize(
    "value",
    [[], "80,95", None, [True], ["80"], [0], [-5], [1000.01], [80.125], [80, 80], list(range(1, 12)),
     [float("nan")], [float("inf")], [{}]],
)  # fmt: skip
def test_bad_thresholds_name_the_field(value) -> None:
    with pytest.raises(PolicyError) as caught:
        thresholds_parse(value)
    assert set(caught.value.errors) == {"thresholds"}


@pytest.mark.parametrize(("value", "ok"), [(10, True), (1, True), (14.4, True), (1000, True), (0.5, False),
                                           (1001, False), (True, False), ("10", False), (2.555, False)])  # fmt: skip
def test_factor_bounds(value, ok) -> None:
    if ok:
        assert factor_parse(value) == Fraction(Decimal(repr(value)) if isinstance(value, float) else value)
    else:
        with pytest.raises(PolicyError, match="release_burn_factor"):
            factor_parse(value)


def test_rules_parse_lists_every_bad_field() -> None:
    with pytest.raises(PolicyError) as caught:
        rules_parse(thresholds=["x"], freeze="yes", factor=0, watch_minutes=0, min_bad_events=-1)
    assert set(caught.value.errors) == {
        "thresholds",
        "freeze_on_exhaustion",
        "release_burn_factor",
        "release_watch_minutes",
        "release_min_bad_events",
    }


def test_defaults() -> None:
    assert DEFAULT_RULES.thresholds == (80, 95, 100)
    assert DEFAULT_RULES.freeze and DEFAULT_RULES.factor == 10 and DEFAULT_RULES.watch_minutes == 60


@pytest.mark.parametrize(
    ("thresholds", "freeze", "expected"),
    [((80, 95), True, (80, 95, 100)), ((80, 95), False, (80, 95)), ((50, 100, 150), True, (50, 100, 150))],
)
def test_a_freeze_always_tracks_exhaustion(thresholds, freeze, expected) -> None:
    rules = rules_parse(thresholds=list(thresholds), freeze=freeze, factor=10, watch_minutes=60, min_bad_events=10)
    assert effective_thresholds(rules) == tuple(Fraction(t) for t in expected)


@pytest.mark.parametrize(
    ("threshold", "label", "severity"),
    [(Fraction(80), "80%", "info"), (Fraction(95), "95%", "warning"), (Fraction(199, 2), "99.5%", "warning"),
     (EXHAUSTED, "100%", "critical"), (Fraction(150), "150%", "critical"), (Fraction(1, 100), "0.01%", "info")],
)  # fmt: skip
def test_labels_and_severities(threshold, label, severity) -> None:
    assert percent_label(threshold) == label
    assert threshold_severity(threshold) == severity


@given(st.lists(st.integers(min_value=1, max_value=100_000), min_size=1, max_size=10, unique=True))
def test_thresholds_round_trip_through_json(hundredths) -> None:
    """Whatever two-decimal percentages are stored, they read back as the same exact values."""
    values = [h / 100 if h % 100 else h // 100 for h in hundredths]
    parsed = thresholds_parse(values)
    assert parsed == tuple(sorted(Fraction(h, 100) for h in hundredths))
    assert thresholds_parse(thresholds_dump(parsed)) == parsed
