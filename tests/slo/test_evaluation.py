"""Bulk evaluation from the metric store: exact counts, burn alerts raised and resolved, no data,
source errors, idempotence and a query count that does not grow with the number of SLOs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from alerts.models import Alert
from slo.models import SLOSnapshot
from slo.services import slo_evaluate, slo_evaluate_all
from tests.slo.conftest import push, traffic
from tests.slo.factories import ServiceFactory, SLOFactory

pytestmark = pytest.mark.django_db


def burn_alerts(slo_name: str) -> dict[str, Alert]:
    return {a.labels["long_window"]: a for a in Alert.objects.all() if a.labels.get("slo") == slo_name}


def test_status_counts_are_exact_per_window(minute_now):
    # 3 h of traffic: 999 good + 1 bad per minute, except the last 10 minutes with 100 bad per minute.
    push(traffic(service="checkout", now=minute_now, minutes=180, ok=999, errors=lambda m: 100 if m < 10 else 1),
         now=minute_now)  # fmt: skip
    slo = SLOFactory(service=ServiceFactory(name="checkout"))
    [result] = slo_evaluate(slos=[slo], now=minute_now)
    doc = result.document
    assert doc["data_state"] == "ok"
    # 5m = the current minute and the 4 before: 5 x 100 bad out of 5 x 1099.
    assert doc["burn_rates"]["5m"] == float(Fraction(500, 5 * 1099) / Fraction(1, 1000))
    # 1h: 10 minutes at 100 bad, 50 at 1 bad.
    assert doc["burn_rates"]["1h"] == float(Fraction(1050, 10 * 1099 + 50 * 1000) * 1000)
    budget = doc["error_budget"]
    bad, total = 10 * 100 + 170, 10 * 1099 + 170 * 1000
    assert (budget["bad"], budget["total_events"]) == (bad, total)
    assert budget["allowed_bad"] == float(Fraction(total, 1000))
    assert budget["remaining_ratio"] == float(1 - Fraction(bad * 1000, total))
    assert doc["sli"] == float(Fraction(total - bad, total))
    fast = next(c for c in doc["conditions"] if c["name"] == "fast-burn")
    assert fast["firing"] is True and fast["threshold"] == "0.0144"
    assert doc["time_to_exhaustion_seconds"] == 0  # already overspent


def test_burn_alert_raised_with_numbers_then_resolved(minute_now):
    push(traffic(service="checkout", now=minute_now, minutes=120, ok=900, errors=lambda m: 100 if m < 15 else 0),
         now=minute_now)  # fmt: skip
    slo = SLOFactory(service=ServiceFactory(name="checkout"), name="checkout-availability")
    stats = slo_evaluate_all(now=minute_now)
    assert stats["raised"] >= 1
    alert = burn_alerts("checkout-availability")["1h"]
    assert alert.status == "firing" and alert.source == "slo"
    assert {k: alert.labels[k] for k in ("service", "slo", "severity", "long_window", "short_window")} == {
        "service": "checkout", "slo": "checkout-availability", "severity": "page",
        "long_window": "1h", "short_window": "5m",
    }  # fmt: skip
    for key in (
        "long_window_ratio",
        "short_window_ratio",
        "threshold",
        "budget_consumed",
        "time_to_exhaustion_seconds",
    ):
        assert alert.annotations[key]
    assert alert.annotations["threshold"] == "0.0144"
    assert float(alert.annotations["short_window_ratio"]) == 0.1
    # Two hours later, healthy traffic since: the 1h/5m condition resolves.
    later = minute_now + dt.timedelta(hours=2)
    push(traffic(service="checkout", now=later, minutes=120, ok=1000, errors=0), now=later)
    slo_evaluate_all(now=later)
    alert.refresh_from_db()
    assert alert.status == "resolved"
    slo.refresh_from_db()
    assert all(labels["long_window"] != "1h" for labels in slo.burn_alerts)


def test_no_traffic_is_no_data_and_never_alerts(minute_now):
    slo = SLOFactory(service=ServiceFactory(name="quiet"))
    slo_evaluate_all(now=minute_now)
    slo.refresh_from_db()
    assert slo.status["data_state"] == "no_data"
    assert slo.status["sli"] is None and slo.status["error_budget"]["remaining_ratio"] is None
    assert all(v is None for v in slo.status["burn_rates"].values())
    assert not Alert.objects.exists()


def test_promql_without_prometheus_is_a_source_error_not_zero(minute_now, settings):
    settings.PROMETHEUS_URL = ""
    slo = SLOFactory(sli_kind="promql", sli={"bad": 'x{code="500"}', "total": "x"})
    slo.burn_alerts = [{"alertname": "SLOErrorBudgetBurn", "slo": slo.name, "long_window": "1h"}]
    slo.save()
    slo_evaluate_all(now=minute_now)
    slo.refresh_from_db()
    assert slo.status["data_state"] == "source_error"
    assert "PROMETHEUS_URL" in slo.status["error"]
    assert slo.burn_alerts  # an outage does not resolve what was firing
    assert SLOSnapshot.objects.get(slo=slo).data_state == "source_error"


def test_evaluation_is_idempotent(minute_now):
    push(traffic(service="a", now=minute_now, minutes=30, ok=10, errors=5), now=minute_now)
    SLOFactory(service=ServiceFactory(name="a"))
    first = slo_evaluate_all(now=minute_now)
    second = slo_evaluate_all(now=minute_now)
    assert (first["evaluated"], second["evaluated"], second["skipped"]) == (1, 0, 1)
    assert SLOSnapshot.objects.count() == 1
    assert Alert.objects.filter(status="firing").count() == first["raised"]


@pytest.mark.parametrize("count", [3, 30])
def test_query_count_does_not_grow_with_slos(minute_now, count, django_assert_max_num_queries):
    for i in range(count):
        service = ServiceFactory(name=f"s{i}")
        push(traffic(service=service.name, now=minute_now, minutes=5, ok=10, errors=i % 2), now=minute_now)
        SLOFactory(service=service)
    slos = list(__import__("slo.models").models.SLO.objects.select_related("service"))
    # one query for the series, one per window (7 burn windows + 30d + none extra for the policy)
    with django_assert_max_num_queries(10):
        results = slo_evaluate(slos=slos, now=minute_now)
    assert sum(r.document["data_state"] == "ok" for r in results) == count


def test_latency_sli_from_histogram_buckets(minute_now):
    samples = []
    for m in range(10):
        ts = minute_now.timestamp() - m * 60
        for le, value in (("0.1", 80), ("0.5", 95), ("+Inf", 100)):
            samples.append({"metric": "h_bucket", "labels": {"service": "api", "le": le}, "value": value,
                            "timestamp": ts, "kind": "delta"})  # fmt: skip
    push(samples, now=minute_now)
    slo = SLOFactory(sli_kind="latency", sli={"selector": 'h_bucket{service="api"}', "threshold": "0.5"},
                     target=Decimal("0.9"))  # fmt: skip
    [result] = slo_evaluate(slos=[slo], now=minute_now)
    assert result.document["sli"] == 0.95
    assert result.document["error_budget"]["bad"] == 50 and result.document["error_budget"]["total_events"] == 1000


def test_timeslices_count_bad_minutes(minute_now):
    # 20 minutes: 3 of them at 5% errors (below a 99% slice target), the rest perfect.
    push(traffic(service="t", now=minute_now, minutes=20, ok=95, errors=lambda m: 5 if m in (2, 7, 11) else 0),
         now=minute_now)  # fmt: skip
    slo = SLOFactory(service=ServiceFactory(name="t"), budgeting_method="Timeslices",
                     timeslice_target=Decimal("0.99"), target=Decimal("0.9"))  # fmt: skip
    [result] = slo_evaluate(slos=[slo], now=minute_now)
    budget = result.document["error_budget"]
    assert (budget["bad"], budget["total_events"]) == (3, 20)
    assert result.document["burn_rates"]["5m"] == 2.0  # minutes 0..4 hold one bad slice: (1/5) / 0.1


def test_beat_evaluation_counts_batches_not_folded_yet(minute_now, monkeypatch):
    """PostgreSQL stages ingested increments and folds them within a second (telemetry.fold); the
    evaluator reads the rollup tables directly, so it folds first and misses nothing."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL stages ingested increments")
    monkeypatch.setattr("telemetry.services.fold_after_ingest", lambda **kwargs: None)
    push(traffic(service="checkout", now=minute_now, minutes=30, ok=999, errors=1), now=minute_now)
    slo = SLOFactory(service=ServiceFactory(name="checkout"))
    slo_evaluate_all(now=minute_now)
    snapshot = SLOSnapshot.objects.get(slo=slo)
    assert (snapshot.bad, snapshot.total) == (30, 30 * 1000)


def test_a_fold_stuck_behind_a_lock_does_not_stop_the_evaluation(minute_now, monkeypatch):
    import psycopg

    def stuck(**kwargs):
        raise psycopg.errors.LockNotAvailable("canceling statement due to lock timeout")

    monkeypatch.setattr("slo.services.evaluation.rollups_fold", stuck)
    push(traffic(service="checkout", now=minute_now, minutes=30, ok=999, errors=1), now=minute_now)
    slo = SLOFactory(service=ServiceFactory(name="checkout"))
    assert slo_evaluate_all(now=minute_now)["evaluated"] == 1
    assert SLOSnapshot.objects.get(slo=slo).data_state == "ok"
