"""POST /api/v1/metrics: JSON and text exposition, rollups, idempotency, bad input."""

from __future__ import annotations

import time

import pytest

from telemetry.models import HourRollup, IngestBatch, MinuteRollup, Series

URL = "/api/v1/metrics"


def _now_minute() -> float:
    return (time.time() // 3600) * 3600 - 3600  # a whole hour ago, so minutes/hours are predictable


def push(client, samples, batch_id=None):
    body = {"samples": samples}
    if batch_id:
        body["batch_id"] = batch_id
    return client.post(URL, body, format="json")


def sample(value, ts, *, metric="http_requests_total", kind=None, **labels):
    s = {"metric": metric, "labels": labels or {"service": "checkout", "code": "200"}, "value": value, "timestamp": ts}
    if kind:
        s["kind"] = kind
    return s


def minute_total(series_id=None) -> float:
    qs = MinuteRollup.objects.all() if series_id is None else MinuteRollup.objects.filter(series_id=series_id)
    return sum(r.increase for r in qs)


@pytest.mark.django_db
def test_counter_increases_with_reset_become_minute_and_hour_rollups(ingest_client):
    t0 = _now_minute()
    values = [100, 110, 130, 5, 25]  # reset between 130 and 5: increase 10 + 20 + 5 + 20
    response = push(ingest_client, [sample(v, t0 + 30 * i) for i, v in enumerate(values)])
    assert response.status_code == 200, response.json()
    assert response.json()["accepted"] == 5
    series = Series.objects.get()
    assert series.key == 'http_requests_total{code="200",service="checkout"}'
    assert minute_total(series.id) == 55
    by_minute = {r.start: r.increase for r in MinuteRollup.objects.all()}
    assert by_minute == {int(t0): 10.0, int(t0) + 60: 25.0, int(t0) + 120: 20.0}
    assert sum(r.increase for r in HourRollup.objects.all()) == 55
    assert series.state.last_value == 25 and series.state.last_ts == t0 + 120


@pytest.mark.django_db
def test_state_carries_across_batches_and_retried_cumulative_samples_are_rejected(ingest_client):
    t0 = _now_minute()
    push(ingest_client, [sample(10, t0)])
    first = push(ingest_client, [sample(15, t0 + 60)])
    assert first.json()["accepted"] == 1
    again = push(ingest_client, [sample(15, t0 + 60)])  # a blind retry without batch_id
    assert again.json()["accepted"] == 0 and again.json()["rejected"] == 1
    assert "last timestamp" in again.json()["reasons"][-1]
    assert minute_total() == 5


@pytest.mark.django_db
def test_delta_samples_add_and_batch_id_makes_retries_harmless(ingest_client):
    t0 = _now_minute()
    batch = [sample(3, t0, kind="delta"), sample(4, t0 + 1, kind="delta")]
    assert push(ingest_client, batch, batch_id="b-1").json()["accepted"] == 2
    retry = push(ingest_client, batch, batch_id="b-1").json()
    assert retry["duplicate"] is True and retry["accepted"] == 2
    assert minute_total() == 7
    assert IngestBatch.objects.filter(batch_id="b-1").count() == 1


@pytest.mark.django_db
def test_gauges_keep_last_value_per_minute(ingest_client):
    t0 = _now_minute()
    push(ingest_client, [sample(5, t0 + 10, metric="queue_depth"), sample(9, t0 + 50, metric="queue_depth")])
    push(ingest_client, [sample(7, t0 + 20, metric="queue_depth")])  # older than the stored one: ignored
    row = MinuteRollup.objects.get()
    assert row.gauge == 9 and row.samples == 3 and row.increase == 0
    assert HourRollup.objects.get().gauge == 9


@pytest.mark.django_db
def test_rfc3339_timestamps_and_label_order_name_one_series(ingest_client):
    push(
        ingest_client,
        [{"metric": "x_total", "labels": {"a": "1", "b": "2"}, "value": 1, "timestamp": "2026-11-21T10:00:00Z"}],
    )
    push(ingest_client, [{"metric": "x_total", "labels": {"b": "2", "a": "1"}, "value": 2, "timestamp": time.time()}])
    assert Series.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("samples", "field"),
    [
        ([sample(1, 0), {"metric": "9bad", "value": 1}], "samples[1].metric"),
        ([{"metric": "ok", "labels": {"__x": "1"}, "value": 1}], "samples[0].labels.__x"),
        ([{"metric": "ok", "labels": {"a": 1}, "value": 1}], "samples[0].labels.a"),
        ([{"metric": "ok", "value": "1"}], "samples[0].value"),
        ([{"metric": "ok_total", "value": -1}], "samples[0].value"),
        ([{"metric": "ok", "value": 1, "timestamp": "yesterday"}], "samples[0].timestamp"),
        ([{"metric": "ok", "value": 1, "kind": "histogram"}], "samples[0].kind"),
        ([{"metric": "ok", "value": 1, "extra": 1}], "samples[0].extra"),
        ([7], "samples[0]"),
    ],
)
def test_malformed_batch_is_rejected_whole_naming_first_bad_item(ingest_client, samples, field):
    response = push(ingest_client, samples)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"], response.json()
    assert field in response.json()["error"]["message"]
    assert not MinuteRollup.objects.exists() and not Series.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body", [b"", b"{", b"[]", b'{"samples": 1}', b'{"sample": []}', b'{"samples": [], "batch_id": 5}', b"NaN"]
)
def test_garbage_bodies_get_400_json(ingest_client, body):
    response = ingest_client.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["message"]


@pytest.mark.django_db
def test_unsupported_content_type_is_415(ingest_client):
    response = ingest_client.post(URL, b"x", content_type="application/xml")
    assert response.status_code == 415
    assert "Content-Type" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_far_future_and_too_old_samples_are_rejected_with_reasons(ingest_client):
    now = time.time()
    response = push(ingest_client, [sample(1, now + 86400), sample(1, now - 500 * 86400), sample(1, now)])
    body = response.json()
    assert response.status_code == 200
    assert body["accepted"] == 1 and body["rejected"] == 2
    assert "future" in body["reasons"][0] and "retention" in body["reasons"][1]


@pytest.mark.django_db
def test_body_over_limit_is_413(ingest_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    response = push(ingest_client, [sample(i, time.time()) for i in range(100)])
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


@pytest.mark.django_db
def test_cardinality_limit_per_metric_is_422_naming_it(ingest_client, settings):
    settings.SRE = {**settings.SRE, "METRIC_CARDINALITY_LIMITS": {"user_requests_total": 3}}
    now = time.time()
    ok = push(ingest_client, [sample(1, now, metric="user_requests_total", user=str(i)) for i in range(3)])
    assert ok.status_code == 200
    over = push(ingest_client, [sample(1, now, metric="user_requests_total", user=str(i)) for i in range(3, 5)])
    assert over.status_code == 422
    assert "user_requests_total" in over.json()["error"]["message"]
    assert Series.objects.filter(name="user_requests_total").count() == 3
    other = push(ingest_client, [sample(1, now, metric="other_total", user=str(i)) for i in range(10)])
    assert other.status_code == 200


@pytest.mark.django_db
def test_rate_limit_answers_429_with_retry_after(ingest_client, monkeypatch):
    from django.core.cache import cache

    from sre.api.throttling import TokenRateThrottle

    cache.clear()
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "2/min"})
    try:
        codes = [push(ingest_client, [sample(i, time.time())]).status_code for i in range(2)]
        last = push(ingest_client, [sample(9, time.time())])
    finally:
        cache.clear()
    assert codes == [200, 200] and last.status_code == 429
    assert int(last["Retry-After"]) > 0
    assert last.json()["error"]["message"]


@pytest.mark.django_db
def test_ingest_needs_the_ingest_scope(read_client):
    response = push(read_client, [sample(1, time.time())])
    assert response.status_code == 403
    assert "ingest" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_text_exposition_with_job_label(ingest_client):
    text = (
        "# TYPE jobs_processed_total counter\n"
        'jobs_processed_total{queue="emails"} 10\n'
        "# TYPE queue_size gauge\n"
        "queue_size 4\n"
        "# TYPE lat_seconds histogram\n"
        'lat_seconds_bucket{le="0.1"} 3\n'
        'lat_seconds_bucket{le="+Inf"} 5\n'
        "lat_seconds_count 5\n"
        "lat_seconds_sum 0.7\n"
    )
    response = ingest_client.post(f"{URL}?job=batch", text, content_type="text/plain; version=0.0.4")
    assert response.status_code == 200, response.json()
    assert response.json()["accepted"] == 6
    kinds = dict(Series.objects.values_list("key", "kind"))
    assert kinds['jobs_processed_total{job="batch",queue="emails"}'] == "counter"
    assert kinds['queue_size{job="batch"}'] == "gauge"
    assert kinds['lat_seconds_bucket{job="batch",le="+Inf"}'] == "counter"


@pytest.mark.django_db
def test_text_exposition_garbage_is_400(ingest_client):
    response = ingest_client.post(URL, "this is { not metrics", content_type="text/plain")
    assert response.status_code == 400
    assert response.json()["error"]["message"]
