"""/healthz, /readyz and /metrics."""

from __future__ import annotations

import datetime as dt
import math

from django.core.cache import cache
from django.db import OperationalError
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from sre.models import Heartbeat
from sre.ops import views as ops_views
from sre.services import heartbeat_record


def test_healthz_touches_nothing(db) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_checks_this_process_only_so_a_dead_beat_keeps_the_node_in_rotation(db) -> None:
    response = Client().get("/readyz")  # no worker or beat ever ran here
    assert response.status_code == 200
    body = response.json()
    assert body["failed"] == [] and set(body["checks"]) == {"database", "broker"}
    heartbeat_record(name="worker", hostname="test", now=timezone.now() - dt.timedelta(hours=3))
    assert Client().get("/readyz").status_code == 200  # a stale heartbeat does not pull the node either


def test_readyz_reports_an_unreachable_broker(db, settings) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response = Client().get("/readyz")
    assert response.status_code == 503 and response.json()["failed"] == ["broker"]


def _heartbeat_age_samples() -> list[float]:
    response = Client().get("/metrics")
    assert response.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(response.content.decode())}
    family = families.get("sre_background_heartbeat_age_seconds")
    return [] if family is None else [sample.value for sample in family.samples]


def test_metrics_carry_the_background_heartbeat_age(db) -> None:
    assert _heartbeat_age_samples() == [math.inf]  # none recorded yet: infinitely old, so an age alert fires
    heartbeat_record(name="worker", hostname="test", now=timezone.now() - dt.timedelta(minutes=10))
    [age] = _heartbeat_age_samples()
    assert 600 <= age < 660


def test_metrics_answer_without_the_heartbeat_age_when_the_database_fails(db, monkeypatch) -> None:
    def down(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(ops_views, "heartbeat_age", down)
    assert _heartbeat_age_samples() == []


def test_the_overview_shows_a_banner_while_background_work_is_stale(db, session_client) -> None:
    client = session_client("viewer")
    assert "Background work has not run yet" in client.get("/").content.decode()
    heartbeat_record(name="worker", hostname="test", now=timezone.now() - dt.timedelta(minutes=7))
    cache.clear()  # the cards are kept 5 s (sre.pagecache)
    assert "Background work last ran 7 min ago" in client.get("/", HTTP_HX_REQUEST="true").content.decode()
    Heartbeat.objects.update(last_seen_at=timezone.now())
    cache.clear()
    assert 'data-testid="heartbeat-banner"' not in client.get("/", HTTP_HX_REQUEST="true").content.decode()


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
