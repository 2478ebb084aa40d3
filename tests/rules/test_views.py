"""The rules pages: each renders for viewer, responder and admin with the buttons the role may use; the list's
filters and query bound; the editor (fields by kind, key/value rows, errors beside fields, nothing saved on error);
delete, enable/disable, evaluate now with a silence link; the rule file import (dry run, import, problems)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from alerts.models import Alert
from rules.models import AlertRule
from rules.services.rules import rule_save
from sre.choices import Role
from tests.rules.conftest import push
from tests.rules.test_api import RULE, RULE_FILE, gauge

pytestmark = pytest.mark.django_db


def csrf(client, path: str = "/rules/") -> str:
    client.get(path)
    return client.cookies["csrftoken"].value


def post(client, path: str, data: dict, **extra):
    return client.post(path, {**data, "csrfmiddlewaretoken": csrf(client)}, **extra)


def form_data(**changes) -> dict:
    data = {
        "name": "QueueDeep", "group": "queues", "kind": "metric", "source": "local",
        "expr": "max by (queue) (queue_depth) > 100", "window_seconds": "5m", "comparison": ">", "threshold": "0",
        "for_seconds": "2m", "keep_firing_for_seconds": "", "enabled": "on",
        "labels-key": ["severity", ""], "labels-value": ["critical", ""],
        "annotations-key": ["summary"], "annotations-value": ["Queue {{ $labels.queue }} is deep"],
    }  # fmt: skip
    data.update(changes)
    return data


def firing_rule() -> AlertRule:
    """A saved rule with one firing alert that went through the intake."""
    rule = rule_save(rule=None, data={**RULE, "for_seconds": 0})
    now = dt.datetime.now(dt.UTC)
    push([gauge(150, now - dt.timedelta(seconds=20), queue="mail")], now=now)
    from rules.services.evaluate import rules_evaluate

    rules_evaluate(now=now)
    return rule


# --- list -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.VIEWER, Role.RESPONDER, Role.ADMIN])
def test_empty_list_explains_rules_with_an_example_and_admin_links(session_client, role):
    page = session_client(role).get("/rules/").content.decode()
    assert "No alert rules yet" in page and "rate(http_requests_total" in page
    assert ('href="/rules/new/"' in page) == (role == Role.ADMIN)
    assert ('href="/rules/import/"' in page) == (role == Role.ADMIN)
    assert 'href="/api/v1/rules/export"' in page


def test_list_groups_rules_and_shows_their_state(session_client):
    firing_rule()
    rule_save(rule=None, data={"name": "Errors", "group": "logs", "kind": "log_count", "log_service": "api",
                               "threshold": 10})  # fmt: skip
    broken = rule_save(rule=None, data={**RULE, "name": "Broken", "group": "queues"})
    AlertRule.objects.filter(pk=broken.pk).update(health="error", last_error="series vanished")
    rule_save(rule=None, data={**RULE, "name": "Off", "group": "queues", "enabled": False})
    page = session_client(Role.VIEWER).get("/rules/").content.decode()
    assert page.index(">logs <") < page.index(">queues <")  # grouped, groups in order
    assert "firing 1" in page and "erroring" in page and "series vanished" in page and "disabled" in page
    assert "not evaluated yet" in page  # the log count rule
    assert 'href="/rules/new/"' not in page


def test_list_filters_are_in_the_url(session_client):
    firing_rule()
    rule_save(rule=None, data={"name": "Errors", "group": "logs", "kind": "log_count", "log_service": "api"})
    client = session_client(Role.VIEWER)
    assert "QueueDeep" not in client.get("/rules/?kind=log_count").content.decode()
    page = client.get("/rules/?state=firing").content.decode()
    assert "QueueDeep" in page and ">Errors<" not in page
    assert "QueueDeep" not in client.get("/rules/?group=logs").content.decode()
    assert "No rule matches" in client.get("/rules/?q=nothing").content.decode()


def test_list_stays_within_a_query_bound(session_client, django_assert_max_num_queries):
    for n in range(15):
        rule_save(rule=None, data={**RULE, "name": f"Rule{n}", "group": f"g{n % 3}"})
    client = session_client(Role.VIEWER)
    client.get("/rules/")
    with django_assert_max_num_queries(10):
        assert client.get("/rules/").status_code == 200


# --- detail ---------------------------------------------------------------------------------------------------------


def test_detail_for_each_role_shows_only_the_buttons_it_may_use(session_client):
    rule = firing_rule()
    intake = Alert.objects.get()
    pages = {role: session_client(role).get(f"/rules/{rule.pk}/").content.decode() for role in Role}
    for role, page in pages.items():
        assert '<pre class="mono rl-expr"' in page and "max by (queue) (queue_depth) &gt; 100" in page
        assert 'queue="mail"' in page and "firing" in page
        assert f'href="/alerts/groups/{intake.groups.get().pk}/"' in page
        assert "backtest-chart" in page and 'id="rule-data"' in page
        assert (f"/alerts/silences/new/?alert={intake.pk}" in page) == (role != Role.VIEWER)
        assert ("Evaluate now" in page) == (role != Role.VIEWER)
        assert (f'href="/rules/{rule.pk}/edit/"' in page) == (role == Role.ADMIN)
        assert (f'href="/rules/{rule.pk}/delete/"' in page) == (role == Role.ADMIN)
        assert (">Disable<" in page) == (role == Role.ADMIN)


def test_detail_shows_an_erroring_rule_with_its_message(session_client):
    rule = rule_save(rule=None, data=RULE)
    AlertRule.objects.filter(pk=rule.pk).update(health="error", last_error="Prometheus unreachable: timed out")
    page = session_client(Role.VIEWER).get(f"/rules/{rule.pk}/").content.decode()
    assert "erroring" in page and "Prometheus unreachable: timed out" in page
    assert session_client(Role.VIEWER).get("/rules/999999/").status_code == 404


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        ({"kind": "log_count", "log_service": "api", "log_levels": ["error"], "log_text": "timeout",
          "window_seconds": 600, "comparison": ">=", "threshold": 10, "log_group_by": ["level"]},
         "count of error lines of api with “timeout” over 10m per level &gt;= 10"),
        ({"kind": "log_line", "log_service": "api", "log_pattern": "panic|fatal"},
         "each line of api matching /panic|fatal/"),
    ],
)  # fmt: skip
def test_log_rules_show_their_condition_in_words(session_client, data, shown):
    rule = rule_save(rule=None, data={"name": "LogRule", **data})
    client = session_client(Role.VIEWER)
    assert shown in client.get(f"/rules/{rule.pk}/").content.decode()
    assert shown in client.get("/rules/").content.decode()


def test_responder_evaluates_now_and_viewer_may_not(session_client):
    rule = rule_save(rule=None, data={**RULE, "for_seconds": 0})
    now = dt.datetime.now(dt.UTC)
    push([gauge(150, now - dt.timedelta(seconds=20), queue="mail")], now=now)
    assert post(session_client(Role.VIEWER), f"/rules/{rule.pk}/evaluate/", {}).status_code == 403
    response = post(session_client(Role.RESPONDER), f"/rules/{rule.pk}/evaluate/", {})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.health == "ok" and rule.alerts.get().state == "firing"


def test_admin_disables_enables_and_deletes_through_a_confirmation(session_client):
    rule = firing_rule()
    admin = session_client(Role.ADMIN)
    assert post(session_client(Role.RESPONDER), f"/rules/{rule.pk}/enabled/", {"enabled": "0"}).status_code == 403
    assert post(admin, f"/rules/{rule.pk}/enabled/", {"enabled": "0"}).status_code == 302
    rule.refresh_from_db()
    assert not rule.enabled and not rule.alerts.exists()
    assert Alert.objects.get().status == "resolved"
    post(admin, f"/rules/{rule.pk}/enabled/", {"enabled": "1"})
    assert AlertRule.objects.get().enabled
    confirm = admin.get(f"/rules/{rule.pk}/delete/")
    assert confirm.status_code == 200 and "Delete rule" in confirm.content.decode()
    assert session_client(Role.RESPONDER).get(f"/rules/{rule.pk}/delete/").status_code == 403
    assert post(admin, f"/rules/{rule.pk}/delete/", {}).status_code == 302
    assert not AlertRule.objects.exists()


# --- editor ---------------------------------------------------------------------------------------------------------


def test_editor_is_for_admins_and_marks_each_field_with_its_kinds(session_client):
    assert session_client(Role.RESPONDER).get("/rules/new/").status_code == 403
    page = session_client(Role.ADMIN).get("/rules/new/").content.decode()
    assert re.search(r'data-rule-field="expr" data-kinds="metric"', page)
    assert re.search(r'data-rule-field="log_pattern" data-kinds="log_line"', page)
    assert re.search(r'data-rule-field="threshold" data-kinds="log_count"', page)
    assert 'name="labels-key"' in page and 'data-backtest-url="/api/v1/rules/backtest"' in page
    assert "data-backtest-run" in page


def test_editor_saves_a_metric_rule_with_label_rows(session_client):
    response = post(session_client(Role.ADMIN), "/rules/new/", form_data())
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = AlertRule.objects.get()
    assert response["Location"] == f"/rules/{rule.pk}/"
    assert (rule.expr, rule.for_seconds, rule.labels) == (RULE["expr"], 120, {"severity": "critical"})
    assert rule.annotations == {"summary": "Queue {{ $labels.queue }} is deep"}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"expr": "max by (queue) (queue_depth) >"}, "expr", "parse"),
        ({"expr": "predict_linear(queue_depth[1h], 3600) > 0"}, "expr", "predict_linear"),
        ({"kind": "log_count", "threshold": "abc"}, "threshold", "not a number"),
        ({"for_seconds": "soon"}, "for_seconds", "not a duration"),
        ({"labels-key": ["", "team"], "labels-value": ["x", "db"]}, "labels", "needs a name"),
        ({"labels-key": ["team", "team"], "labels-value": ["a", "b"]}, "labels", "twice"),
        ({"labels-key": ["bad-name"], "labels-value": ["a"]}, "labels", "Invalid name"),
    ],
)
def test_editor_shows_an_error_beside_its_field_and_saves_nothing(session_client, changes, field, message):
    response = post(session_client(Role.ADMIN), "/rules/new/", form_data(**changes))
    assert response.status_code == 400
    page = response.content.decode()
    box = page[page.index(f'data-rule-field="{field}"') :]
    box = box[: box.index("data-field-errors")] + box[box.index("data-field-errors") :][:400]
    assert "field-error" in box and message in box, box
    assert not AlertRule.objects.exists()
    # What was typed is still there.
    assert "max by (queue)" in page or "predict_linear" in page or 'value="QueueDeep"' in page


def test_a_hidden_field_of_another_kind_does_not_refuse_the_save(session_client):
    data = form_data(window_seconds="90s", threshold="abc")  # log count fields, not used by a metric rule
    assert post(session_client(Role.ADMIN), "/rules/new/", data).status_code == 302
    assert AlertRule.objects.get().window_seconds == 300


def test_editor_edits_and_keeps_what_it_does_not_show(session_client):
    rule = rule_save(rule=None, data={**RULE, "keep_firing_for_seconds": 600})
    admin = session_client(Role.ADMIN)
    page = admin.get(f"/rules/{rule.pk}/edit/").content.decode()
    assert 'value="10m"' in page and 'value="2m"' in page and 'value="critical"' in page
    data = form_data(kind="log_count", log_service="api", log_levels=["error"], window_seconds="600",
                     threshold="5", comparison=">=", keep_firing_for_seconds="10m")  # fmt: skip
    assert post(admin, f"/rules/{rule.pk}/edit/", data).status_code == 302
    rule.refresh_from_db()
    assert (rule.kind, rule.log_levels, rule.window_seconds, rule.threshold) == ("log_count", ["error"], 600, 5.0)
    assert rule.expr == RULE["expr"]  # a metric field, not sent for a log rule, stays as it was


# --- import ---------------------------------------------------------------------------------------------------------


def test_import_dry_run_then_import(session_client):
    admin = session_client(Role.ADMIN)
    response = post(admin, "/rules/import/", {"text": RULE_FILE, "source": "local", "dry_run": "1"})
    page = response.content.decode()
    assert response.status_code == 200 and "Dry run: nothing was saved" in page
    assert "api/HighErrorRate" in page and "recording rule" in page
    assert not AlertRule.objects.exists()
    assert "HighErrorRate" in page[page.index("<textarea") :]  # the file stays in the box for "Import"
    response = post(admin, "/rules/import/", {"text": RULE_FILE, "source": "local", "import": "1"})
    assert response.status_code == 302
    assert set(AlertRule.objects.values_list("name", flat=True)) == {"HighErrorRate", "QueueDeep"}


def test_import_of_an_upload_with_problems_lists_them_and_saves_nothing(session_client):
    admin = session_client(Role.ADMIN)
    upload = SimpleUploadedFile("rules.yml", RULE_FILE.replace("for: 5m", "for: soon").encode())
    response = post(admin, "/rules/import/", {"text": "", "file": upload, "source": "local", "import": "1"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "groups[0].rules[0].for" in page and not AlertRule.objects.exists()
    assert post(admin, "/rules/import/", {"text": "  ", "source": "local"}).status_code == 400
    assert session_client(Role.RESPONDER).get("/rules/import/").status_code == 403
