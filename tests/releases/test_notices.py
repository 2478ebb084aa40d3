"""Budget notices through the real alert intake: crossing 80% sends one ErrorBudgetThreshold alert labelled for
the owners, a second run sends nothing new, re-arming and calendar periods work as documented, and the alerts
resolve when notices close."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from alerts.models import Alert
from releases.models import BudgetNotice
from releases.services.notices import budget_notices_evaluate
from tests.releases.conftest import NOW, set_consumed
from tests.releases.factories import BudgetPolicyFactory
from tests.slo.factories import SLOFactory

pytestmark = pytest.mark.django_db


def notice_alerts() -> list[Alert]:
    return list(Alert.objects.filter(labels__alertname="ErrorBudgetThreshold").order_by("pk"))


def test_crossing_80_sends_one_notice_to_the_owners_and_a_second_run_sends_nothing(slo):
    set_consumed(slo, 81)
    stats = budget_notices_evaluate(now=NOW)
    assert (stats["opened"], stats["closed"]) == (1, 0)
    (alert,) = notice_alerts()
    assert alert.status == "firing" and alert.source == "releases"
    assert alert.labels == {
        "alertname": "ErrorBudgetThreshold",
        "service": "checkout",
        "slo": "checkout-availability",
        "threshold": "80%",
        "severity": "info",
        "team": "payments",
    }
    assert alert.annotations["consumed_percent"] == "81.0000"
    assert alert.annotations["bad"] == "810.0" and alert.annotations["allowed_bad"] == "1000.0"
    assert "release_freeze" not in alert.annotations
    (notice,) = BudgetNotice.objects.all()
    assert notice.threshold == Decimal(80) and notice.window_start == NOW and notice.cleared_at is None

    again = budget_notices_evaluate(now=NOW + dt.timedelta(minutes=1))
    assert (again["opened"], again["closed"]) == (0, 0)
    assert BudgetNotice.objects.count() == 1 and len(notice_alerts()) == 1


def test_exhaustion_sends_the_critical_notice_with_the_freeze(slo):
    set_consumed(slo, 120)
    budget_notices_evaluate(now=NOW)
    by_threshold = {a.labels["threshold"]: a for a in notice_alerts()}
    assert set(by_threshold) == {"80%", "95%", "100%"}
    assert [by_threshold[t].labels["severity"] for t in ("80%", "95%", "100%")] == ["info", "warning", "critical"]
    assert "denies releases" in by_threshold["100%"].annotations["release_freeze"]


def test_rolling_window_rearms_below_95_percent_of_the_threshold(slo):
    set_consumed(slo, 82)
    budget_notices_evaluate(now=NOW)
    set_consumed(slo, 77)  # under 80 but not under 76: still the same crossing
    assert budget_notices_evaluate(now=NOW + dt.timedelta(minutes=1))["closed"] == 0
    set_consumed(slo, 75)
    assert budget_notices_evaluate(now=NOW + dt.timedelta(minutes=2))["closed"] == 1
    (alert,) = notice_alerts()
    assert alert.status == "resolved"
    set_consumed(slo, 81)  # a new crossing: a new notice
    assert budget_notices_evaluate(now=NOW + dt.timedelta(minutes=3))["opened"] == 1
    assert BudgetNotice.objects.count() == 2
    alert.refresh_from_db()
    assert alert.status == "firing"


def test_calendar_window_notices_once_per_period_and_resolves_at_rollover(checkout):
    monthly = SLOFactory(service=checkout, name="checkout-monthly", window_kind="calendar", calendar_unit="month")
    set_consumed(monthly, 90)
    budget_notices_evaluate(now=NOW)
    notice = BudgetNotice.objects.get()
    assert notice.window_start == dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    set_consumed(monthly, 10)  # a dip within the period keeps it: spent budget stays spent
    assert budget_notices_evaluate(now=NOW + dt.timedelta(days=1))["closed"] == 0
    set_consumed(monthly, 85)
    assert budget_notices_evaluate(now=NOW + dt.timedelta(days=2))["opened"] == 0
    april = dt.datetime(2026, 4, 1, 0, 5, tzinfo=dt.UTC)
    set_consumed(monthly, 5, at=april)
    stats = budget_notices_evaluate(now=april)
    assert (stats["opened"], stats["closed"]) == (0, 1)
    assert notice_alerts()[0].status == "resolved"


def test_policy_thresholds_and_per_slo_override(checkout, slo):
    other = SLOFactory(service=checkout, name="checkout-latency")
    BudgetPolicyFactory(service=checkout, thresholds=[50], freeze_on_exhaustion=False)
    BudgetPolicyFactory(service=checkout, slo=other, thresholds=[90])
    set_consumed(slo, 60)
    set_consumed(other, 60)
    budget_notices_evaluate(now=NOW)
    assert [(a.labels["slo"], a.labels["threshold"]) for a in notice_alerts()] == [("checkout-availability", "50%")]


def test_no_data_keeps_notices_and_a_deleted_slo_resolves_its_own(slo):
    set_consumed(slo, 96)
    budget_notices_evaluate(now=NOW)
    slo.status = {**slo.status, "data_state": "source_error"}
    slo.save(update_fields=["status"])
    assert budget_notices_evaluate(now=NOW + dt.timedelta(minutes=1))["closed"] == 0
    slo.delete()
    assert budget_notices_evaluate(now=NOW + dt.timedelta(minutes=2))["closed"] == 2
    assert {a.status for a in notice_alerts()} == {"resolved"}


def test_query_count_does_not_grow_with_slos(checkout, django_assert_max_num_queries):
    for index in range(30):
        set_consumed(SLOFactory(service=checkout, name=f"s{index}"), 50)
    with django_assert_max_num_queries(8):
        budget_notices_evaluate(now=NOW)


def test_query_count_of_sending_does_not_grow_with_slos(checkout, django_assert_max_num_queries):
    """Notices of many SLOs go to the intake in one batch (45 queries for 5 SLOs or 30, most of them the intake's
    first use: the default route and receiver, the routing config). The default route groups by service and
    slo, so each SLO's notices open a group of their own: one query more per group (30 here)."""
    for index in range(30):
        set_consumed(SLOFactory(service=checkout, name=f"s{index}"), 96)
    with django_assert_max_num_queries(50 + 30):
        stats = budget_notices_evaluate(now=NOW)
    assert stats["opened"] == 60
