"""Kill the gunicorn worker with SIGKILL while a client streams batches: every 2xx batch is stored once.

The client retries every batch that did not get a 2xx (connection reset, 5xx) with the same batch_id,
as a real producer would. Each batch adds delta 1 to the same 20 series, so the stored sums must equal
the number of batches exactly: a lost batch makes them smaller, a double-applied one larger.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pytest
from django.db.models import Sum
from django.utils import timezone

from sre.services import api_token_create
from telemetry.models import IngestBatch, MinuteRollup, Series
from tests.sre.factories import UserFactory
from tests.support import celery_worker as worker_support
from tests.support.servers import free_port, stop_process, wait_for

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
BATCHES = 80
SERIES = 20


def _workers(master: int) -> list[int]:
    try:
        text = Path(f"/proc/{master}/task/{master}/children").read_text()
    except OSError:
        return []
    return [int(pid) for pid in text.split()]


def test_sigkilled_worker_loses_no_acknowledged_batch_and_doubles_none(transactional_db):
    from sre.choices import Role
    from sre.services import user_set_role

    user = UserFactory()
    user_set_role(user=user, role=Role.VIEWER)
    _, token = api_token_create(user=user, name="kill", scopes=["ingest"], expires_at=None, now=timezone.now())
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="sre-kill-") as var:
        env = {
            **os.environ,
            "DATABASE_URL": worker_support.test_database_url(),
            "SRE_VAR_DIR": var,
            "SRE_API_RATE": "1000000/min",
            "GUNICORN_THREADS": "2",
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        command = [sys.executable, "-m", "gunicorn", "sre.wsgi:application", "--config", "python:sre.gunicorn_conf",
                   "--bind", f"127.0.0.1:{port}", "--workers", "1"]  # fmt: skip
        master = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for(lambda: _up(url), timeout=30, what="gunicorn")
            acknowledged: list[int] = []
            failures: list[str] = []
            done = threading.Event()

            def stream() -> None:
                now = time.time()
                with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as client:
                    for index in range(BATCHES):
                        body = {"batch_id": f"kill-{index}", "samples": [
                            {"metric": "sigkill_total", "labels": {"n": str(n)}, "value": 1, "timestamp": now,
                             "kind": "delta"} for n in range(SERIES)]}  # fmt: skip
                        deadline = time.monotonic() + 60
                        while True:
                            try:
                                response = client.post("/api/v1/metrics", json=body)
                                if response.status_code == 200:
                                    acknowledged.append(index)
                                    break
                                failures.append(f"{index}: HTTP {response.status_code}")
                            except httpx.HTTPError as exc:
                                failures.append(f"{index}: {type(exc).__name__}")
                            if time.monotonic() > deadline:
                                raise AssertionError(f"batch {index} never stored: {failures[-3:]}")
                            time.sleep(0.1)
                done.set()

            client_thread = threading.Thread(target=stream)
            client_thread.start()
            wait_for(lambda: len(acknowledged) >= 25, timeout=60, what="25 acknowledged batches")
            [victim] = _workers(master.pid)
            os.kill(victim, signal.SIGKILL)
            wait_for(lambda: _workers(master.pid) and _workers(master.pid) != [victim], timeout=30, what="new worker")
            client_thread.join(timeout=180)
            assert done.is_set(), f"client did not finish; failures: {failures[-5:]}"
        finally:
            stop_process(master)
    print(f"failures during the kill: {failures}")
    assert sorted(acknowledged) == list(range(BATCHES))
    assert IngestBatch.objects.filter(batch_id__startswith="kill-").count() == BATCHES
    ids = list(Series.objects.filter(name="sigkill_total").values_list("id", flat=True))
    assert len(ids) == SERIES
    for sid in ids:
        assert MinuteRollup.objects.filter(series_id=sid).aggregate(t=Sum("increase"))["t"] == BATCHES


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
