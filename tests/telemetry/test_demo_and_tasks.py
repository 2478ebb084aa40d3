"""Demo traffic generator and task, the demo beat entry, retention tasks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from sre.demo.services import DEMO_SERVICES, demo_seed, demo_traffic_push
from sre.demo.traffic import demo_minute, demo_minutes, in_burst
from telemetry.models import HourRollup, IngestBatch, LogEntry, MinuteRollup, Series
from telemetry.selectors import counter_increase_matching
from telemetry.services import rollups_expire
from telemetry.tasks import demo_traffic, retention

SERVICES = [s["name"] for s in DEMO_SERVICES]


def test_generator_is_deterministic_and_consistent():
    a = demo_minute(seed=1, minute=6000, services=SERVICES)
    assert a == demo_minute(seed=1, minute=6000, services=SERVICES)
    assert a != demo_minute(seed=2, minute=6000, services=SERVICES)
    for service in SERVICES:
        mine = [s for s in a.samples if s["labels"]["service"] == service]
        codes = {s["labels"]["code"]: s["value"] for s in mine if s["metric"] == "http_requests_total"}
        buckets = [s["value"] for s in mine if s["metric"] == "http_request_duration_seconds_bucket"]
        assert buckets == sorted(buckets) and buckets[-1] == codes["200"] + codes["500"]
    assert len(demo_minutes(seed=1, start=30, end=600, services=SERVICES)) == 9


def test_bursts_happen_sometimes_and_raise_errors():
    minutes = range(0, 86400 * 3, 600)
    bursts = [m for m in minutes if in_burst(seed=7, service="checkout", minute=m)]
    assert 0 < len(bursts) < len(minutes) / 3
    burst = demo_minute(seed=7, minute=bursts[0], services=["checkout"])
    errors = next(s["value"] for s in burst.samples if s["labels"].get("code") == "500")
    assert errors > 0 and any(line["level"] == "error" for line in burst.logs)


@pytest.mark.django_db
def test_demo_seed_schedules_the_traffic_task_once(settings):
    demo_seed(password="x-long-password-1")
    demo_seed(password="x-long-password-1")
    task = PeriodicTask.objects.get(name="demo-traffic")
    assert task.task == "telemetry.demo_traffic" and task.enabled
    assert task.interval.every == settings.SRE["DEMO_TRAFFIC_INTERVAL"]


@pytest.mark.django_db
def test_demo_push_moves_numbers_and_is_idempotent():
    now = timezone.now()
    first = demo_traffic_push(now=now)
    assert first.minutes == 15 and first.samples > 0 and first.logs > 0
    rows, logs = MinuteRollup.objects.count(), LogEntry.objects.count()
    assert demo_traffic_push(now=now).minutes == 0
    assert (MinuteRollup.objects.count(), LogEntry.objects.count()) == (rows, logs)
    total = counter_increase_matching(name="http_requests_total", matchers=[("service", "=", "checkout")],
                                      windows=[3600], now=now)[3600]  # fmt: skip
    assert total and total > 1000
    later = demo_traffic_push(now=now + dt.timedelta(minutes=2))
    assert later.minutes == 2


@pytest.mark.django_db
def test_demo_task_body_runs():
    assert demo_traffic()["minutes"] == 15
    assert Series.objects.filter(name="http_request_duration_seconds_bucket").exists()


@pytest.mark.django_db
def test_retention_deletes_in_bounded_batches(settings):
    settings.SRE = {**settings.SRE, "RETENTION_BATCH_SIZE": 100, "ROLLUP_RETENTION_DAYS": 1}
    now = timezone.now()
    series = Series.objects.create(name="x_total", key="x_total{}", labels={})
    old = int(now.timestamp()) - 3 * 86400
    MinuteRollup.objects.bulk_create([MinuteRollup(series=series, start=old + 60 * i, increase=1) for i in range(250)])
    MinuteRollup.objects.create(series=series, start=int(now.timestamp()) // 60 * 60, increase=1)
    HourRollup.objects.create(series=series, start=old // 3600 * 3600, increase=250)
    IngestBatch.objects.create(scope="s", batch_id="b", kind="metrics", received_at=now - dt.timedelta(days=8))
    LogEntry.objects.create(timestamp=now - dt.timedelta(days=100), service="s", level="info", message="old")
    LogEntry.objects.create(timestamp=now, service="s", level="info", message="new")

    partial = rollups_expire(now=now, max_batches=2)
    assert partial.minute_rows == 200  # bounded: the next run continues
    assert partial.hour_rows == 1 and partial.batch_ids == 1
    result = retention()
    assert result["minute_rows"] == 50 and result["logs"] == 1
    assert MinuteRollup.objects.count() == 1 and not HourRollup.objects.exists()
    assert not IngestBatch.objects.exists()
    assert list(LogEntry.objects.values_list("message", flat=True)) == ["new"]
    again = retention()
    assert {key: again[key] for key in ("minute_rows", "hour_rows", "batch_ids", "logs")} == dict.fromkeys(
        ("minute_rows", "hour_rows", "batch_ids", "logs"), 0
    )


@pytest.mark.integration
def test_real_worker_runs_the_demo_task(transactional_db):
    from tests.support.celery_worker import celery_worker
    from tests.support.servers import wait_for

    with celery_worker(broker_url="filesystem://") as producer:
        producer.send_task("telemetry.demo_traffic")
        wait_for(lambda: LogEntry.objects.exists() and MinuteRollup.objects.exists(), timeout=60, what="demo traffic")
    assert Series.objects.filter(name="http_requests_total").count() == 2 * len(SERVICES)
