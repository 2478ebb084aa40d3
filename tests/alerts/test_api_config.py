"""API: groups and commands, silences (Alertmanager shape), routes + tester + import, receivers (secrets
write-only), ledger filters, query-count bounds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from alerts.models import (
    AlertGroup,
    InhibitRule,
    MaintenanceWindow,
    Notification,
    Receiver,
    Route,
    Silence,
    TimeInterval,
)
from alerts.services import alert_raise
from sre.audit.services import TOKEN_USE_QUERIES
from tests.support.payloads import alias_bomb, deep_yaml

LABELS = {"alertname": "HighLatency", "service": "search", "severity": "critical"}

AM_CONFIG = """
route:
  receiver: default
  group_by: [alertname, cluster]
  group_wait: 10s
  group_interval: 2m
  repeat_interval: 3h
  routes:
    - matchers: ['team="db"']
      receiver: db-pager
      continue: true
      mute_time_intervals: [weekends]
    - match: {severity: page}
      match_re: {service: "api|web"}
      receiver: web-pager
      group_by: ['...']
      routes:
        - matchers: ['env!="prod"']
          receiver: default
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [cluster]
time_intervals:
  - name: weekends
    time_intervals:
      - weekdays: ['saturday:sunday']
"""


def fire(labels=LABELS, status="firing"):
    return alert_raise(labels=labels, annotations={}, status=status, source="test", now=timezone.now())


def test_group_list_detail_and_commands(root_route, token_client, django_assert_max_num_queries):
    for index in range(5):
        fire({**LABELS, "alertname": f"A{index}"})
    viewer = token_client(role="viewer", scopes=("read",))
    with django_assert_max_num_queries(8 + TOKEN_USE_QUERIES):  # the token's first use is audited
        response = viewer.get("/api/v1/alerts/groups")
    assert response.status_code == 200 and response.json()["count"] == 5
    group = AlertGroup.objects.first()
    detail = viewer.get(f"/api/v1/alerts/groups/{group.pk}").json()
    assert detail["alerts"][0]["labels"]["service"] == "search"
    assert [e["kind"] for e in detail["timeline"]][:2] == ["created", "alert_joined"]
    assert viewer.post(f"/api/v1/alerts/groups/{group.pk}/acknowledge").status_code == 403
    responder = token_client(role="responder", scopes=("read", "write"))
    acked = responder.post(f"/api/v1/alerts/groups/{group.pk}/acknowledge")
    assert acked.status_code == 200 and acked.json()["state"] == "acknowledged"
    again = responder.post(f"/api/v1/alerts/groups/{group.pk}/acknowledge")
    assert again.status_code == 409 and "Already acknowledged" in again.json()["error"]["message"]
    assert responder.post(f"/api/v1/alerts/groups/{group.pk}/resolve").json()["state"] == "resolved"
    events = list(Notification.objects.filter(group=group).order_by("pk").values_list("event", flat=True))
    assert events == ["trigger", "acknowledge", "resolve"]
    filtered = viewer.get("/api/v1/alerts/groups", {"label": 'alertname="A1"'}).json()
    assert filtered["count"] == 1
    assert viewer.get("/api/v1/alerts/groups", {"label": "=="}).status_code == 400
    assert viewer.get("/api/v1/alerts/groups", {"state": "resolved"}).json()["count"] == 1


def test_silence_group_and_single_alert(root_route, token_client):
    fire()
    fire({**LABELS, "instance": "b"})
    group = AlertGroup.objects.get()
    responder = token_client(role="responder", scopes=("read", "write"))
    one = group.alerts.get(labels__instance="b")
    response = responder.post(
        f"/api/v1/alerts/groups/{group.pk}/silence", {"comment": "flaky host", "alert": one.pk}, format="json"
    )
    assert response.status_code == 201
    group.refresh_from_db()
    assert group.state == "firing"  # one alert still active
    one.refresh_from_db()
    assert one.silenced_by == [response.json()["id"]]
    responder.post(f"/api/v1/alerts/groups/{group.pk}/silence", {"comment": "all"}, format="json")
    group.refresh_from_db()
    assert group.state == "silenced"


def test_silences_alertmanager_shape_preview_and_expire(root_route, token_client):
    fire()
    responder = token_client(role="responder", scopes=("read", "write"))
    now = timezone.now()
    body = {
        "matchers": [{"name": "service", "value": "sea.*", "isRegex": True, "isEqual": True}],
        "startsAt": now.isoformat(),
        "endsAt": (now + dt.timedelta(hours=1)).isoformat(),
        "comment": "maintenance",
    }
    preview = responder.post("/api/v1/alerts/silences/preview", {"matchers": body["matchers"]}, format="json")
    assert [a["labels"]["service"] for a in preview.json()] == ["search"]
    created = responder.post("/api/v1/alerts/silences", body, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["status"] == {"state": "active"} and data["createdBy"] == responder.user.username
    assert AlertGroup.objects.get().state == "silenced"
    pending = responder.post(
        "/api/v1/alerts/silences",
        {
            **body,
            "startsAt": (now + dt.timedelta(hours=2)).isoformat(),
            "endsAt": (now + dt.timedelta(hours=3)).isoformat(),
        },
        format="json",
    )
    assert pending.json()["status"]["state"] == "pending"
    expired = responder.delete(f"/api/v1/alerts/silences/{data['id']}")
    assert expired.json()["status"]["state"] == "expired"
    assert responder.delete(f"/api/v1/alerts/silences/{data['id']}").status_code == 409
    assert AlertGroup.objects.get().state == "firing"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"matchers": [], "endsAt": "2999-01-01T00:00:00Z", "comment": "x"}, "matcher"),
        (
            {"matchers": [{"name": "1bad", "value": "x"}], "endsAt": "2999-01-01T00:00:00Z", "comment": "x"},
            "label name",
        ),
        (
            {
                "matchers": [{"name": "a", "value": "(", "isRegex": True}],
                "endsAt": "2999-01-01T00:00:00Z",
                "comment": "x",
            },
            "regular expression",
        ),
        (
            {
                "matchers": [{"name": "a", "value": ".*", "isRegex": True}],
                "endsAt": "2999-01-01T00:00:00Z",
                "comment": "x",
            },
            "every alert",
        ),
        ({"matchers": [{"name": "a", "value": "b"}], "endsAt": "2000-01-01T00:00:00Z", "comment": "x"}, "after"),
        (
            {"matchers": [{"name": "a", "value": "b"}], "endsAt": "2999-01-01T00:00:00Z", "comment": "x", "foo": 1},
            "foo",
        ),
    ],
)
def test_bad_silences(db, token_client, body, needle):
    responder = token_client(role="responder", scopes=("read", "write"))
    response = responder.post("/api/v1/alerts/silences", body, format="json")
    assert response.status_code == 400, response.content
    assert needle.lower() in str(response.json()["error"]).lower()
    assert not Silence.objects.exists()


def test_import_alertmanager_config_and_match(db, token_client):
    admin = token_client(role="admin", scopes=("read", "write"))
    response = admin.post("/api/v1/alerts/routes/import", {"yaml": AM_CONFIG}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"routes": 4, "inhibit_rules": 1, "time_intervals": 1, "receivers_created": 3}
    assert TimeInterval.objects.get().name == "weekends" and InhibitRule.objects.get().equal == ["cluster"]
    root = Route.objects.get(parent__isnull=True)
    assert (root.group_wait, root.group_interval, root.repeat_interval) == (10, 120, 10800)
    web = Route.objects.get(receiver__name="web-pager")
    assert web.matchers == ['severity="page"', 'service=~"api|web"'] and web.group_by == ["..."]

    def match(labels):
        return [
            r["receiver"]
            for r in admin.post("/api/v1/alerts/routes/match", {"labels": labels}, format="json").json()["routes"]
        ]

    assert match({"team": "db"}) == ["db-pager"]
    assert match({"team": "db", "severity": "page", "service": "api", "env": "prod"}) == ["db-pager", "web-pager"]
    assert match({"severity": "page", "service": "web", "env": "dev"}) == ["default"]
    assert match({"alertname": "x"}) == ["default"]


def test_import_reads_route_durations_as_prometheus_writes_them_or_as_seconds(db, token_client):
    """A duration string (compound too), YAML's integer seconds as they are, and an empty one inherited."""
    admin = token_client(role="admin", scopes=("read", "write"))
    text = "route:\n  receiver: a\n  group_wait: 30\n  group_interval: ''\n  repeat_interval: 1h30m\n"
    response = admin.post("/api/v1/alerts/routes/import", {"yaml": text}, format="json")
    assert response.status_code == 200, response.content
    root = Route.objects.get(parent__isnull=True)
    assert (root.group_wait, root.group_interval, root.repeat_interval) == (30, None, 5400)


@pytest.mark.parametrize(
    ("yaml_text", "needle"),
    [
        ("route: [", "Not valid YAML"),
        ("receivers: []", "route"),
        ("route:\n  receiver: a\n  routes:\n    - matchers: ['a=~\"(\"']\n", "regular expression"),
        ("route:\n  receiver: a\n  group_wait: soon\n", "duration"),
        ("route:\n  receiver: a\n  routes:\n    - mute_time_intervals: [nope]\n", "Unknown time interval"),
        ("route:\n  receiver: a\n  frobnicate: 1\n", "unknown key"),
        # An alias bomb (a billion matchers in 500 bytes) would hang the worker turning them into strings.
        (alias_bomb(9) + "\nroute:\n  receiver: a\n  matchers: *a8\n", "aliases are expanded"),
        ("route: &r\n  receiver: a\n  routes: [*r]\n", "contains it"),  # a route that is its own child: was a 500
        # Nested 500 deep: a RecursionError (500) inside the YAML reader.
        ("route:\n  receiver: a\n  matchers: " + deep_yaml()["flow list"], "nested more than"),
        ("route:\n  receiver: a\n  group_by: " + deep_yaml()["flow mapping"], "nested more than"),
        (deep_yaml()["block mapping"], "nested more than"),
    ],
)
def test_import_errors_leave_config_untouched(root_route, token_client, yaml_text, needle):
    admin = token_client(role="admin", scopes=("read", "write"))
    response = admin.post("/api/v1/alerts/routes/import", {"yaml": yaml_text}, format="json")
    assert response.status_code == 422, response.content
    assert needle.lower() in response.json()["error"]["message"].lower()
    assert list(Route.objects.values_list("pk", flat=True)) == [root_route.pk]


def test_route_crud_rules(root_route, token_client):
    admin = token_client(role="admin", scopes=("read", "write"))
    second_root = admin.post("/api/v1/alerts/routes", {"name": "x", "receiver": "default"}, format="json")
    assert second_root.status_code == 409
    child = admin.post(
        "/api/v1/alerts/routes", {"parent": root_route.pk, "matchers": ["team=db"], "group_by": ["..."]}, format="json"
    )
    assert child.status_code == 201, child.content
    bad = admin.post("/api/v1/alerts/routes", {"parent": root_route.pk, "matchers": ["team=~("]}, format="json")
    assert bad.status_code == 400
    cycle = admin.patch(f"/api/v1/alerts/routes/{root_route.pk}", {"parent": child.json()["id"]}, format="json")
    assert cycle.status_code in (400, 409)
    assert admin.delete(f"/api/v1/alerts/routes/{root_route.pk}").status_code == 409
    assert admin.delete(f"/api/v1/alerts/routes/{child.json()['id']}").status_code == 204
    assert token_client(role="responder").post("/api/v1/alerts/routes", {}, format="json").status_code == 403


def test_receiver_secrets_are_write_only(db, token_client, settings):
    settings.SRE = {**settings.SRE, "ALERTS_ALLOW_PRIVATE_TARGETS": True}
    admin = token_client(role="admin", scopes=("read", "write"))
    body = {"name": "pd", "kind": "pagerduty", "url": "https://127.0.0.1:8443", "routing_key": "TOPSECRETKEY"}
    created = admin.post("/api/v1/alerts/receivers", body, format="json")
    assert created.status_code == 201, created.content
    assert "TOPSECRETKEY" not in created.content.decode() and created.json()["has_routing_key"] is True
    rid = created.json()["id"]
    assert "TOPSECRETKEY" not in admin.get(f"/api/v1/alerts/receivers/{rid}").content.decode()
    admin.patch(f"/api/v1/alerts/receivers/{rid}", {"timeout_seconds": 3}, format="json")
    assert Receiver.objects.get(pk=rid).routing_key == "TOPSECRETKEY"
    http = admin.post("/api/v1/alerts/receivers", {**body, "name": "pd2", "url": "http://127.0.0.1:1"}, format="json")
    assert http.status_code == 400 and "https" in http.json()["error"]["message"]
    nokey = admin.post("/api/v1/alerts/receivers", {"name": "pd3", "kind": "pagerduty"}, format="json")
    assert nokey.status_code == 400
    dup = admin.post("/api/v1/alerts/receivers", body, format="json")
    assert dup.status_code == 409


def test_ledger_api_filters(root_route, token_client, django_assert_max_num_queries):
    from alerts.services.delivery import notification_deliver

    for index in range(3):
        fire({**LABELS, "alertname": f"A{index}"})
    for notification in Notification.objects.all():
        notification_deliver(notification_id=notification.pk)
    viewer = token_client(role="viewer", scopes=("read",))
    with django_assert_max_num_queries(6 + TOKEN_USE_QUERIES):  # the token's first use is audited
        attempts = viewer.get("/api/v1/alerts/attempts", {"receiver": "default", "outcome": "success"}).json()
    assert attempts["count"] == 3
    assert attempts["results"][0]["payload_hash"] and attempts["results"][0]["dedup_key"].startswith("sre-")
    assert viewer.get("/api/v1/alerts/attempts", {"outcome": "failed"}).json()["count"] == 0
    with django_assert_max_num_queries(6):
        assert viewer.get("/api/v1/alerts/notifications", {"state": "delivered"}).json()["count"] == 3
    with django_assert_max_num_queries(6):
        assert viewer.get("/api/v1/alerts", {"status": "firing"}).json()["count"] == 3


def test_api_deletes_go_through_services(root_route, token_client):
    admin = token_client(role="admin", scopes=("read", "write"))
    interval = admin.post(
        "/api/v1/alerts/time-intervals", {"name": "weekends", "entries": [{"weekdays": ["sunday"]}]}, format="json"
    ).json()
    Route.objects.filter(pk=root_route.pk).update(mute_time_intervals=["weekends"])
    refused = admin.delete(f"/api/v1/alerts/time-intervals/{interval['id']}")
    assert refused.status_code == 409 and "still name it" in refused.json()["error"]["message"]
    assert TimeInterval.objects.filter(name="weekends").exists()
    renamed = admin.patch(f"/api/v1/alerts/time-intervals/{interval['id']}", {"name": "weekend"}, format="json")
    assert renamed.status_code == 409 and TimeInterval.objects.get().name == "weekends"
    rule = admin.post(
        "/api/v1/alerts/inhibit-rules", {"source_matchers": ["a=b"], "target_matchers": ["c=d"]}, format="json"
    ).json()
    assert admin.delete(f"/api/v1/alerts/inhibit-rules/{rule['id']}").status_code == 204
    assert not InhibitRule.objects.exists()


def test_maintenance_window_partial_updates(root_route, token_client):
    responder = token_client(role="responder", scopes=("read", "write"))
    start = timezone.now() + dt.timedelta(hours=1)
    body = {
        "name": "db upgrade",
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
        "routes": [root_route.pk],
    }
    created = responder.post("/api/v1/alerts/maintenance-windows/", body, format="json")
    assert created.status_code == 201, created.content
    url = f"/api/v1/alerts/maintenance-windows/{created.json()['id']}/"
    empty = responder.patch(url, {}, format="json")
    assert empty.status_code == 200, empty.content
    assert empty.json()["name"] == "db upgrade" and empty.json()["routes"] == [root_route.pk]
    renamed = responder.patch(url, {"name": "db upgrade (v16)"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["routes"] == [root_route.pk]
    later = (start + dt.timedelta(hours=3)).isoformat()
    moved = responder.patch(url, {"ends_at": later}, format="json")
    assert moved.status_code == 200 and moved.json()["ends_at"].startswith(later[:19])
    backwards = responder.patch(url, {"ends_at": (start - dt.timedelta(minutes=1)).isoformat()}, format="json")
    assert backwards.status_code == 400 and "ends_at" in backwards.json()["error"]["fields"]
    unmuted = responder.patch(url, {"routes": []}, format="json")
    assert unmuted.status_code == 400 and "mutes" in unmuted.json()["error"]["message"]
    window = MaintenanceWindow.objects.get()
    assert window.name == "db upgrade (v16)" and list(window.routes.all()) == [root_route]


CATASTROPHIC = "(a+)+$"  # on Python's re, against "a" * 40 + "b": hours of backtracking; RE2 answers at once


def test_label_filters_run_on_re2(root_route, token_client):
    fire({"alertname": "Slow", "instance": "a" * 40 + "b"})
    fire({"alertname": "Fast", "instance": "aaaa"})
    viewer = token_client(role="viewer", scopes=("read",))
    response = viewer.get("/api/v1/alerts/groups", {"label": f'instance=~"{CATASTROPHIC}"'})
    assert response.status_code == 200
    assert [g["group_labels"]["alertname"] for g in response.json()["results"]] == ["Fast"]
    response = viewer.get("/api/v1/alerts/groups", {"label": 'alertname=~"(?=S)low"'})
    assert response.status_code == 400 and "label" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/alerts/groups", None, "label"),
        (
            "/api/v1/alerts/silences",
            {"matchers": [{"name": "a", "value": "(?=x)", "isRegex": True}], "endsAt": "2999-01-01T00:00:00Z",
             "comment": "x"},
            "matchers[0]",
        ),
        ("/api/v1/alerts/routes", {"name": "x", "receiver": "default", "parent": None, "matchers": ['a=~"(?=x)"']},
         "matchers"),
        ("/api/v1/alerts/inhibit-rules", {"source_matchers": ["c=d"], "target_matchers": ['a=~"(?=x)"']},
         "target_matchers"),
        ("/api/v1/alerts/maintenance-windows/", {"name": "m", "starts_at": "2999-01-01T00:00:00Z",
         "ends_at": "2999-01-02T00:00:00Z", "matchers": ['a=~"(?=x)"']}, "matchers"),
        ("/api/v1/incidents/policies", {"name": "p", "matchers": ['a=~"(?=x)"']}, "matchers"),
    ],
)  # fmt: skip
def test_regexes_outside_re2_syntax_are_400_naming_the_field(root_route, token_client, url, body, field):
    """A look-ahead compiles on Python's re; Alertmanager (RE2) refuses it, and so do we, naming the field."""
    admin = token_client(role="admin", scopes=("read", "write"))
    if body is None:
        response = admin.get(url, {"label": 'a=~"(?=x)"'})
    else:
        body = {**body, "parent": root_route.pk} if "parent" in body else body
        response = admin.post(url, body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert field in error["fields"] and "invalid perl operator" in str(error["fields"][field])
