"""gunicorn as production runs it (sre.gunicorn_conf, two workers), with SRE_LOG_FORMAT=json and an OTLP endpoint:
each worker starts tracing after the fork and exports its request spans, with or without ``--preload``, and every
line gunicorn and Django write is one JSON object."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

import pytest

from tests.support.celery_worker import ROOT
from tests.support.celery_worker import test_database_url as database_url  # not collected as a test
from tests.support.otlp_collector import OtlpCollector
from tests.support.servers import free_port, port_open, stop_process, wait_for

pytestmark = pytest.mark.integration


def _get(url: str, request_id: str) -> str:
    request = urllib.request.Request(url, headers={"X-Request-ID": request_id})
    with urllib.request.urlopen(request, timeout=10) as response:  # follows /login/ -> /accounts/login/
        return response.headers["X-Request-ID"]


@pytest.mark.parametrize("preload", [False, True])
def test_gunicorn_workers_trace_after_the_fork_and_log_json(transactional_db, settings, tmp_path, preload):
    collector = OtlpCollector()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SENTRY_"))}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(
        SRE_VAR_DIR=str(tmp_path), DATABASE_URL=database_url(), SECRET_KEY=settings.SECRET_KEY,
        SRE_LOG_FORMAT="json", OTEL_EXPORTER_OTLP_ENDPOINT=collector.url, OTEL_BSP_SCHEDULE_DELAY="50",
    )  # fmt: skip
    command = [
        sys.executable, "-m", "gunicorn", "sre.wsgi:application", "--config", "python:sre.gunicorn_conf",
        "--bind", f"127.0.0.1:{port}", "--workers", "2", *(["--preload"] if preload else []),
    ]  # fmt: skip
    with open(tmp_path / "gunicorn.log", "w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: port_open("127.0.0.1", port), timeout=60, what="gunicorn")
            echoed = [_get(f"http://127.0.0.1:{port}/login/?next=/5ecre7", f"req-{i}") for i in range(8)]
            wait_for(lambda: len([s for s in collector.spans if s.kind == 2]) >= 16, timeout=30, what="16 spans")
        finally:
            stop_process(process)
            collector.close()
    lines = [line for line in (tmp_path / "gunicorn.log").read_text().splitlines() if line.strip()]
    assert echoed == [f"req-{i}" for i in range(8)]
    servers = [s for s in collector.spans if s.kind == 2]
    assert {s.resource["sre.role"] for s in servers} == {"web"}
    assert {s.attributes["sre.request_id"] for s in servers} == set(echoed)
    assert not [s for s in servers if "5ecre7" in repr(dict(s.attributes))]  # no path or query in a span
    records = [json.loads(line) for line in lines if line.startswith("{")]
    requests = [r for r in records if r["logger"] == "sre.request"]
    assert len(requests) == 16 and all(r["trace_id"] and r["request_id"].startswith("req-") for r in requests)
    assert any(r["logger"] == "gunicorn.error" for r in records)  # "Booting worker", in JSON too
    stray = [line for line in lines if not line.startswith("{") and "Warning" not in line and "mw_instance" not in line]
    assert not stray, stray
