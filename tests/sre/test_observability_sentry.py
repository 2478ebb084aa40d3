"""Sentry, with ``SENTRY_DSN`` pointing at a loopback server that takes envelopes as sentry.io does: an exception
in a view reaches it, without the request's Authorization header, cookies or body. Run in a child process, so
the SDK's hooks stay out of the other tests."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.celery_worker import ROOT

pytestmark = pytest.mark.integration

SECRETS = ("sre_tokensecret0123456789", "cookiesecret0123456789", "bodysecret0123456789")

VIEW = f"""
import django, sentry_sdk
from django.test import Client
from django.urls import include, path

django.setup()
from sre.observability import process_init
process_init(role="web")

def boom(request):
    raise RuntimeError("boom-observability-test")

urlpatterns = [path("api/boom", boom), path("", include("sre.urls"))]
from django.conf import settings
settings.ROOT_URLCONF = __name__
import sys
sys.modules[__name__] = sys.modules["__main__"]
client = Client(raise_request_exception=False, SERVER_NAME="localhost")
response = client.post(
    "/api/boom", data='{{"routing_key": "{SECRETS[2]}"}}', content_type="application/json",
    HTTP_AUTHORIZATION="Bearer {SECRETS[0]}", HTTP_COOKIE="csrftoken={SECRETS[1]}",
)
print(response.status_code)
sentry_sdk.flush(timeout=10)
"""


@pytest.fixture
def sentry_server():
    envelopes: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            envelopes.append(self.path.encode() + b"\n" + str(self.headers).encode() + b"\n" + body)
            self.send_response(200)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://publickey@127.0.0.1:{server.server_port}/1", envelopes
    server.shutdown()
    server.server_close()


def test_a_view_exception_reaches_sentry_without_credentials_cookies_or_body(tmp_path, sentry_server):
    dsn, envelopes = sentry_server
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SENTRY_"))}
    env.update(DJANGO_SETTINGS_MODULE="sre.settings", SRE_VAR_DIR=str(tmp_path), SENTRY_DSN=dsn)
    result = subprocess.run(
        [sys.executable, "-c", VIEW], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.stdout.strip().splitlines()[-1:] == ["500"], result.stdout + result.stderr
    events = [e for e in envelopes if b"boom-observability-test" in e]
    assert events, envelopes
    assert events[0].startswith(b"/api/1/envelope/")
    assert b"/api/boom" in events[0]  # the request is described: its URL
    for secret in SECRETS:
        assert secret.encode() not in b"".join(envelopes)


def test_a_failing_management_command_reaches_sentry(tmp_path, sentry_server):
    dsn, envelopes = sentry_server
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SENTRY_"))}
    env.update(DJANGO_SETTINGS_MODULE="sre.settings", SRE_VAR_DIR=str(tmp_path), SENTRY_DSN=dsn)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", "raise RuntimeError('boom-manage-command')"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert any(b"boom-manage-command" in e and b'"sre.role":"manage"' in e.replace(b" ", b"") for e in envelopes), (
        envelopes
    )
