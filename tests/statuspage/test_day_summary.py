"""The line a screen reader reads for a day's bar: outage times in the words the rest of the app uses."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from statuspage.domain.uptime import Day
from statuspage.templatetags.statuspage_tags import day_summary


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        ({"major_outage": 20}, "major outage 1 min"),  # a blip is a minute, never "0 min"
        ({"major_outage": 3900}, "major outage 1 h 5 min"),
        ({"partial_outage": 3600}, "partial outage 1 h"),  # not "1 h 0 min"
        ({"degraded_performance": 86400}, "degraded performance 1 d"),
    ],
)
def test_a_day_with_an_incident_says_how_long_each_impact_lasted(seconds, said) -> None:
    day = Day(day=date(2026, 12, 1), uptime=Fraction(99, 100), source="incidents", seconds=seconds, incidents=("DB",))
    assert day_summary(day) == f"Dec 1, 2026, 99.00% uptime, {said}, related: DB"
