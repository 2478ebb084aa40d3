"""POST /api/v1/write: Prometheus remote_write 1.0 decoding and its bad-input answers."""

from __future__ import annotations

import time

import cramjam
import pytest

from telemetry.domain import remote_write
from telemetry.models import MinuteRollup, Series

URL = "/api/v1/write"


def body(series: list[tuple[dict, list[tuple[float, float]]]]) -> bytes:
    request = remote_write.WriteRequest()
    for labels, samples in series:
        ts = request.timeseries.add()
        for name, value in labels.items():
            ts.labels.add(name=name, value=value)
        for value, when in samples:
            ts.samples.add(value=value, timestamp=int(when * 1000))
    return remote_write.encode(request)


def post(client, data: bytes, **headers):
    headers = {"Content-Encoding": "snappy", "X-Prometheus-Remote-Write-Version": "0.1.0", **headers}
    return client.post(URL, data, content_type="application/x-protobuf", headers=headers)


@pytest.mark.django_db
def test_remote_write_counters_and_gauges(ingest_client):
    now = time.time()
    data = body([
        ({"__name__": "req_total", "job": "api"}, [(10, now - 30), (15, now - 15), (3, now)]),
        ({"__name__": "temperature", "job": "api"}, [(21.5, now)]),
        ({"__name__": "stale", "job": "api"}, [(float("nan"), now)]),
    ])  # fmt: skip
    response = post(ingest_client, data)
    assert response.status_code == 200, response.json()
    assert response.json()["accepted"] == 4 and response.json()["rejected"] == 1
    counter = Series.objects.get(name="req_total")
    assert sum(MinuteRollup.objects.filter(series=counter).values_list("increase", flat=True)) == 8  # 5 + reset 3
    assert Series.objects.get(name="temperature").kind == "gauge"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not snappy at all",
        body([({"__name__": "a_total"}, [(1, time.time())])])[:-4],  # truncated
        bytes(cramjam.snappy.compress_raw(b"\xff\xff\xff\xff garbage protobuf")),
        b"\xff\xff\xff\xff\x7f",  # declares a huge uncompressed size
    ],
)
def test_truncated_or_non_snappy_body_is_400(ingest_client, data):
    response = post(ingest_client, data)
    assert response.status_code == 400
    assert response.json()["error"]["message"]


@pytest.mark.django_db
def test_remote_write_needs_a_token_with_ingest_scope(client, read_client):
    data = body([({"__name__": "a_total"}, [(1, time.time())])])
    assert post(read_client, data).status_code == 403
    assert client.post(URL, data, content_type="application/x-protobuf").status_code in (401, 403)
