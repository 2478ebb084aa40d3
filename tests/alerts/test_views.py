"""HTML pages: roles, CSRF, prefilled silences, the route tester, secrets never echoed, empty states."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from alerts.choices import ReceiverKind
from alerts.models import Alert, AlertGroup, InhibitRule, Receiver, Route, Silence, TimeInterval
from alerts.selectors import firing_alert_counts
from alerts.services import alert_raise
from alerts.services.config import inhibit_rule_save, time_interval_save
from alerts.services.notify import group_payload
from alerts.services.receivers import receiver_save
from tests.alerts.factories import RouteFactory
from tests.support.payloads import deep_yaml

LABELS = {"alertname": "HighLatency", "service": "search", "severity": "critical"}


def csrf(client, url):
    """GET a page and return its CSRF token (the client enforces CSRF)."""
    client.get(url)
    return client.cookies["csrftoken"].value


@pytest.fixture
def firing(root_route):
    alert_raise(labels=LABELS, annotations={"summary": "slow"}, status="firing", source="test", now=timezone.now())
    return AlertGroup.objects.get()


@pytest.mark.parametrize(
    ("url", "empty"),
    [
        ("/alerts/", '<section class="empty-state" aria-label="Nothing is firing">'),
        ("/alerts/silences/", '<section class="empty-state" aria-label="No silences">'),
        ("/alerts/routes/", '<section class="empty-state" aria-label="No routes yet">'),
        ("/alerts/receivers/", '<section class="empty-state" aria-label="No receivers">'),
        ("/alerts/notifications/", '<section class="empty-state" aria-label="No delivery attempts">'),
        ("/alerts/maintenance/", '<section class="empty-state" aria-label="No maintenance windows">'),
        ("/", "Nothing firing. No alerts have been received."),
    ],
)
def test_pages_render_for_viewers_with_empty_states(session_client, db, url, empty):
    response = session_client("viewer").get(url)
    assert response.status_code == 200
    assert empty in response.content.decode()


def test_alerts_page_lists_group_and_filters_by_label(session_client, firing):
    client = session_client("viewer")
    assert b"HighLatency" in client.get("/alerts/").content
    assert b"HighLatency" not in client.get("/alerts/?labels=severity%3D%22info%22").content
    assert b"HighLatency" in client.get("/alerts/?labels=service%3D~%22sea.*%22").content
    partial = client.get("/alerts/", HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b"HighLatency" in partial.content
    bad = client.get("/alerts/?labels=%3D%3D")
    assert b"Label filter" in bad.content


def test_label_filter_runs_on_re2(session_client, root_route):
    labels = {"alertname": "Backtrack", "instance": "a" * 40 + "b"}
    alert_raise(labels=labels, annotations={}, status="firing", source="test", now=timezone.now())
    client = session_client("viewer")
    slow = client.get("/alerts/", {"labels": 'instance=~"(a+)+$"'})  # hours of backtracking on Python's re
    assert slow.status_code == 200 and b"Backtrack" not in slow.content
    assert b"Backtrack" in client.get("/alerts/", {"labels": 'instance!~"(a+)+$"'}).content
    refused = client.get("/alerts/", {"labels": 'instance=~"(?=a)a+b"'})
    assert b"Label filter" in refused.content and b"invalid perl operator" in refused.content


def test_overview_shows_firing_group(session_client, firing):
    assert b"HighLatency" in session_client("viewer").get("/").content


def test_group_detail_has_alerts_timeline_and_ledger(session_client, firing):
    response = session_client("viewer").get(f"/alerts/groups/{firing.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Alert joined" in body and "Notification ledger" in body and firing.dedup_key in body
    assert session_client("viewer").get("/alerts/groups/999999/").status_code == 404


@pytest.mark.parametrize("url", ["javascript:alert(document.cookie)", " JavaScript:alert(1)", "data:text/html,x"])
def test_generator_url_becomes_a_link_only_when_http(session_client, token_client, root_route, url):
    ingest = token_client(role="viewer", scopes=("ingest",))
    generic = {"labels": {"alertname": "Generic", "instance": "a"}, "generator_url": url}
    assert ingest.post("/api/v1/alerts", generic, format="json").status_code == 200
    webhook = {
        "version": "4",
        "status": "firing",
        "receiver": "sre",
        "groupLabels": {},
        "commonLabels": {},
        "alerts": [
            {"status": "firing", "labels": {"alertname": "FromAM"}, "startsAt": "2026-01-05T12:00:00Z",
             "generatorURL": url},
            {"status": "firing", "labels": {"alertname": "FromAM", "instance": "b"},
             "startsAt": "2026-01-05T12:00:00Z", "generatorURL": "http://prometheus:9090/graph?g0.expr=up"},
        ],
    }  # fmt: skip
    assert ingest.post("/api/v1/alerts/alertmanager", webhook, format="json").status_code == 200
    viewer = session_client("viewer")
    generic_page = viewer.get(f"/alerts/groups/{AlertGroup.objects.get(group_labels__alertname='Generic').pk}/")
    assert generic_page.status_code == 200
    am_group = AlertGroup.objects.get(group_labels__alertname="FromAM")
    am_page = viewer.get(f"/alerts/groups/{am_group.pk}/").content.decode()
    for body in (generic_page.content.decode(), am_page):
        assert "javascript:" not in body.lower() and "data:text" not in body
    assert am_page.count(">source</a>") == 1 and 'href="http://prometheus:9090/graph?g0.expr=up"' in am_page
    for group in AlertGroup.objects.all():  # receivers (PagerDuty, chat) render these links too
        assert [link["text"] for link in group_payload(group, event="trigger")["links"]].count("Source") == (
            group == am_group
        )


def test_acknowledge_needs_responder_and_csrf(session_client, firing):
    viewer = session_client("viewer")
    token = csrf(viewer, "/alerts/")
    assert viewer.post(f"/alerts/groups/{firing.pk}/acknowledge/", {"csrfmiddlewaretoken": token}).status_code == 403
    responder = session_client("responder")
    assert responder.post(f"/alerts/groups/{firing.pk}/acknowledge/").status_code == 403  # no CSRF token
    token = csrf(responder, "/alerts/")
    response = responder.post(f"/alerts/groups/{firing.pk}/acknowledge/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    firing.refresh_from_db()
    assert firing.state == "acknowledged" and firing.acknowledged_by == responder.user.username


def test_resolve_from_ui(session_client, firing):
    client = session_client("responder")
    token = csrf(client, "/alerts/")
    client.post(f"/alerts/groups/{firing.pk}/resolve/", {"csrfmiddlewaretoken": token, "next": "/alerts/"})
    firing.refresh_from_db()
    assert firing.state == "resolved"
    assert firing.events.filter(kind="resolved", actor=client.user.username).exists()


def test_silence_from_alert_is_prefilled_previewed_and_created(session_client, firing):
    client = session_client("responder")
    alert = firing.alerts.get()
    page = client.get(f"/alerts/silences/new/?alert={alert.pk}").content.decode()
    assert "service=&quot;search&quot;" in page and "alertname=&quot;HighLatency&quot;" in page
    token = client.cookies["csrftoken"].value
    form = {"matchers": 'service="search"', "duration_hours": "1", "comment": "deploy", "csrfmiddlewaretoken": token}
    preview = client.post("/alerts/silences/new/", {**form, "preview": "1"})
    assert b"Would silence 1 firing alert" in preview.content
    assert not Silence.objects.exists()
    assert client.post("/alerts/silences/new/", form).status_code == 302
    silence = Silence.objects.get()
    assert silence.matchers == [{"name": "service", "value": "search", "isRegex": False, "isEqual": True}]
    firing.refresh_from_db()
    assert firing.state == "silenced"
    # Expire with confirmation.
    assert b"Expire now" in client.get(f"/alerts/silences/{silence.pk}/expire/").content
    client.post(f"/alerts/silences/{silence.pk}/expire/", {"csrfmiddlewaretoken": token})
    silence.refresh_from_db()
    assert silence.ends_at <= timezone.now()
    firing.refresh_from_db()
    assert firing.state == "firing"


def test_silence_form_errors_are_shown(session_client, firing):
    client = session_client("responder")
    token = csrf(client, "/alerts/silences/new/")
    response = client.post(
        "/alerts/silences/new/",
        {"matchers": "a=~(", "duration_hours": "1", "comment": "", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 400
    assert b"invalid regular expression" in response.content


def test_route_tester_shows_matching_route(session_client, root_route):
    child = RouteFactory(parent=root_route, name="db-team", matchers=['team="db"'], group_by=["alertname", "instance"])
    client = session_client("viewer")
    token = csrf(client, "/alerts/routes/")
    response = client.post(
        "/alerts/routes/test/", {"labels": "alertname=Disk\nteam=db\ninstance=db1", "csrfmiddlewaretoken": token}
    )
    body = response.content.decode()
    assert "db-team" in body and child.receiver.name in body and 'instance="db1"' in body


def test_import_yaml_from_ui_is_admin_only(session_client, root_route):
    yaml_text = "route:\n  receiver: ops\n  routes:\n    - matchers: ['severity=\"page\"']\n      receiver: pager\n"
    responder = session_client("responder")
    token = csrf(responder, "/alerts/routes/")
    assert (
        responder.post("/alerts/routes/import/", {"yaml": yaml_text, "csrfmiddlewaretoken": token}).status_code == 403
    )
    admin = session_client("admin")
    token = csrf(admin, "/alerts/routes/")
    assert admin.post("/alerts/routes/import/", {"yaml": yaml_text, "csrfmiddlewaretoken": token}).status_code == 302
    assert Route.objects.count() == 2 and Receiver.objects.filter(name__in=["ops", "pager"]).count() == 2
    bad = admin.post("/alerts/routes/import/", {"yaml": "route: [", "csrfmiddlewaretoken": token})
    assert bad.status_code == 400 and b"Not valid YAML" in bad.content
    deep = admin.post("/alerts/routes/import/", {"yaml": deep_yaml()["block mapping"], "csrfmiddlewaretoken": token})
    assert deep.status_code == 400 and b"nested more than" in deep.content
    assert Route.objects.count() == 2  # untouched


def test_receiver_form_never_echoes_secrets_and_keeps_them(session_client, db, settings):
    settings.SRE = {**settings.SRE, "ALERTS_ALLOW_PRIVATE_TARGETS": True}
    receiver = receiver_save(
        receiver=None,
        data={"name": "pd", "kind": ReceiverKind.PAGERDUTY, "url": "https://127.0.0.1:9"},
        routing_key="SUPERSECRETKEY",
    )
    admin = session_client("admin")
    page = admin.get(f"/alerts/receivers/{receiver.pk}/").content.decode()
    assert "SUPERSECRETKEY" not in page and "A routing key is stored" in page
    assert "SUPERSECRETKEY" not in admin.get("/alerts/receivers/").content.decode()
    token = admin.cookies["csrftoken"].value
    data = {
        "name": "pd",
        "kind": "pagerduty",
        "url": "https://127.0.0.1:9",
        "timeout_seconds": "5",
        "send_resolved": "on",
        "csrfmiddlewaretoken": token,
    }
    assert admin.post(f"/alerts/receivers/{receiver.pk}/", data).status_code == 302
    receiver.refresh_from_db()
    assert receiver.routing_key == "SUPERSECRETKEY"


def test_receiver_url_to_private_address_refused(session_client, db):
    admin = session_client("admin")
    token = csrf(admin, "/alerts/receivers/new/")
    data = {
        "name": "hook",
        "kind": "webhook",
        "url": "http://169.254.169.254/latest",
        "timeout_seconds": "5",
        "csrfmiddlewaretoken": token,
    }
    response = admin.post("/alerts/receivers/new/", data)
    assert response.status_code == 400 and b"not allowed" in response.content
    assert not Receiver.objects.filter(name="hook").exists()


def test_send_test_notification_lands_in_ledger(session_client, root_route, django_capture_on_commit_callbacks):
    client = session_client("responder")
    token = csrf(client, "/alerts/receivers/")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/alerts/receivers/{root_route.receiver_id}/test/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "success" in page and "test" in page


def test_maintenance_window_mutes_route(session_client, root_route):
    client = session_client("responder")
    token = csrf(client, "/alerts/maintenance/")
    now = timezone.now()
    data = {
        "name": "DB upgrade",
        "starts_at": (now - timezone.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now + timezone.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "recurrence": "weekly",
        "routes": [str(root_route.pk)],
        "csrfmiddlewaretoken": token,
    }
    assert client.post("/alerts/maintenance/", data).status_code == 302
    alert_raise(labels=LABELS, annotations={}, status="firing", source="test", now=timezone.now())
    group = AlertGroup.objects.get()
    assert group.state == "silenced"
    assert not group.notifications.exists()


RULE = {"source_matchers": 'severity="critical"', "target_matchers": 'severity="warning"', "equal": "cluster, service"}


def test_inhibit_rule_created_from_ui_is_stored_and_listed(session_client, root_route):
    admin = session_client("admin")
    token = csrf(admin, "/alerts/routes/inhibit-rules/new/")
    response = admin.post("/alerts/routes/inhibit-rules/new/", {**RULE, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    rule = InhibitRule.objects.get()
    assert rule.source_matchers == ['severity="critical"'] and rule.target_matchers == ['severity="warning"']
    assert rule.equal == ["cluster", "service"]
    page = admin.get("/alerts/routes/").content.decode()
    assert "with equal cluster, service" in page and f"/alerts/routes/inhibit-rules/{rule.pk}/" in page
    # Edit through the same form: prefilled, then saved in place.
    edit = admin.get(f"/alerts/routes/inhibit-rules/{rule.pk}/").content.decode()
    assert "cluster, service" in edit and "Delete rule" in edit
    data = {**RULE, "equal": "cluster", "csrfmiddlewaretoken": token}
    assert admin.post(f"/alerts/routes/inhibit-rules/{rule.pk}/", data).status_code == 302
    rule.refresh_from_db()
    assert rule.equal == ["cluster"] and InhibitRule.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("source_matchers", "severity=~(", "invalid regular expression"),
        ("target_matchers", "", "required"),
        ("equal", "cluster, bad-name", "Not label names: bad-name"),
    ],
)
def test_inhibit_rule_form_errors_are_shown_and_nothing_stored(session_client, root_route, field, value, needle):
    admin = session_client("admin")
    token = csrf(admin, "/alerts/routes/")
    response = admin.post("/alerts/routes/inhibit-rules/new/", {**RULE, field: value, "csrfmiddlewaretoken": token})
    assert response.status_code == 400
    assert needle in response.content.decode()
    assert not InhibitRule.objects.exists()


def test_inhibit_rule_delete_needs_admin_and_csrf(session_client, root_route):
    rule = inhibit_rule_save(rule=None, data={"source_matchers": ["a=b"], "target_matchers": ["c=d"]})
    url = f"/alerts/routes/inhibit-rules/{rule.pk}/"
    viewer = session_client("viewer")
    assert b"Add inhibition rule" not in viewer.get("/alerts/routes/").content  # no buttons for viewers
    for role in ("viewer", "responder"):
        client = session_client(role)
        token = csrf(client, "/alerts/routes/")
        assert client.post(url, {"delete": "1", "csrfmiddlewaretoken": token}).status_code == 403
    admin = session_client("admin")
    page = admin.get("/alerts/routes/").content.decode()
    assert 'data-confirm="Delete this inhibition rule?' in page and "Add inhibition rule" in page
    assert admin.post(url, {"delete": "1"}).status_code == 403  # no CSRF token
    assert InhibitRule.objects.filter(pk=rule.pk).exists()
    token = admin.cookies["csrftoken"].value
    assert admin.post(url, {"delete": "1", "csrfmiddlewaretoken": token}).status_code == 302
    assert not InhibitRule.objects.exists()


WEEKENDS_YAML = "- weekdays: ['saturday', 'sunday']\n- weekdays: ['monday:friday']\n  times:\n" + (
    "    - start_time: '22:00'\n      end_time: '24:00'\n  location: Europe/Berlin\n"
)


def test_time_interval_created_from_yaml_and_edited(session_client, root_route):
    admin = session_client("admin")
    token = csrf(admin, "/alerts/routes/time-intervals/new/")
    data = {"name": "off-hours", "entries": WEEKENDS_YAML, "csrfmiddlewaretoken": token}
    assert admin.post("/alerts/routes/time-intervals/new/", data).status_code == 302
    interval = TimeInterval.objects.get()
    assert interval.name == "off-hours"
    assert interval.entries == [
        {"weekdays": ["saturday", "sunday"]},
        {
            "weekdays": ["monday:friday"],
            "times": [{"start_time": "22:00", "end_time": "24:00"}],
            "location": "Europe/Berlin",
        },
    ]
    routes_page = admin.get("/alerts/routes/").content.decode()
    assert "off-hours" in routes_page
    assert "- weekdays: [saturday, sunday]" in routes_page  # listed as YAML, not as a Python repr
    assert "{&#x27;weekdays&#x27;" not in routes_page
    # The edit page shows the entries back as YAML that saves to the same value.
    form = admin.get(f"/alerts/routes/time-intervals/{interval.pk}/").context["form"]
    again = {"name": "off-hours", "entries": form.initial["entries"], "csrfmiddlewaretoken": token}
    assert admin.post(f"/alerts/routes/time-intervals/{interval.pk}/", again).status_code == 302
    assert TimeInterval.objects.get().entries == interval.entries


@pytest.mark.parametrize(
    ("entries", "needle"),
    [
        ("- weekdays: [saturday", "Not valid YAML"),
        ("weekdays: [saturday]", "YAML list of entries"),
        ("- weekdays: [caturday]", "Entry 0"),
        ("- times: [{start_time: '10:00', end_time: '09:00'}]", "end_time must be after start_time"),
        ("- location: Mars/Olympus", "unknown location"),
        (
            "- &a0 {weekdays: [saturday]}\n"
            + "".join(f"- &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)),
            "aliases are expanded",
        ),  # a hundred million entries in 400 bytes
        ("- " + deep_yaml()["flow list"], "nested more than"),  # 500 deep: was a 500 (RecursionError)
        (deep_yaml()["block list"], "nested more than"),
        ("- weekdays: " + deep_yaml()["flow mapping"], "nested more than"),
    ],
)
def test_time_interval_bad_entries_are_400_and_nothing_stored(session_client, root_route, entries, needle):
    admin = session_client("admin")
    token = csrf(admin, "/alerts/routes/")
    data = {"name": "broken", "entries": entries, "csrfmiddlewaretoken": token}
    response = admin.post("/alerts/routes/time-intervals/new/", data)
    assert response.status_code == 400
    assert needle in response.content.decode()
    assert not TimeInterval.objects.exists()


def test_time_interval_duplicate_name_is_400(session_client, root_route):
    time_interval_save(interval=None, name="weekends", entries=[{"weekdays": ["saturday"]}])
    admin = session_client("admin")
    token = csrf(admin, "/alerts/routes/")
    data = {"name": "weekends", "entries": "- weekdays: [sunday]", "csrfmiddlewaretoken": token}
    response = admin.post("/alerts/routes/time-intervals/new/", data)
    assert response.status_code == 400 and b"exists already" in response.content
    assert TimeInterval.objects.get().entries == [{"weekdays": ["saturday"]}]


def test_time_interval_used_by_route_cannot_be_deleted_or_renamed(session_client, root_route):
    interval = time_interval_save(interval=None, name="weekends", entries=[{"weekdays": ["saturday", "sunday"]}])
    RouteFactory(parent=root_route, name="db-team", mute_time_intervals=["weekends"])
    admin = session_client("admin")
    token = csrf(admin, "/alerts/routes/")
    url = f"/alerts/routes/time-intervals/{interval.pk}/"
    response = admin.post(url, {"delete": "1", "csrfmiddlewaretoken": token}, follow=True)
    assert "route(s) db-team still name it" in response.content.decode()
    assert TimeInterval.objects.filter(pk=interval.pk).exists()
    renamed = admin.post(url, {"name": "weekend", "entries": "- weekdays: [sunday]", "csrfmiddlewaretoken": token})
    assert renamed.status_code == 400 and b"cannot be renamed" in renamed.content
    assert TimeInterval.objects.get().name == "weekends"
    # Unused, it goes.
    Route.objects.filter(name="db-team").delete()
    assert admin.post(url, {"delete": "1", "csrfmiddlewaretoken": token}).status_code == 302
    assert not TimeInterval.objects.exists()


def test_time_interval_writes_are_admin_only(session_client, root_route):
    interval = time_interval_save(interval=None, name="weekends", entries=[{"weekdays": ["saturday"]}])
    responder = session_client("responder")
    assert b"Add time interval" not in responder.get("/alerts/routes/").content
    token = csrf(responder, "/alerts/routes/")
    data = {"name": "nights", "entries": "- weekdays: [monday]", "csrfmiddlewaretoken": token}
    assert responder.post("/alerts/routes/time-intervals/new/", data).status_code == 403
    url = f"/alerts/routes/time-intervals/{interval.pk}/"
    assert responder.post(url, {"delete": "1", "csrfmiddlewaretoken": token}).status_code == 403
    assert list(TimeInterval.objects.values_list("name", flat=True)) == ["weekends"]


def test_firing_alert_counts_leave_out_alerts_resolved_by_hand(db):
    """The one truth of "burn alerts firing": the alert's own status, keyed by (service, slo)."""
    now = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
    common = {"starts_at": now, "received_at": now, "updated_at": now, "source": "slo"}
    Alert.objects.create(fingerprint="a", labels={"service": "api", "slo": "avail", "severity": "page"}, **common)
    Alert.objects.create(fingerprint="b", labels={"service": "api", "slo": "avail", "severity": "ticket"}, **common)
    Alert.objects.create(
        fingerprint="c", labels={"service": "api", "slo": "latency"}, status="resolved", resolved_by="ann", **common
    )
    Alert.objects.create(fingerprint="d", labels={"service": "api", "slo": "x"}, **{**common, "source": "rule"})
    assert firing_alert_counts(source="slo") == {("api", "avail"): 2}
