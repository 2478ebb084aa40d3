"""Bodies sent with ``Transfer-Encoding: chunked`` (no Content-Length) are read, within the size limit, on every
endpoint: through the WSGI handler here, and through a real gunicorn, which de-chunks them."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.utils import timezone

from alerts.models import Alert
from sre.choices import Role
from sre.services import api_token_create, user_set_role
from telemetry.domain import remote_write
from telemetry.models import LogEntry, Series
from telemetry.store import cache_clear
from tests.alerts.factories import RouteFactory
from tests.sre.factories import UserFactory
from tests.support import celery_worker as worker_support
from tests.support.servers import free_port, stop_process, wait_for

ROOT = Path(__file__).resolve().parents[2]


def _log_lines(count: int) -> bytes:
    now = time.time()
    lines = [{"timestamp": now, "service": "chunky", "level": "info", "message": f"line {n}"} for n in range(count)]
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def _remote_write() -> bytes:
    request = remote_write.WriteRequest()
    series = request.timeseries.add()
    series.labels.add(name="__name__", value="chunky_total")
    series.samples.add(value=1, timestamp=int(time.time() * 1000))
    return remote_write.encode(request)


def _metrics() -> bytes:
    sample = {"metric": "chunky_gauge", "labels": {}, "value": 1, "timestamp": time.time(), "kind": "gauge"}
    return json.dumps({"samples": [sample]}).encode()


def _alert() -> bytes:
    return json.dumps({"labels": {"alertname": "Chunky"}}).encode()


INGEST = {
    "logs": ("/api/v1/logs", "application/x-ndjson", lambda: _log_lines(3), {}),
    "metrics": ("/api/v1/metrics", "application/json", _metrics, {}),
    "remote_write": ("/api/v1/write", "application/x-protobuf", _remote_write, {"HTTP_CONTENT_ENCODING": "snappy"}),
    "alerts": ("/api/v1/alerts", "application/json", _alert, {}),
}


def _stored(name: str) -> bool:
    if name == "logs":
        return LogEntry.objects.filter(service="chunky").count() == 3
    if name in ("metrics", "remote_write"):
        return Series.objects.filter(name__startswith="chunky_").exists()
    return Alert.objects.filter(labels__alertname="Chunky").exists()


def _chunked(client, path: str, body: bytes, *, content_type: str, terminated: bool = True, **extra):
    """POST through the WSGI handler as gunicorn hands a chunked request over: no CONTENT_LENGTH, the
    de-chunked body in ``wsgi.input`` (readable to its end), ``wsgi.input_terminated`` set."""
    environ = {"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": ""}
    if terminated:
        environ["wsgi.input_terminated"] = True
    return client.generic("POST", path, b"", content_type=content_type, **environ, **extra)


@pytest.fixture
def ingest(token_client):
    cache_clear()
    yield token_client(role="viewer", scopes=("ingest",))
    cache_clear()


@pytest.mark.parametrize("name", sorted(INGEST))
def test_chunked_bodies_reach_every_ingest_endpoint(ingest, name) -> None:
    RouteFactory(name="root", parent=None, group_by=["alertname"], group_wait=0)
    path, content_type, make, extra = INGEST[name]
    response = _chunked(ingest, path, make(), content_type=content_type, **extra)
    assert response.status_code == 200, response.content
    assert _stored(name)


def test_chunked_body_over_the_limit_is_413(ingest, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    response = _chunked(ingest, "/api/v1/logs", _log_lines(50), content_type="application/x-ndjson")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert not LogEntry.objects.exists()


def test_chunked_body_on_a_server_that_does_not_end_it_is_411(ingest) -> None:
    response = _chunked(ingest, "/api/v1/logs", _log_lines(1), content_type="application/x-ndjson", terminated=False)
    assert response.status_code == 411
    assert "Content-Length" in response.json()["error"]["message"]


def _pieces(body: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


@pytest.mark.integration
def test_chunked_bodies_through_gunicorn(transactional_db) -> None:
    user = UserFactory()
    user_set_role(user=user, role=Role.VIEWER)
    _, token = api_token_create(user=user, name="chunky", scopes=["ingest"], expires_at=None, now=timezone.now())
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="sre-chunked-") as var:
        env = {
            **os.environ,
            "DATABASE_URL": worker_support.test_database_url(),
            "SRE_VAR_DIR": var,
            "SRE_MAX_REQUEST_BYTES": "65536",
            "GUNICORN_THREADS": "1",
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        command = [sys.executable, "-m", "gunicorn", "sre.wsgi:application", "--config", "python:sre.gunicorn_conf",
                   "--bind", f"127.0.0.1:{port}", "--workers", "1"]  # fmt: skip
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for(lambda: _up(url), timeout=30, what="gunicorn")
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
            with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
                request = client.build_request("POST", "/api/v1/logs", content=_pieces(_log_lines(40), 500))
                assert request.headers["Transfer-Encoding"] == "chunked" and "Content-Length" not in request.headers
                response = client.send(request)
                assert response.status_code == 200, response.text
                assert response.json()["accepted"] == 40
                too_big = client.post("/api/v1/logs", content=_pieces(_log_lines(1000), 4096))
                assert too_big.status_code == 413, too_big.text
                assert too_big.json()["error"]["code"] == "payload_too_large"
        finally:
            stop_process(server)
    assert LogEntry.objects.filter(service="chunky").count() == 40


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
