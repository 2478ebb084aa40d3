"""Immediate (log line) rules: lines pushed to the log API raise alerts from the ingest path (through the
``SRE["LOG_INGEST_HOOKS"]`` hook after commit), once per label set, and resolve after keep_firing_for."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from alerts.models import Alert, Notification
from rules.choices import AlertState
from rules.models import RuleAlert
from rules.services import immediate
from rules.services.evaluate import log_line_expire, rules_evaluate
from rules.services.immediate import REFRESH_SECONDS, LineRule, line_rules_cache_clear, logs_hook
from rules.services.rules import rule_delete, rule_save
from telemetry.domain.logs import LogRecord
from telemetry.models import LogEntry
from telemetry.services import logs_ingest
from tests.alerts.factories import ReceiverFactory, RouteFactory

pytestmark = pytest.mark.django_db
HOOK_CALLS: list[int] = []


@pytest.fixture(autouse=True)
def _fresh_rules():
    """The log line rules are cached per process for 2 s; each test's rules are new (and rolled back after)."""
    line_rules_cache_clear()
    HOOK_CALLS.clear()
    yield
    line_rules_cache_clear()


@pytest.fixture
def push(token_client, django_capture_on_commit_callbacks):
    """``push(lines, batch_id=None)``: POST NDJSON to /api/v1/logs and run what waits for the commit (the hooks)."""
    client = token_client(role="viewer", scopes=("ingest",))

    def send(lines: list[dict], *, batch_id: str | None = None):
        body = "\n".join(json.dumps({"timestamp": time.time(), **line}) for line in lines) + "\n"
        path = "/api/v1/logs" + (f"?batch_id={batch_id}" if batch_id else "")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(path, body, content_type="application/x-ndjson")
        assert response.status_code == 200, response.content
        return response.json()

    return send


def critical_rule(**extra):
    data = {"name": "CriticalLine", "kind": "log_line", "log_levels": ["critical"], "labels": {"severity": "page"},
            "annotations": {"summary": "{{ $value }} critical lines from {{ $labels.service }}"}, **extra}  # fmt: skip
    return rule_save(rule=None, data=data)


def line(message: str, *, service: str = "checkout", level: str = "critical") -> dict:
    return {"service": service, "level": level, "message": message}


def test_a_push_raises_one_alert_per_label_set(push):
    rule = critical_rule()
    push([line("disk full on db-1"), line("disk full on db-2"), line("x" * 600, service="search"),
          line("fine", level="info"), line("disk full on db-3")])  # fmt: skip
    alerts = {a.labels["service"]: a for a in Alert.objects.all()}
    assert set(alerts) == {"checkout", "search"}
    checkout = alerts["checkout"]
    assert checkout.labels == {"alertname": "CriticalLine", "service": "checkout", "level": "critical",
                               "severity": "page"}  # fmt: skip
    assert checkout.status == "firing" and checkout.source == "rules"
    assert checkout.annotations == {"summary": "3 critical lines from checkout", "message": "disk full on db-1"}
    assert alerts["search"].annotations["message"] == "x" * 500  # the first line's message, cut to 500
    rows = RuleAlert.objects.filter(rule=rule)
    assert {r.labels["service"]: (r.state, r.value) for r in rows} == {
        "checkout": (AlertState.FIRING, 3.0), "search": (AlertState.FIRING, 1.0),
    }  # fmt: skip
    assert LogEntry.objects.count() == 5


def test_a_description_replaces_the_message_annotation(push):
    critical_rule(annotations={"description": "{{ $labels.service }} logged a critical line"})
    push([line("boom")])
    assert Alert.objects.get().annotations == {"description": "checkout logged a critical line"}


@pytest.mark.parametrize(
    ("rule", "lines", "services"),
    [
        ({"log_service": "checkout", "log_levels": []}, [line("a"), line("b", service="search")], {"checkout"}),
        ({"log_levels": ["error", "critical"]}, [line("a", level="error"), line("b", level="warning")], {"checkout"}),
        # the pattern is searched anywhere in the message (not anchored), on RE2
        ({"log_levels": [], "log_pattern": "out of (memory|disk)"},
         [line("worker 3: out of memory, killed", level="info"), line("memory fine", service="search")], {"checkout"}),
        ({"log_levels": [], "log_pattern": "^OOM"}, [line("an OOM"), line("OOM killer", service="search")], {"search"}),
        ({"enabled": False}, [line("a")], set()),
    ],
)  # fmt: skip
def test_which_lines_match(push, rule, lines, services):
    critical_rule(**rule)
    push(lines)
    assert {a.labels["service"] for a in Alert.objects.all()} == services


def test_repeated_lines_do_not_raise_again(push):
    rule = critical_rule()
    push([line("boom")])
    first = RuleAlert.objects.get(rule=rule)
    push([line("boom again"), line("and again")])
    alert = Alert.objects.get()
    assert alert.receive_count == 1  # the intake was not called a second time
    again = RuleAlert.objects.get(rule=rule)
    assert again.last_true_at > first.last_true_at and again.active_at == first.active_at
    records = [LogRecord(dt.datetime.now(dt.UTC), "checkout", "critical", "once more")]
    assert logs_hook(records=records, now=dt.datetime.now(dt.UTC)) == 0


def test_expiry_resolves_after_keep_firing_for_and_a_new_line_raises_again(push):
    rule = critical_rule(keep_firing_for_seconds="5m")
    push([line("boom"), line("bang", service="search")])
    raised = RuleAlert.objects.get(rule=rule, labels__service="checkout").last_true_at
    later = raised + dt.timedelta(seconds=200)
    records = [LogRecord(later, "checkout", "critical", "still broken")]
    assert logs_hook(records=records, now=later) == 0  # checkout matched again at +200 s; search did not
    assert log_line_expire(now=raised + dt.timedelta(seconds=299)) == 0
    report = rules_evaluate(now=raised + dt.timedelta(seconds=301))
    assert report.resolved == 1
    statuses = {a.labels["service"]: a.status for a in Alert.objects.all()}
    assert statuses == {"checkout": "firing", "search": "resolved"}
    assert log_line_expire(now=later + dt.timedelta(seconds=301)) == 1
    assert not RuleAlert.objects.exists()
    resolved = Alert.objects.get(labels__service="checkout")
    assert resolved.status == "resolved" and resolved.ends_at == later + dt.timedelta(seconds=301)
    push([line("broken again")])  # resolved since: raised anew
    assert Alert.objects.get(labels__service="checkout").status == "firing"
    assert RuleAlert.objects.filter(rule=rule).count() == 1


def test_the_default_keep_firing_for_is_five_minutes(push):
    rule = critical_rule()
    assert rule.keep_firing_for_seconds == 300
    push([line("boom")])
    raised = RuleAlert.objects.get().last_true_at
    assert log_line_expire(now=raised + dt.timedelta(seconds=300)) == 0
    assert log_line_expire(now=raised + dt.timedelta(seconds=300, microseconds=1)) == 1


def test_deleting_the_rule_resolves_its_alerts(push):
    rule = critical_rule()
    push([line("boom")])
    rule_delete(rule=rule, now=dt.datetime.now(dt.UTC))
    assert Alert.objects.get().status == "resolved"


def test_a_rule_deleted_since_the_cache_read_it_raises_nothing(push):
    rule = critical_rule()
    assert [r.pk for r in immediate.line_rules()] == [rule.pk]
    rule.delete()
    push([line("boom")])
    assert not Alert.objects.exists() and not RuleAlert.objects.exists()


def test_rules_are_read_again_at_most_every_refresh_interval(django_assert_num_queries):
    cache = immediate._RuleCache()
    with django_assert_num_queries(1):
        assert cache.get(clock=100.0) == ()
    rule = critical_rule()
    with django_assert_num_queries(0):
        assert cache.get(clock=100.0 + REFRESH_SECONDS - 0.1) == ()
    with django_assert_num_queries(1):
        seen = cache.get(clock=100.0 + REFRESH_SECONDS)
    assert seen == (LineRule(pk=rule.pk, service="", levels=frozenset({"critical"}), pattern=""),)


def broken_hook(*, records, now):
    raise RuntimeError("downstream is broken")


def counting_hook(*, records, now):
    HOOK_CALLS.append(len(records))


def test_a_failing_hook_does_not_fail_the_ingest_nor_the_other_hooks(push, settings, caplog):
    settings.SRE = {**settings.SRE, "LOG_INGEST_HOOKS": ["tests.rules.test_immediate.broken_hook",
                                                         "rules.services.immediate.logs_hook"]}  # fmt: skip
    critical_rule()
    body = push([line("boom")])
    assert body["accepted"] == 1 and LogEntry.objects.count() == 1
    assert "tests.rules.test_immediate.broken_hook failed" in caplog.text
    assert Alert.objects.get().status == "firing"


def test_a_retried_batch_does_not_run_the_hooks_again(push, settings):
    settings.SRE = {**settings.SRE, "LOG_INGEST_HOOKS": ["tests.rules.test_immediate.counting_hook"]}
    assert push([line("a"), line("b")], batch_id="b-1")["duplicate"] is False
    assert push([line("a"), line("b")], batch_id="b-1")["duplicate"] is True
    push([line("c")], batch_id="b-2")
    assert HOOK_CALLS == [2, 1]


@pytest.fixture
def root_route():
    """A routing tree (else the first intake creates the default one), sending at once to a ledger receiver."""
    return RouteFactory(name="root", parent=None, receiver=ReceiverFactory(name="hook"), group_by=["alertname"],
                        group_wait=0, group_interval=60, repeat_interval=3600)  # fmt: skip


def test_no_query_per_line(root_route, django_assert_max_num_queries, django_capture_on_commit_callbacks):
    """1,000 lines, 3 rules, 19 new label sets in 3 groups: the store's inserts (7 on SQLite, a COPY on
    PostgreSQL); for the hook the rule lock, one read of the rows, one insert and the intake's batch (a constant
    plus a few per group, and the alert group hooks of incidents and on-call after commit)."""
    critical_rule()
    critical_rule(name="Timeouts", log_levels=[], log_pattern="time(d )?out")
    critical_rule(name="Checkout", log_levels=[], log_service="checkout")
    now = dt.datetime.now(dt.UTC)
    services, levels = ("checkout", "search", "payments", "mail"), ("info", "error", "critical")
    records = [
        LogRecord(now, services[i % 4], levels[i % 3], f"request {i} timed out" if i % 7 == 0 else f"request {i}")
        for i in range(1000)
    ]
    immediate.line_rules()  # as in a running process, the rules are cached already
    with django_assert_max_num_queries(45), django_capture_on_commit_callbacks(execute=True):
        logs_ingest(records=records, scope="t", batch_id=None, now=now)
    # every rule × service × level that matched is one alert: 4 + 12 + 3 label sets
    assert Alert.objects.count() == RuleAlert.objects.count() == 4 + 12 + 3


def test_group_wait_zero_writes_the_notification_in_the_ingest(root_route, push):
    critical_rule()
    push([line("boom"), line("bang", service="search")])
    notification = Notification.objects.get(event="trigger")
    assert notification.receiver.name == "hook"
    assert {a["labels"]["service"] for a in notification.payload["alerts"]} == {"checkout", "search"}
