"""Celery signal handlers: task counts and durations, and database connections kept across tasks."""

from __future__ import annotations

import time
from typing import Any

from celery import signals
from django.db import close_old_connections

from sre.ops.metrics import TASK_DURATION, TASKS

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
