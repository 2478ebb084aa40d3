"""What the current request or task is, in context variables: read by the log filter (``logs``), set by the
request middleware and the Celery signals, carried into threads with ``contextvars.copy_context()``.

No Django import: logging is configured before the apps load.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from contextvars import Context, ContextVar
from dataclasses import dataclass
from typing import Any

# An incoming X-Request-ID is kept when it is this shape (a load balancer's or a client's id), else replaced:
# it goes into every log line, so it must not carry spaces, quotes or control characters.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+=-]{0,127}")


@dataclass(frozen=True)
class TaskContext:
    task_id: str
    task_name: str


request_id_var: ContextVar[str | None] = ContextVar("sre_request_id", default=None)
# The Django request being served: the log filter reads who made it only once authentication has run.
request_var: ContextVar[Any] = ContextVar("sre_request", default=None)
task_var: ContextVar[TaskContext | None] = ContextVar("sre_task", default=None)


def request_id_accept(value: str | None) -> str:
    """``value`` when it is a well-formed request id, else a new one (32 hex digits)."""
    if value and REQUEST_ID_PATTERN.fullmatch(value):
        return value
    return uuid.uuid4().hex


# Set by ``tracing.tracing_configure``: (get the current OpenTelemetry context, attach one). None when tracing is off.
trace_context_hooks: tuple[Callable[[], Any], Callable[[Any], object]] | None = None


def carried_context() -> Context:
    """A fresh ``Context`` holding only what follows work handed to another thread: the request id, the task and
    the current trace. Run the work in it (``context.run(fn, ...)``); nothing else of the caller's context (its
    audit actor, say) goes along."""
    request_id, task = request_id_var.get(), task_var.get()
    hooks = trace_context_hooks
    trace_context = hooks[0]() if hooks is not None else None

    def fill() -> None:
        request_id_var.set(request_id)
        task_var.set(task)
        if hooks is not None:
            hooks[1](trace_context)

    context = Context()
    context.run(fill)
    return context
