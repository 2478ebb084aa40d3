"""With the database unreachable: the API answers 503 in its JSON error shape, pages a 503, and the public
``/readyz`` says what failed without the driver's text (hosts, ports, users)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import OperationalError
from django.test import Client
from rest_framework.test import APIClient

from sre.ops import checks
from tests.support.servers import free_port, stop_process, wait_for

ROOT = Path(__file__).resolve().parents[2]
DRIVER_TEXT = 'connection failed: connection to server at "10.20.30.40", port 5999 failed: Connection refused'
TOKEN = "sre_abcdefghij_" + "x" * 43


def _down(*_args, **_kwargs):
    raise OperationalError(DRIVER_TEXT)


class _DownConnection:
    vendor = "postgresql"
    cursor = staticmethod(_down)


def _no_driver_text(content: bytes) -> None:
    for needle in (b"10.20.30.40", b"5999", b"OperationalError", b"Connection refused"):
        assert needle not in content


def test_readyz_says_only_what_failed(db, settings, monkeypatch) -> None:
    monkeypatch.setattr(checks, "connection", _DownConnection())
    settings.CELERY_BROKER_URL = "redis://admin:s3cret@127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["database", "broker"]
    assert body["checks"]["database"] == {"ok": False, "detail": "database unreachable"}
    assert body["checks"]["broker"] == {"ok": False, "detail": "broker unreachable"}
    _no_driver_text(response.content)
    assert b"s3cret" not in response.content and b"127.0.0.1" not in response.content


def test_api_answers_503_json_when_the_database_is_down(db, monkeypatch) -> None:
    monkeypatch.setattr("sre.api.authentication.api_token_find", _down)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    response = client.get("/api/v1/me")
    assert response.status_code == 503
    assert response.json() == {
        "error": {
            "code": "database_unavailable",
            "message": "The database is unreachable; try again shortly.",
            "fields": {},
        }
    }
    _no_driver_text(response.content)


def test_session_requests_answer_503_when_the_database_is_down(db, monkeypatch) -> None:
    client = Client(raise_request_exception=False)  # a middleware's error reaches handler500, as in production
    client.cookies["sessionid"] = "a" * 32
    monkeypatch.setattr(SessionStore, "load", _down)
    api = client.get("/api/v1/me")  # the session is read inside DRF's authentication
    assert api.status_code == 503 and api.json()["error"]["code"] == "database_unavailable"
    page = client.get("/alerts/")  # read by a middleware, before any view
    assert page.status_code == 503 and b"database is unreachable" in page.content
    _no_driver_text(page.content)


@pytest.mark.integration
def test_gunicorn_with_an_unreachable_postgresql() -> None:
    port, dead = free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="sre-dbdown-") as var:
        env = {**os.environ, "DATABASE_URL": f"postgres://sre@127.0.0.1:{dead}/sre", "SRE_VAR_DIR": var}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        command = [sys.executable, "-m", "gunicorn", "sre.wsgi:application", "--config", "python:sre.gunicorn_conf",
                   "--bind", f"127.0.0.1:{port}", "--workers", "1"]  # fmt: skip
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for(lambda: _up(url), timeout=30, what="gunicorn")
            me = httpx.get(f"{url}/api/v1/me", headers={"Authorization": f"Bearer {TOKEN}"})
            assert me.status_code == 503
            assert me.json()["error"]["code"] == "database_unavailable"
            ready = httpx.get(f"{url}/readyz")
            assert ready.status_code == 503
            assert ready.json()["checks"]["database"] == {"ok": False, "detail": "database unreachable"}
            assert str(dead).encode() not in ready.content and b"127.0.0.1" not in ready.content
            page = httpx.get(f"{url}/alerts/", cookies={"sessionid": "a" * 32})
            assert page.status_code == 503
        finally:
            stop_process(server)


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
