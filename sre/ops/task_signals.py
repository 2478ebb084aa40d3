"""Celery signal handlers: task counts and durations, database connections kept across tasks, and a worker's own
``/metrics`` endpoint (``SRE_WORKER_METRICS_PORT``) for deployments where the web does not share its metrics folder."""

from __future__ import annotations

import time
from typing import Any

from celery import signals
from django.conf import settings
from django.db import close_old_connections

from sre.ops.metrics import TASK_DURATION, TASKS, worker_metrics_serve

_started: dict[str, float] = {}


@signals.task_prerun.connect
def _task_prerun(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    if not getattr(getattr(task, "request", None), "is_eager", False):
        # As Django does around each request: drop a connection past CONN_MAX_AGE or broken by an error.
        close_old_connections()
    if task_id:
        _started[task_id] = time.perf_counter()


@signals.task_postrun.connect
def _task_postrun(task_id: str | None = None, task: Any = None, state: str | None = None, **_: Any) -> None:
    name = getattr(task, "name", "unknown")
    started = _started.pop(task_id, None) if task_id else None
    if started is not None:
        TASK_DURATION.labels(task=name).observe(time.perf_counter() - started)
    TASKS.labels(task=name, state=(state or "UNKNOWN").lower()).inc()
    if not getattr(getattr(task, "request", None), "is_eager", False):
        close_old_connections()


@signals.worker_ready.connect
def _worker_ready(**_: Any) -> None:
    """Serve this worker's task metrics (its pool processes' too) on ``SRE_WORKER_METRICS_PORT`` when set: with a
    worker per container or machine, the web's ``/metrics`` cannot see them (``make run`` shares one folder)."""
    port = settings.SRE["WORKER_METRICS_PORT"]
    if port:
        worker_metrics_serve(port=port)
