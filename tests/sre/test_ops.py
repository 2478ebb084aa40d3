"""/healthz, /readyz and /metrics."""

from __future__ import annotations

import datetime as dt
import re

from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from sre.models import Heartbeat
from sre.services import heartbeat_record


def test_healthz_touches_nothing(db) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_names_the_missing_heartbeat_then_recovers(db) -> None:
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["heartbeat"]
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]
    heartbeat_record(name="worker", hostname="test", now=timezone.now())
    assert Client().get("/readyz").status_code == 200


def test_readyz_reports_stale_heartbeat_and_unreachable_broker(db, settings) -> None:
    heartbeat_record(name="worker", hostname="test", now=timezone.now() - dt.timedelta(minutes=10))
    body = Client().get("/readyz").json()
    assert body["failed"] == ["heartbeat"]
    assert re.search(r"last background heartbeat 6\d\ds ago \(limit 120s\)", body["checks"]["heartbeat"]["detail"])
    Heartbeat.objects.update(last_seen_at=timezone.now())
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response = Client().get("/readyz")
    assert response.status_code == 503 and response.json()["failed"] == ["broker"]


def test_heartbeat_record_is_idempotent_upsert(db) -> None:
    now = timezone.now()
    heartbeat_record(name="worker", hostname="a", now=now)
    heartbeat_record(name="worker", hostname="b", now=now)
    beat = Heartbeat.objects.get()
    assert (beat.hostname, beat.beats) == ("b", 2)


def test_metrics_exposition_counts_requests_by_view(db) -> None:
    client = Client()
    client.get("/healthz")
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(response.content.decode())}
    assert "sre_http_requests" in families and "sre_http_request_duration_seconds" in families
    healthz = [
        s
        for s in families["sre_http_requests"].samples
        if s.labels.get("view") == "healthz" and s.name.endswith("_total")
    ]
    assert healthz and healthz[0].value >= 2
    assert "sre_celery_tasks" in families
