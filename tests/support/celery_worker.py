"""A real Celery worker process against a chosen broker and the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from celery import Celery
from django.conf import settings
from django.db import connection

from sre.config import filesystem_transport_options
from sre.queues import QUEUES
from tests.support.broker_env import broker_url_env
from tests.support.servers import stop_process

ROOT = Path(__file__).resolve().parents[2]


def test_database_url() -> str:
    """A DATABASE_URL for the database the test process is using right now (the test database)."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    user = s.get("USER") or "postgres"
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{s['NAME']}"


@contextmanager
def celery_worker(*, broker_url: str, extra_env: dict[str, str] | None = None) -> Iterator[Celery]:
    """Run ``celery -A sre worker`` on a unique queue (and, for ``filesystem://``, its own folder).

    Yields a producer app whose default queue is the worker's, so ``producer.send_task(name)`` reaches it.
    On ``filesystem://`` (a folder of its own) the worker also consumes every project queue (``sre.queues``), as
    ``make run``'s worker does, so tasks that its tasks enqueue run too; on a shared broker (Redis, RabbitMQ) it
    consumes only its own queue, so it never takes another run's messages.
    The worker uses the test database, so tests using it need ``transactional_db``.
    """
    queue = f"test-{uuid.uuid4().hex[:8]}"
    consumed = [queue, *QUEUES] if broker_url.startswith("filesystem") else [queue]
    with tempfile.TemporaryDirectory(prefix="sre-worker-") as var_dir:
        env = {
            **os.environ,
            "SRE_VAR_DIR": var_dir,
            "DATABASE_URL": test_database_url(),
            "CELERY_BROKER_URL": broker_url,
            "CELERY_POLLING_INTERVAL": "0.05",
            # Same key as the test process, so the worker can decrypt EncryptedTextField values.
            "SECRET_KEY": settings.SECRET_KEY,
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # not the test process's folder (a test may give its own)
        env.update(extra_env or {})
        options = {}
        if broker_url.startswith("filesystem"):
            options = filesystem_transport_options(Path(var_dir) / "celery", polling_interval=0.05)
        command = [
            sys.executable, "-m", "celery", "-A", "sre", "worker", "--loglevel", "WARNING", "--pool", "solo",
            "--queues", ",".join(consumed), "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--hostname", f"{queue}@%h",
        ]  # fmt: skip
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        # Not the current app: shared_task proxies in the test process must keep using sre.celery.app.
        producer = Celery("test-producer", broker=broker_url, set_as_current=False)
        producer.conf.update(task_default_queue=queue, broker_transport_options=options)
        try:
            with broker_url_env(broker_url):
                yield producer
        finally:
            stop_process(process)
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            if "Traceback" in output:
                print(output)
