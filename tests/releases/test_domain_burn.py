"""Release burn: exact burn rate since the deployment against the factor, with a minimum of bad events; exact
budget consumption from the SLO status."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from releases.domain.burn import consumed_percent, release_burn, watch_over, watch_range
from slo.domain.budget import Counts

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
TARGET = Fraction(999, 1000)


@pytest.mark.parametrize(
    ("bad", "total", "factor", "minimum", "fires", "rate"),
    [
        (11, 1000, 10, 10, True, Fraction(11)),  # 1.1% errors at 99.9% = 11x > 10x
        (10, 1000, 10, 10, False, Fraction(10)),  # exactly the factor: not above it
        (1, 10, 10, 10, False, Fraction(100)),  # 100x, but one error is not a release problem
        (10, 100, 10, 10, True, Fraction(100)),
        (0, 1000, 10, 10, False, Fraction(0)),
        (0, 0, 10, 10, False, None),  # no traffic: no data
        (500, 5000, Fraction(144, 10), 1, True, Fraction(100)),
    ],
)
def test_release_burn(bad, total, factor, minimum, fires, rate) -> None:
    verdict = release_burn(counts=Counts(bad, total), target=TARGET, factor=Fraction(factor), min_bad_events=minimum)
    assert verdict.fires is fires
    assert verdict.burn_rate == rate


def test_no_counts_is_no_data() -> None:
    assert release_burn(counts=None, target=TARGET, factor=Fraction(10), min_bad_events=1).reason == "no data"


@pytest.mark.parametrize(
    ("bad", "total", "target", "expected"),
    [
        (10.0, 10000.0, "0.999", Fraction(100)),
        (104.0, 9622.0, "0.9995", Fraction(100 * 104 * 2000, 9622)),
        (0.0, 10.0, "0.9", Fraction(0)),
        (1.0, 0.0, "0.999", None),
        (None, 10.0, "0.999", None),
        (1.0, 10.0, None, None),
        (1.0, 10.0, "nonsense", None),
    ],
)
def test_consumed_percent_is_exact(bad, total, target, expected) -> None:
    assert consumed_percent(bad=bad, total=total, target=target) == expected


def test_watch_range_and_over() -> None:
    at = NOW - dt.timedelta(minutes=10)
    assert watch_range(at=at, watch_minutes=60, now=NOW) == (at, NOW)
    assert watch_range(at=at, watch_minutes=5, now=NOW) == (at, at + dt.timedelta(minutes=5))
    assert watch_range(at=NOW, watch_minutes=60, now=NOW) is None
    assert watch_range(at=NOW + dt.timedelta(minutes=1), watch_minutes=60, now=NOW) is None
    assert not watch_over(watch_until=NOW, now=NOW + dt.timedelta(minutes=4, seconds=59))
    assert watch_over(watch_until=NOW, now=NOW + dt.timedelta(minutes=5))


@given(
    bad=st.integers(min_value=0, max_value=10**6),
    good=st.integers(min_value=0, max_value=10**6),
    factor=st.fractions(min_value=1, max_value=1000),
    minimum=st.integers(min_value=1, max_value=1000),
)
def test_fires_exactly_when_over_the_factor_with_enough_bad_events(bad, good, factor, minimum) -> None:
    total = bad + good
    verdict = release_burn(counts=Counts(bad, total), target=TARGET, factor=factor, min_bad_events=minimum)
    if total == 0:
        assert verdict.burn_rate is None and not verdict.fires
        return
    assert verdict.burn_rate == Fraction(bad, total) / (1 - TARGET)
    assert verdict.fires == (Fraction(bad, total) > factor * (1 - TARGET) and bad >= minimum)
