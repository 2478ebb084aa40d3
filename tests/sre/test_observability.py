"""The control plane's own observability when nothing is configured: no SDK loaded, malformed settings refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import pytest

from sre.env import EnvError
from sre.observability.sentry import sentry_configure
from sre.observability.tracing import _ForkSafeSession, tracing_configure, url_without_path
from tests.support.celery_worker import ROOT

PROBE = """
import sys, django
django.setup()
import sre.celery, sre.wsgi
from sre.observability import process_init
process_init(role="worker")
print(sorted({m.split(".")[0] for m in sys.modules if m.startswith(("opentelemetry", "sentry_sdk"))}))
"""


def test_without_their_variables_neither_opentelemetry_nor_sentry_is_imported(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SENTRY_"))}
    env.update(DJANGO_SETTINGS_MODULE="sre.settings", SRE_VAR_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(result.stdout.strip().splitlines()[-1].replace("'", '"')) == []


@pytest.mark.parametrize(
    ("name", "value"),
    [("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"), ("SENTRY_DSN", "ftp://key@sentry.example/1")],
)
def test_a_malformed_endpoint_or_dsn_stops_start_up_with_its_name(name, value):
    configure = tracing_configure if name.startswith("OTEL") else sentry_configure
    with pytest.raises(EnvError, match=name):
        configure(role="web", environ={name: value})


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://hooks.slack.com/services/T000/B000/XXXXSECRET?x=1", "https://hooks.slack.com"),
        ("http://127.0.0.1:8080/hook?token=abc", "http://127.0.0.1:8080"),
        ("http://[::1]:9000/a", "http://[::1]:9000"),
    ],
)
def test_span_urls_keep_only_scheme_host_and_port(url, kept):
    assert url_without_path(url) == kept


def test_the_exporter_session_opens_its_own_connection_after_a_fork():
    """gunicorn --preload forks workers from a master that exports spans too: a keep-alive connection the child
    inherited would carry both processes' requests (each reading the other's answers), so the child opens its own."""
    ports: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as an OTLP collector answers

        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            ports.append(self.client_address[1])
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/v1/traces"
    try:
        session = _ForkSafeSession()
        assert session.post(url, data=b"parent", timeout=10).status_code == 200
        assert session.post(url, data=b"parent", timeout=10).status_code == 200
        child = os.fork()
        if child == 0:  # pragma: no cover - the child's result is its exit status
            try:
                os._exit(0 if session.post(url, data=b"child", timeout=10).status_code == 200 else 1)
            except OSError:  # requests.RequestException included
                os._exit(2)
        _, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert session.post(url, data=b"parent", timeout=10).status_code == 200
    finally:
        server.shutdown()
        server.server_close()
    assert ports[0] == ports[1] == ports[3]  # the parent keeps its connection
    assert ports[2] != ports[0]  # the child did not write on it
