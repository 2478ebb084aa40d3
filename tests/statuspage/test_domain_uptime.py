"""Uptime per day (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statuspage.domain import uptime as u

DAY = date(2026, 3, 10)
START = datetime(2026, 3, 10, tzinfo=UTC)
END = START + timedelta(days=1)
LATER = END + timedelta(days=5)


def iv(h0: float, h1: float, status: str, name: str = "") -> u.Interval:
    return u.Interval(START + timedelta(hours=h0), START + timedelta(hours=h1), status, name)


@pytest.mark.parametrize(
    ("intervals", "expected"),
    [
        ([], Fraction(1)),
        ([iv(0, 2.4, "major_outage")], Fraction(9, 10)),
        ([iv(0, 24, "partial_outage")], Fraction(7, 10)),
        ([iv(0, 24, "degraded_performance")], Fraction(1)),
        ([iv(0, 24, "under_maintenance")], Fraction(1)),
        # Overlaps count once, at the worst status: 1 h major inside 2 h partial = 1 h major + 1 h partial.
        ([iv(0, 2, "partial_outage"), iv(1, 2, "major_outage")], 1 - Fraction(3600 + 1080, 86400)),
        ([iv(-5, 1, "major_outage")], 1 - Fraction(1, 24)),  # clipped to the day
        ([iv(30, 40, "major_outage")], Fraction(1)),  # another day
    ],
)
def test_day_from_incidents(intervals, expected) -> None:
    day = u.day_from_incidents(day=DAY, start=START, end=END, now=LATER, intervals=intervals)
    assert day.uptime == expected
    assert day.source == "incidents"


def test_today_counts_only_elapsed_time_and_future_is_no_data() -> None:
    now = START + timedelta(hours=2)
    day = u.day_from_incidents(day=DAY, start=START, end=END, now=now, intervals=[iv(0, 1, "major_outage")])
    assert day.uptime == Fraction(1, 2)
    future = u.day_from_incidents(day=DAY, start=START, end=END, now=START, intervals=[])
    assert future.uptime is None and future.level == "none"


def test_incident_names_and_levels() -> None:
    day = u.day_from_incidents(
        day=DAY,
        start=START,
        end=END,
        now=LATER,
        intervals=[iv(1, 2, "major_outage", "DB down"), iv(3, 4, "partial_outage")],
    )
    assert day.incidents == ("DB down",)
    assert day.level == "critical"
    assert day.seconds == {"major_outage": 3600, "partial_outage": 3600}


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ([(999, 1000)], Fraction(999, 1000)),
        ([(999, 1000), (1, 1)], Fraction(1000, 1001)),
        ([None, (50, 100)], Fraction(1, 2)),
        ([None], None),
        ([(0, 0)], None),  # no traffic is no data, never 100%
        ([], None),
    ],
)
def test_day_from_sli(counts, expected) -> None:
    assert u.day_from_sli(day=DAY, counts=counts).uptime == expected


def test_overall_uptime() -> None:
    a = u.day_from_sli(day=DAY, counts=[(90, 100)])
    b = u.day_from_sli(day=DAY, counts=[(1000, 1000)])
    assert u.overall_uptime([a, b]) == Fraction(1090, 1100)
    assert u.overall_uptime([u.Day(day=DAY, uptime=None, source="none")]) is None


@pytest.mark.parametrize(
    ("value", "text"),
    [(Fraction(1), "100.00%"), (Fraction(99999, 100000), "99.99%"), (Fraction(1, 3), "33.33%"), (None, "no data")],
)
def test_format_percent_rounds_down(value, text) -> None:
    assert u.format_percent(value) == text


@given(
    st.lists(
        st.tuples(
            st.floats(min_value=-30, max_value=50),
            st.floats(min_value=0, max_value=30),
            st.sampled_from(["major_outage", "partial_outage", "degraded_performance", "under_maintenance"]),
        ),
        max_size=8,
    )
)
def test_uptime_is_a_ratio(raw) -> None:
    intervals = [iv(a, a + d, status) for a, d, status in raw]
    day = u.day_from_incidents(day=DAY, start=START, end=END, now=LATER, intervals=intervals)
    assert 0 <= day.uptime <= 1
    assert sum(day.seconds.values()) <= 86400


@pytest.mark.parametrize(
    ("good", "target", "level"),
    [
        (9995, Fraction(999, 1000), "ok"),  # 99.95% on a 99.9% objective: a good day, not a yellow bar
        (9990, Fraction(999, 1000), "ok"),  # exactly on the objective
        (9980, Fraction(999, 1000), "minor"),  # below it
        (9800, Fraction(999, 1000), "major"),
        (9000, Fraction(999, 1000), "critical"),
        (9995, None, "minor"),  # no objective known: anything short of 100% is minor, as before
    ],
)
def test_sli_days_are_green_when_they_meet_the_objective(good, target, level) -> None:
    day = u.day_from_sli(day=DAY, counts=[(good, 10000)], target=target)
    assert day.level == level
