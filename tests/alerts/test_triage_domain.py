"""alerts.domain.triage: severity names and order, the group title, the list's order (table-driven, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.domain.triage import (
    SEVERITIES,
    AlertFacts,
    OrderFacts,
    alertname_of,
    group_title,
    severity_name,
    severity_of,
    severity_rank,
    triage_order,
)

T0 = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("critical", "critical"),
        ("CRITICAL", "critical"),
        (" Warning ", "warning"),
        ("warn", "warning"),
        ("crit", "critical"),
        ("err", "error"),
        ("page", "page"),
        ("ticket", "ticket"),
        ("information", "info"),
        ("", "none"),
        (None, "none"),
        ("sev-unknown", "none"),
        (3, "none"),
    ],
)
def test_severity_name(raw, name):
    assert severity_name(raw) == name


def test_severity_order_is_critical_page_error_warning_ticket_info_none():
    assert SEVERITIES == ("critical", "page", "error", "warning", "ticket", "info", "none")
    assert [severity_rank(s) for s in SEVERITIES] == list(range(7))
    assert severity_rank("bogus") == severity_rank("none")


@pytest.mark.parametrize(
    ("label_sets", "worst"),
    [
        ([], "none"),
        ([{}], "none"),
        ([{"severity": "info"}, {"severity": "warning"}], "warning"),
        ([{"severity": "ticket"}, {"severity": "page"}, {"severity": "error"}], "page"),
        ([{"severity": "weird"}, {"severity": "info"}], "info"),
        ([{"severity": "Critical"}, {}], "critical"),
    ],
)
def test_severity_of_takes_the_worst(label_sets, worst):
    assert severity_of(label_sets) == worst


def a(summary: str = "", **labels: str) -> AlertFacts:
    return AlertFacts(labels=labels, summary=summary)


@pytest.mark.parametrize(
    ("group_labels", "alerts", "title"),
    [
        # The summary wins, whatever the labels.
        ({"alertname": "HighLatency"}, [a("p99 above 2 s", alertname="HighLatency")], "p99 above 2 s"),
        # The same summary on every alert is said once.
        ({"alertname": "X"}, [a("disk full", instance="a"), a("disk full", instance="b")], "disk full"),
        # Different summaries: the most common one, and how many others there are.
        (
            {"alertname": "X"},
            [a("disk full on a"), a("disk full on b"), a("disk full on a"), a("disk full on c")],
            "disk full on a (+2 other summaries)",
        ),
        ({}, [a("one"), a("two")], "one (+1 other summary)"),
        # Blank summaries do not count.
        ({"alertname": "Disk"}, [a("   ", alertname="Disk", instance="a")], "Disk · instance=a"),
        # No summary: the alertname and the labels that differ (noise and card fields left out), sorted by name.
        (
            {"alertname": "DiskFull", "service": "db"},
            [
                a(alertname="DiskFull", service="db", severity="critical", job="node", instance="db-1", mount="/"),
                a(alertname="DiskFull", service="db", severity="warning", job="node2", instance="db-2", mount="/"),
            ],
            "DiskFull · instance: db-1, db-2",
        ),
        # Many values: three, then how many more.
        (
            {"alertname": "Down"},
            [a(alertname="Down", instance=f"i{n}") for n in range(5)],
            "Down · instance: i0, i1, i2 +2",
        ),
        # A label missing on one alert differs too (the missing value is not listed).
        ({"alertname": "Down"}, [a(alertname="Down", zone="a"), a(alertname="Down")], "Down · zone: a"),
        # One alert: the group labels that say which one (service is on the card already).
        (
            {"alertname": "Burn", "service": "checkout", "slo": "availability"},
            [a(alertname="Burn")],
            "Burn · slo=availability",
        ),
        # One alert, group labels say nothing more: its own identifying labels.
        (
            {"alertname": "Cert"},
            [a(alertname="Cert", domain="status.example.com", severity="ticket", job="blackbox")],
            "Cert · domain=status.example.com",
        ),
        # No alertname in the group labels: the alerts' names.
        ({"service": "db"}, [a(alertname="B"), a(alertname="A")], "A, B"),
        # Nothing to say: the fallback.
        ({}, [a()], "Alert group 7"),
        ({}, [], "Alert group 7"),
    ],
)  # fmt: skip
def test_group_title(group_labels, alerts, title):
    assert group_title(group_labels=group_labels, alerts=alerts, fallback="Alert group 7") == title


def test_alertname_of_caps_the_list():
    alerts = [a(alertname=name) for name in "EDCBA"]
    assert alertname_of({}, alerts) == "A, B, C +2"
    assert alertname_of({"alertname": "Z"}, alerts) == "Z"


GROUPS = [
    OrderFacts(severity="warning", started_at=T0 - timedelta(hours=3), id=1),
    OrderFacts(severity="critical", started_at=T0 - timedelta(minutes=5), id=2),
    OrderFacts(severity="critical", started_at=T0 - timedelta(hours=1), id=3),
    OrderFacts(severity="none", started_at=T0 - timedelta(days=2), id=4),
    OrderFacts(severity="page", started_at=T0 - timedelta(minutes=1), id=5),
    OrderFacts(severity="info", started_at=T0 - timedelta(minutes=1), id=6),
    OrderFacts(severity="info", started_at=T0 - timedelta(minutes=1), id=7),
]


@pytest.mark.parametrize(
    ("sort", "ids"),
    [
        # Worst first; within a severity the longest firing first; then by id.
        ("severity", [3, 2, 5, 1, 6, 7, 4]),
        ("newest", [7, 6, 5, 2, 3, 1, 4]),
        ("oldest", [4, 1, 3, 2, 5, 6, 7]),
        ("anything-else", [3, 2, 5, 1, 6, 7, 4]),
    ],
)
def test_triage_order(sort, ids):
    assert triage_order([(facts, facts.id) for facts in GROUPS], sort=sort) == ids


def test_triage_order_does_not_depend_on_input_order():
    reversed_pairs = [(facts, facts.id) for facts in reversed(GROUPS)]
    assert triage_order(reversed_pairs, sort="severity") == [3, 2, 5, 1, 6, 7, 4]
