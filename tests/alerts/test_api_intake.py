"""Intake endpoints: Alertmanager webhook v4 and generic JSON; bad input is a clear 4xx, nothing half-stored."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from alerts.models import Alert, AlertGroup, Notification
from alerts.services import groups_flush_due

AM_URL = "/api/v1/alerts/alertmanager"


def am_payload(*alerts, status="firing"):
    return {
        "receiver": "sre",
        "status": status,
        "alerts": list(alerts),
        "groupLabels": {"alertname": "HighLatency"},
        "commonLabels": {"alertname": "HighLatency"},
        "commonAnnotations": {},
        "externalURL": "http://am:9093",
        "version": "4",
        "groupKey": '{}:{alertname="HighLatency"}',
        "truncatedAlerts": 0,
    }


def am_alert(status="firing", instance="a", ends="0001-01-01T00:00:00Z"):
    return {
        "status": status,
        "labels": {"alertname": "HighLatency", "instance": instance, "severity": "critical"},
        "annotations": {"summary": "p99 over 1s"},
        "startsAt": "2026-01-05T12:00:00.123456789Z",
        "endsAt": ends,
        "generatorURL": "http://prometheus:9090/graph?g0.expr=up",
        "fingerprint": "d2b3c1a4e5f60718",
    }


@pytest.fixture
def ingest(token_client):
    return token_client(role="viewer", scopes=("ingest",))


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_alertmanager_webhook_firing_then_resolved(root_route, ingest):
    response = post(ingest, AM_URL, am_payload(am_alert(), am_alert(instance="b")))
    assert response.status_code == 200, response.content
    assert response.json()["accepted"] == 2
    group = AlertGroup.objects.get()
    assert group.alerts.count() == 2 and group.state == "firing"
    alert = Alert.objects.get(labels__instance="a")
    assert alert.starts_at.isoformat().startswith("2026-01-05T12:00:00.123456")
    assert alert.generator_url.startswith("http://prometheus")
    resolved = am_payload(
        am_alert("resolved", ends="2026-01-05T12:10:00Z"), am_alert("resolved", "b", "2026-01-05T12:10:00Z")
    )
    assert post(ingest, AM_URL, resolved).status_code == 200
    group.refresh_from_db()
    # Like Alertmanager, the change waits for group_interval (60 s on this route) after the last flush.
    assert group.state == "firing" and group.next_flush_at == group.last_flush_at + dt.timedelta(seconds=60)
    groups_flush_due(now=group.next_flush_at)
    group.refresh_from_db()
    assert group.state == "resolved"
    assert list(Notification.objects.order_by("pk").values_list("event", flat=True)) == ["trigger", "resolve"]


def test_duplicate_webhooks_never_page_twice(root_route, ingest):
    for _ in range(3):
        assert post(ingest, AM_URL, am_payload(am_alert())).status_code == 200
    assert Alert.objects.get().receive_count == 3
    assert Notification.objects.count() == 1


def test_generic_json_single_and_batch(root_route, ingest):
    one = {"labels": {"alertname": "DiskFull", "host": "db1"}, "annotations": {"summary": "95%"}, "status": "firing"}
    assert post(ingest, "/api/v1/alerts", one).status_code == 200
    batch = {"alerts": [{"labels": {"alertname": "DiskFull", "host": f"db{i}"}} for i in range(2, 5)]}
    response = post(ingest, "/api/v1/alerts", batch)
    assert response.status_code == 200 and response.json()["accepted"] == 3
    assert AlertGroup.objects.get().alerts.count() == 4


def test_generic_fingerprint_is_kept(root_route, ingest):
    body = {"labels": {"alertname": "X"}, "fingerprint": "my-id-1"}
    assert post(ingest, "/api/v1/alerts", body).status_code == 200
    assert Alert.objects.get().fingerprint == "my-id-1"


@pytest.mark.parametrize(
    ("url", "body", "status", "needle"),
    [
        (AM_URL, {**am_payload(am_alert()), "version": "3"}, 400, "version"),
        (AM_URL, {k: v for k, v in am_payload(am_alert()).items() if k != "version"}, 400, "version"),
        (AM_URL, am_payload({**am_alert(), "labels": {"alertname": 1}}), 400, "string"),
        (AM_URL, am_payload({**am_alert(), "startsAt": "yesterday"}), 400, "RFC 3339"),
        (AM_URL, am_payload(am_alert(), {**am_alert(instance="z"), "status": "pending"}), 400, "status"),
        (AM_URL, [1, 2], 400, "Alertmanager"),
        (AM_URL, {**am_payload(), "alerts": []}, 400, "At least one"),
        ("/api/v1/alerts", {"labels": {}}, 400, "label"),
        ("/api/v1/alerts", {"labels": {"a-b": "x"}}, 400, "label"),
        ("/api/v1/alerts", {"labels": {"a": "x"}, "colour": "red"}, 400, "Unknown"),
        ("/api/v1/alerts", {"labels": {"a": "x"}, "fingerprint": "../etc"}, 400, "Fingerprint"),
        # PostgreSQL can store no NUL character: refused up front, not a failed transaction (was a 500)
        (AM_URL, am_payload(am_alert(instance="a\u0000b")), 400, "NUL"),
        ("/api/v1/alerts", {"labels": {"a": "x"}, "annotations": {"summary": "\u0000"}}, 400, "NUL"),
    ],
)
def test_bad_input_is_4xx_and_nothing_stored(root_route, ingest, url, body, status, needle):
    response = post(ingest, url, body)
    assert response.status_code == status, response.content
    assert needle.lower() in response.json()["error"]["message"].lower()
    assert not Alert.objects.exists() and not AlertGroup.objects.exists()


def test_one_bad_alert_in_a_batch_stores_none(root_route, ingest):
    alerts = [am_alert(instance=str(i)) for i in range(5)] + [{**am_alert(), "labels": {"alertname": None}}]
    response = post(ingest, AM_URL, am_payload(*alerts))
    assert response.status_code == 400
    assert "alerts[5]" in json.dumps(response.json()["error"]["fields"])
    assert not Alert.objects.exists()


def test_ten_thousand_alerts_is_refused_whole(root_route, ingest):
    alerts = [am_alert(instance=str(i)) for i in range(10_000)]
    response = post(ingest, AM_URL, am_payload(*alerts))
    assert response.status_code == 413
    assert "at most" in response.json()["error"]["message"]
    assert not Alert.objects.exists()


def test_malformed_json_is_400(ingest):
    response = ingest.post(AM_URL, data=b"{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("Malformed JSON")


def test_ingest_needs_ingest_scope(root_route, token_client):
    reader = token_client(role="admin", scopes=("read",))
    assert post(reader, AM_URL, am_payload(am_alert())).status_code == 403
    assert post(reader, "/api/v1/alerts", {"labels": {"a": "b"}}).status_code == 403
    assert not Alert.objects.exists()
