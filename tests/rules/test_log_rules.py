"""Log count rules: lines matching a query over the window, compared with the threshold, grouped by service
and/or level through the log store's ``count_by`` (real ingest, real evaluation, real intake)."""

from __future__ import annotations

import datetime as dt

import pytest

from alerts.models import Alert
from rules.choices import RuleHealth
from rules.services.evaluate import rules_evaluate
from rules.services.logs import log_rule_counts, log_rule_results
from rules.services.rules import rule_save
from sre.errors import SourceUnavailableError
from telemetry.domain.logs import LogRecord
from telemetry.logstore import elasticsearch as es_module
from telemetry.services import logs_ingest
from tests.telemetry.es_stub import ElasticsearchStub

pytestmark = pytest.mark.django_db


@pytest.fixture
def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def store(now: dt.datetime, *lines: tuple[str, str, str, float]) -> None:
    """``(service, level, message, seconds before now)`` lines, through the real ingest."""
    records = [
        LogRecord(now - dt.timedelta(seconds=ago), service, level, message) for service, level, message, ago in lines
    ]
    logs_ingest(records=records, scope="t", batch_id=None, now=now)


def count_rule(**extra):
    data = {"name": "ErrorBurst", "kind": "log_count", "log_levels": ["error"], "window_seconds": "5m",
            "comparison": ">", "threshold": 1, **extra}  # fmt: skip
    return rule_save(rule=None, data=data)


LINES = (
    ("checkout", "error", "upstream timeout", 10), ("checkout", "error", "upstream timeout", 20),
    ("checkout", "error", "card declined", 30), ("search", "error", "upstream timeout", 40),
    ("search", "warning", "slow query", 50), ("checkout", "info", "served", 60),
    ("checkout", "error", "upstream timeout", 400),  # outside a 5-minute window
)  # fmt: skip


@pytest.mark.parametrize(
    ("group_by", "expected"),
    [
        ([], {(): 4}),
        (["service"], {(("service", "checkout"),): 3, (("service", "search"),): 1}),
        (["level"], {(("level", "error"),): 4}),
        (["level", "service"], {(("service", "checkout"), ("level", "error")): 3,
                                (("service", "search"), ("level", "error")): 1}),
    ],
)  # fmt: skip
def test_counts_per_group_in_the_window(now, group_by, expected):
    store(now, *LINES)
    rule = count_rule(log_group_by=group_by)
    assert log_rule_counts(rule=rule, now=now) == expected


def test_words_and_service_narrow_the_count(now):
    store(now, *LINES)
    rule = count_rule(log_text="upstream", log_levels=[], log_group_by=["service", "level"])
    assert log_rule_counts(rule=rule, now=now) == {
        (("service", "checkout"), ("level", "error")): 2, (("service", "search"), ("level", "error")): 1,
    }  # fmt: skip
    rule = count_rule(name="CheckoutQuiet", log_service="checkout", log_levels=["info"])
    assert log_rule_counts(rule=rule, now=now) == {(): 1}


@pytest.mark.parametrize(
    ("comparison", "threshold", "holds"),
    [(">", 3, True), (">", 4, False), (">=", 4, True), ("<", 4, False), ("<", 5, True), ("<=", 4, True),
     ("==", 4, True), ("!=", 4, False)],
)  # fmt: skip
def test_the_total_against_the_threshold(now, comparison, threshold, holds):
    store(now, *LINES)
    rule = count_rule(comparison=comparison, threshold=threshold)
    assert log_rule_results(rules=[rule], now=now)[rule.pk] == ([({}, 4.0)] if holds else [])


def test_an_ungrouped_rule_sees_silence_as_zero(now):
    store(now, ("checkout", "info", "served", 10))
    rule = count_rule(name="NoErrors", comparison="<", threshold=1, log_service="payments")
    assert log_rule_results(rules=[rule], now=now)[rule.pk] == [({}, 0.0)]


def test_grouped_results_are_the_groups_that_hold_and_silent_groups_are_not_seen(now):
    store(now, *LINES)
    above = count_rule(log_group_by=["service"], comparison=">", threshold=2)
    below = count_rule(name="FewErrors", log_group_by=["service"], comparison="<", threshold=2)
    results = log_rule_results(rules=[above, below], now=now)
    assert results[above.pk] == [({"service": "checkout"}, 3.0)]
    # "search" has 1 error line, below 2; a service with no error line at all has no group to compare.
    assert results[below.pk] == [({"service": "search"}, 1.0)]


def test_evaluation_fires_one_alert_per_group_with_its_labels(now):
    store(now, *LINES)
    count_rule(log_group_by=["service", "level"], threshold=0, labels={"severity": "warning"},
               annotations={"summary": "{{ $value }} errors in {{ $labels.service }}"})  # fmt: skip
    report = rules_evaluate(now=now)
    assert (report.fired, report.errors) == (2, 0)
    alerts = {a.labels["service"]: a for a in Alert.objects.all()}
    assert alerts["checkout"].labels == {"alertname": "ErrorBurst", "service": "checkout", "level": "error",
                                         "severity": "warning"}  # fmt: skip
    assert alerts["checkout"].annotations["summary"] == "3 errors in checkout"
    assert alerts["search"].annotations["summary"] == "1 errors in search"


def test_a_store_outage_is_an_error_that_fires_nothing(now, settings):
    rule = count_rule(threshold=-1)  # would hold on any count
    es_module._template_ready.clear()
    with ElasticsearchStub() as stub:
        settings.ELASTICSEARCH_URL = stub.url
        settings.SRE = {**settings.SRE, "LOG_STORE": "elasticsearch"}
        stub.fail_with = 503
        assert isinstance(log_rule_results(rules=[rule], now=now)[rule.pk], SourceUnavailableError)
        report = rules_evaluate(now=now)
    es_module._template_ready.clear()
    assert (report.errors, report.fired) == (1, 0)
    rule.refresh_from_db()
    assert rule.health == RuleHealth.ERROR and "unavailable" in rule.last_error
    assert not Alert.objects.exists()
