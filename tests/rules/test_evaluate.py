"""Live evaluation of metric rules over the stored rollups: pending → firing → resolved through the intake,
keep_firing_for, errors that never fire, idempotence, disable/delete resolving."""

from __future__ import annotations

import datetime as dt

import pytest

from alerts.models import Alert
from rules.choices import AlertState, RuleHealth
from rules.models import RuleAlert
from rules.services.evaluate import rules_evaluate
from rules.services.rules import rule_delete, rule_save
from sre.errors import InvalidInputError
from tests.rules.conftest import push

pytestmark = pytest.mark.django_db


def gauge(value: float, at: dt.datetime, **labels: str) -> dict:
    return {"metric": "queue_depth", "labels": labels, "value": value, "timestamp": at.timestamp(), "kind": "gauge"}


def errors_rule(**extra) -> dict:
    return {
        "name": "QueueDeep", "expr": "max by (queue) (queue_depth) > 100", "for_seconds": "2m",
        "labels": {"severity": "critical"},
        "annotations": {"summary": "Queue {{ $labels.queue }} holds {{ $value }} items"}, **extra,
    }  # fmt: skip


def at(base: dt.datetime, minutes: float) -> dt.datetime:
    return base + dt.timedelta(minutes=minutes)


def test_pending_then_firing_then_resolved_through_the_intake(base_time):
    rule = rule_save(rule=None, data=errors_rule())
    for m in range(4):
        push([gauge(150, at(base_time, m) + dt.timedelta(seconds=10), queue="mail")], now=at(base_time, m + 0.5))
    report = rules_evaluate(now=at(base_time, 0.5))
    assert (report.fired, report.errors) == (0, 0)
    assert RuleAlert.objects.get(rule=rule).state == AlertState.PENDING
    assert not Alert.objects.exists()
    assert rules_evaluate(now=at(base_time, 1.5)).fired == 0
    assert rules_evaluate(now=at(base_time, 2.5)).fired == 1
    alert = Alert.objects.get()
    assert alert.labels == {"alertname": "QueueDeep", "queue": "mail", "severity": "critical"}
    assert alert.annotations["summary"] == "Queue mail holds 150 items"
    assert alert.status == "firing"
    assert rules_evaluate(now=at(base_time, 3.5)).fired == 0  # still firing: nothing new
    push([gauge(10, at(base_time, 4) + dt.timedelta(seconds=10), queue="mail")], now=at(base_time, 4.5))
    assert rules_evaluate(now=at(base_time, 4.5)).resolved == 1
    alert.refresh_from_db()
    assert alert.status == "resolved"
    assert not RuleAlert.objects.exists()


def test_keep_firing_for_holds_a_flapping_alert(base_time):
    rule_save(rule=None, data=errors_rule(for_seconds=0, keep_firing_for_seconds="2m"))
    push([gauge(150, at(base_time, 0) + dt.timedelta(seconds=5), queue="a")], now=at(base_time, 0.5))
    assert rules_evaluate(now=at(base_time, 0.5)).fired == 1
    push([gauge(5, at(base_time, 1) + dt.timedelta(seconds=5), queue="a")], now=at(base_time, 1.5))
    assert rules_evaluate(now=at(base_time, 1.5)).resolved == 0
    assert rules_evaluate(now=at(base_time, 3.0)).resolved == 0  # 1.5 min since it stopped holding
    assert rules_evaluate(now=at(base_time, 3.5)).resolved == 1


def test_running_the_same_evaluation_twice_changes_nothing(base_time):
    rule_save(rule=None, data=errors_rule(for_seconds=0))
    push([gauge(150, at(base_time, 0) + dt.timedelta(seconds=5), queue="a")], now=at(base_time, 0.5))
    assert rules_evaluate(now=at(base_time, 0.5)).fired == 1
    assert rules_evaluate(now=at(base_time, 0.5)).fired == 0
    assert Alert.objects.count() == 1


def test_an_erroring_rule_is_shown_with_its_message_and_never_fires_nor_resolves(base_time, monkeypatch):
    rule = rule_save(rule=None, data=errors_rule(for_seconds=0))
    push([gauge(150, at(base_time, 0) + dt.timedelta(seconds=5), queue="a")], now=at(base_time, 0.5))
    rules_evaluate(now=at(base_time, 0.5))
    from rules.domain.promql import ExprError
    from rules.services import results

    def broken(*args, **kwargs):
        raise ExprError("many-to-many matching not allowed")

    monkeypatch.setattr(results, "evaluate", broken)
    report = rules_evaluate(now=at(base_time, 10))
    assert (report.errors, report.resolved, report.fired) == (1, 0, 0)
    rule.refresh_from_db()
    assert rule.health == RuleHealth.ERROR and "many-to-many" in rule.last_error
    assert Alert.objects.get().status == "firing"  # untouched by the error


def test_rate_rule_over_counters_groups_by_label(base_time):
    rule_save(
        rule=None,
        data={"name": "HighErrorRate", "for_seconds": 0,
              "expr": 'sum by (service) (rate(http_requests_total{code=~"5.."}[5m]))'
                      ' / sum by (service) (rate(http_requests_total[5m])) > 0.05'},
    )  # fmt: skip
    samples = []
    for m in range(6):
        ts = at(base_time, m).timestamp() + 30
        for service, bad in (("checkout", 10), ("search", 1)):
            samples += [
                {"metric": "http_requests_total", "labels": {"service": service, "code": "200"}, "value": 90,
                 "timestamp": ts, "kind": "delta"},
                {"metric": "http_requests_total", "labels": {"service": service, "code": "500"}, "value": bad,
                 "timestamp": ts, "kind": "delta"},
            ]  # fmt: skip
    push(samples, now=at(base_time, 6))
    assert rules_evaluate(now=at(base_time, 5.75)).fired == 1
    assert Alert.objects.get().labels == {"alertname": "HighErrorRate", "service": "checkout"}


def test_disabling_and_deleting_resolve_firing_alerts(base_time):
    rule = rule_save(rule=None, data=errors_rule(for_seconds=0))
    push([gauge(150, at(base_time, 0) + dt.timedelta(seconds=5), queue="a")], now=at(base_time, 0.5))
    rules_evaluate(now=at(base_time, 0.5))
    rule_save(rule=rule, data={"enabled": False})
    assert Alert.objects.get().status == "resolved"
    rule_save(rule=rule, data={"enabled": True})
    rules_evaluate(now=at(base_time, 0.75))
    assert Alert.objects.get().status == "firing"
    rule_delete(rule=rule, now=at(base_time, 1))
    assert Alert.objects.get().status == "resolved"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"expr": "sum(rate(x[5m]) > "}, "expr"),
        ({"expr": "histogram_quantile(0.9, rate(x_bucket[5m])) > 1"}, "expr"),
        ({"expr": "rate(x_total[90s]) > 1"}, "expr"),
        ({"name": "bad name"}, "name"),
        ({"for_seconds": "soon"}, "for_seconds"),
        ({"labels": {"alertname": "x"}}, "labels"),
        ({"annotations": {"summary": "{{ range .Alerts }}"}}, "annotations"),
        ({"kind": "log_count", "threshold": "abc"}, "threshold"),
        ({"kind": "log_line", "log_pattern": "(unclosed"}, "log_pattern"),
        ({"source": "prometheus"}, "source"),
    ],
)
def test_bad_fields_are_refused_naming_the_field_and_nothing_is_saved(data, field, settings):
    settings.PROMETHEUS_URL = ""
    with pytest.raises(InvalidInputError) as caught:
        rule_save(rule=None, data=errors_rule(**data))
    assert field in caught.value.fields
    from rules.models import AlertRule

    assert not AlertRule.objects.exists()


def test_a_name_ending_in_a_newline_is_refused():
    with pytest.raises(InvalidInputError) as caught:
        rule_save(rule=None, data=errors_rule(name="QueueDeep\n"))
    assert "name" in caught.value.fields


def test_a_prometheus_rule_can_be_disabled_after_prometheus_url_is_unset(settings):
    settings.PROMETHEUS_URL = "http://127.0.0.1:9"
    rule = rule_save(rule=None, data=errors_rule(source="prometheus"))
    settings.PROMETHEUS_URL = ""
    assert rule_save(rule=rule, data={"enabled": False}).enabled is False
    with pytest.raises(InvalidInputError) as caught:
        rule_save(rule=rule, data={"enabled": True})
    assert "source" in caught.value.fields


def test_evaluate_now_refuses_disabled_and_log_line_rules(base_time):
    from rules.services.evaluate import rule_evaluate_now
    from sre.errors import ConflictError

    rule = rule_save(rule=None, data=errors_rule(enabled=False))
    with pytest.raises(ConflictError):
        rule_evaluate_now(rule=rule, now=base_time)
    line = rule_save(rule=None, data={"name": "Crit", "kind": "log_line", "log_levels": ["critical"]})
    with pytest.raises(ConflictError):
        rule_evaluate_now(rule=line, now=base_time)
