"""Component status and the page indicator (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statuspage.domain import status as s


@pytest.mark.parametrize(
    ("impacts", "maintenance", "burn", "override", "expected"),
    [
        ([], False, None, None, "operational"),
        (["degraded_performance"], False, None, None, "degraded_performance"),
        (["partial_outage", "major_outage"], False, None, None, "major_outage"),
        ([], True, None, None, "under_maintenance"),
        (["partial_outage"], True, None, None, "partial_outage"),
        ([], False, "degraded_performance", None, "degraded_performance"),
        (["major_outage"], False, None, "operational", "operational"),
        ([], False, None, "bogus", "operational"),
        (["nonsense"], False, None, None, "operational"),
    ],
)
def test_component_status(impacts, maintenance, burn, override, expected) -> None:
    assert s.component_status(impacts=impacts, in_maintenance=maintenance, burn=burn, override=override) == expected


@pytest.mark.parametrize(
    ("severities", "expected"),
    [([], None), (["ticket"], "degraded_performance"), (["ticket", "page"], "partial_outage")],
)
def test_burn_status(severities, expected) -> None:
    assert s.burn_status(severities) == expected


@pytest.mark.parametrize(
    ("statuses", "impacts", "expected"),
    [
        (["operational"], [], ("none", "All Systems Operational")),
        ([], [], ("none", "All Systems Operational")),
        (["operational", "under_maintenance"], [], ("none", "Service Under Maintenance")),
        (["degraded_performance"], [], ("minor", "Partially Degraded Service")),
        (["operational"], ["minor"], ("minor", "Minor Service Outage")),
        (["partial_outage"], ["minor"], ("major", "Partial System Outage")),
        (["major_outage"], [], ("critical", "Major Service Outage")),
        (["operational"], ["critical"], ("critical", "Major Service Outage")),
        (["operational"], ["none"], ("none", "All Systems Operational")),
    ],
)
def test_page_status(statuses, impacts, expected) -> None:
    assert s.page_status(component_statuses=statuses, incident_impacts=impacts) == expected


@given(st.lists(st.sampled_from(s.COMPONENT_STATUSES)))
def test_worst_is_the_highest_rank(statuses) -> None:
    result = s.worst(statuses)
    assert all(s.RANK[result] >= s.RANK[x] for x in statuses)
    assert result in statuses or result == "operational"


@given(st.lists(st.sampled_from(s.COMPONENT_STATUSES)), st.lists(st.sampled_from(s.INDICATORS)))
def test_indicator_never_below_components_or_incidents(statuses, impacts) -> None:
    indicator, description = s.page_status(component_statuses=statuses, incident_impacts=impacts)
    for status in statuses:
        assert s.INDICATOR_RANK[indicator] >= s.INDICATOR_RANK[s.STATUS_INDICATOR[status]]
    for impact in impacts:
        assert s.INDICATOR_RANK[indicator] >= s.INDICATOR_RANK[impact]
    assert description
