"""A real Celery worker for the delivery tests, on its own filesystem broker folder, that a test can SIGKILL.

Unlike tests/support/celery_worker.py it consumes the project's queues (all of them unless told: delivery retries
are re-queued by the worker itself) and points the test process's Celery app at the same folder while it runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sre.config import filesystem_transport_options
from sre.queues import QUEUES
from tests.support.broker_env import broker_url_env
from tests.support.celery_worker import ROOT, test_database_url
from tests.support.servers import stop_process


class Worker:
    def __init__(self, var_dir: str, env: dict[str, str], queues: tuple[str, ...] = QUEUES) -> None:
        self.var_dir = var_dir
        self.env = env
        self.queues = queues
        self.process: subprocess.Popen | None = None
        self.log = Path(var_dir) / "worker.log"

    def start(self) -> None:
        command = [
            sys.executable, "-m", "celery", "-A", "sre", "worker", "--loglevel", "INFO", "--pool", "solo",
            "--queues", ",".join(self.queues), "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--hostname", f"alerts-{os.getpid()}@%h",
        ]  # fmt: skip
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        """SIGKILL: no chance to finish or acknowledge anything."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _reset_connections(app) -> None:
    # Not app.close(): that also drops the app from Celery's active apps, and a tasks module imported after it
    # (alerts.tasks is imported lazily) then never registers its tasks: NotRegistered on the next .delay().
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def delivery_worker(extra_env: dict[str, str], *, queues: tuple[str, ...] = QUEUES) -> Iterator[Worker]:
    from django.conf import settings

    from sre.celery import app

    with tempfile.TemporaryDirectory(prefix="sre-alerts-worker-") as var_dir:
        env = {
            **os.environ,
            "SRE_VAR_DIR": var_dir,
            "DATABASE_URL": test_database_url(),
            "CELERY_BROKER_URL": "filesystem://",
            "CELERY_POLLING_INTERVAL": "0.05",
            # Same key as the test process, or the worker could not decrypt receiver secrets.
            "SECRET_KEY": settings.SECRET_KEY,
            **extra_env,
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        options = filesystem_transport_options(Path(var_dir) / "celery", polling_interval=0.05)
        saved = (app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_always_eager)
        _reset_connections(app)
        app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_always_eager = (
            "filesystem://",
            options,
            False,
        )
        worker = Worker(var_dir, env, queues)
        worker.start()
        try:
            with broker_url_env("filesystem://"):  # Celery prefers this variable to app.conf.broker_url
                yield worker
        finally:
            worker.stop()
            _reset_connections(app)
            app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_always_eager = saved
            if "Traceback" in worker.output():
                print(worker.output()[-5000:])
