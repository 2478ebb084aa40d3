"""Celery signals: each task's log lines carry its id and name (and the id of the request that queued it), one
line per finished task with its duration, and the worker's and beat's processes turn on tracing and Sentry.

Connected on import by ``sre/celery.py``, so ``celery -A sre worker`` and ``beat`` have them before they start.
"""

from __future__ import annotations

import logging
import time
from contextvars import Token
from typing import Any

from celery import signals  # type: ignore[import-untyped]  # a submodule: mypy reports it even when followed silently

from sre.observability import process_init
from sre.observability.context import TaskContext, request_id_accept, request_id_var, task_var

logger = logging.getLogger("sre.task")

REQUEST_ID_HEADER = "sre_request_id"

# task id -> (start, context tokens); a worker runs one task per thread, so ids never collide.
_running: dict[str, tuple[float, Token, Token]] = {}


@signals.before_task_publish.connect(dispatch_uid="sre-observability-publish")
def _publish(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """The request (or task) that queues a task passes its request id on in the message headers."""
    request_id = request_id_var.get()
    if request_id is not None and headers is not None:
        headers.setdefault(REQUEST_ID_HEADER, request_id)


@signals.task_prerun.connect(dispatch_uid="sre-observability-prerun")
def _prerun(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    if not task_id:
        return
    # From the message headers; an eager task (run inline) keeps its caller's.
    inherited = getattr(getattr(task, "request", None), REQUEST_ID_HEADER, None)
    id_token = request_id_var.set(request_id_accept(inherited) if inherited else request_id_var.get())
    task_token = task_var.set(TaskContext(task_id=task_id, task_name=getattr(task, "name", "unknown")))
    _running[task_id] = (time.perf_counter(), id_token, task_token)


@signals.task_postrun.connect(dispatch_uid="sre-observability-postrun")
def _postrun(task_id: str | None = None, state: str | None = None, **_: Any) -> None:
    entry = _running.pop(task_id, None) if task_id else None
    if entry is None:
        return
    started, id_token, task_token = entry
    try:
        logger.info(
            "task %s", (state or "UNKNOWN").lower(),
            extra={"state": state, "duration_ms": round((time.perf_counter() - started) * 1000, 3)},
        )  # fmt: skip
    finally:
        # Reset in the reverse order of setting (an eager task runs inside its caller's context).
        task_var.reset(task_token)
        request_id_var.reset(id_token)


@signals.worker_process_init.connect(dispatch_uid="sre-observability-worker-child")
def _worker_child(**_: Any) -> None:
    """A prefork pool's child, after the fork: its own exporter threads and connections."""
    process_init(role="worker")


@signals.worker_init.connect(dispatch_uid="sre-observability-worker")
def _worker(sender: Any = None, **_: Any) -> None:
    """The solo and thread pools run tasks in the main process; a prefork parent waits for its children."""
    pool = getattr(sender, "pool_cls", None)
    name = pool if isinstance(pool, str) else getattr(pool, "__module__", "")
    if "prefork" not in name:
        process_init(role="worker")


@signals.beat_init.connect(dispatch_uid="sre-observability-beat")
def _beat(**_: Any) -> None:
    process_init(role="beat")
