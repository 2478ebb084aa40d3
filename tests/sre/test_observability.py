"""The control plane's own observability when nothing is configured: no SDK loaded, malformed settings refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from sre.env import EnvError
from sre.observability.sentry import sentry_configure
from sre.observability.tracing import tracing_configure, url_without_path
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
