"""A day's bar colour: the worse of its uptime and the worst incident impact that day (no database)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from statuspage.domain.uptime import Day

D = date(2026, 3, 10)


@pytest.mark.parametrize(
    ("uptime", "worst", "expected"),
    [
        (None, "operational", "none"),  # no data and nothing happened
        (None, "major_outage", "critical"),  # no SLI traffic, yet an incident took it down
        (None, "partial_outage", "major"),
        (None, "degraded_performance", "minor"),
        (None, "under_maintenance", "maintenance"),
        (Fraction(1), "operational", "ok"),
        (Fraction(1), "degraded_performance", "minor"),  # degraded costs no uptime but colours the day
        (Fraction(1), "under_maintenance", "maintenance"),
        (Fraction(999, 1000), "under_maintenance", "minor"),
        (Fraction(98, 100), "degraded_performance", "major"),  # the uptime is worse than the impact
        (Fraction(90, 100), "operational", "critical"),
        (Fraction(999, 1000), "major_outage", "critical"),
    ],
)
def test_level(uptime, worst, expected) -> None:
    assert Day(day=D, uptime=uptime, source="sli", worst=worst).level == expected
