"""Log records that say which request or task wrote them, as text or as one JSON object a line.

``ContextFilter`` (on the console handler) adds ``request_id``, ``user_id`` or ``token_id``, ``task_id`` and
``task_name``, and ``trace_id``/``span_id`` when tracing is on, to every record; ``logging_config`` builds
``settings.LOGGING`` for ``SRE_LOG_FORMAT`` (``text``, the default, for ``make run``'s terminal; ``json`` for
production, where a collector parses the lines). No Django settings are read here: logging is configured before
the apps load.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.utils.functional import empty
from pythonjsonlogger.orjson import OrjsonFormatter

from sre.observability.context import request_id_var, request_var, task_var

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

# Set by ``tracing.tracing_configure`` when tracing is on: () -> (trace_id, span_id) of the current span, or None.
trace_ids: Callable[[], tuple[str, str] | None] | None = None


def _identity(request: Any) -> tuple[int | None, int | None]:
    """(user id, API token id) of a request, from what authentication already set: never a query of its own."""
    attributes = request.__dict__
    token = attributes.get("auth")  # DRF sets it on the Django request too
    user = attributes.get("user")
    wrapped = getattr(user, "__dict__", {}).get("_wrapped", user)  # AuthenticationMiddleware's lazy user
    if wrapped is empty or wrapped is None or not getattr(wrapped, "is_authenticated", False):
        user_id = None
    else:
        user_id = wrapped.pk
    token_id = getattr(token, "pk", None) if token is not None and not isinstance(token, str | bytes) else None
    return user_id, token_id


class ContextFilter(logging.Filter):
    """Adds the current request's and task's ids to each record (only those that are known)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = request_id_var.get()
        if request_id is not None:
            record.request_id = request_id
        request = request_var.get()
        if request is not None:
            user_id, token_id = _identity(request)
            if user_id is not None:
                record.user_id = user_id
            if token_id is not None:
                record.token_id = token_id
        task = task_var.get()
        if task is not None:
            record.task_id = task.task_id
            record.task_name = task.task_name
        if trace_ids is not None:
            ids = trace_ids()
            if ids is not None:
                record.trace_id, record.span_id = ids
        return True


def json_formatter() -> OrjsonFormatter:
    """One JSON object a line: timestamp (UTC, ISO 8601), level, logger, message, then every field the record
    carries (the context filter's ids, ``duration_ms``, ``extra=`` values), and the traceback as ``exc_info``.
    Serialised with orjson (a dependency already): about twice as fast as the standard library's json here."""
    return OrjsonFormatter(
        "%(levelname)s %(name)s %(message)s", rename_fields={"levelname": "level", "name": "logger"}, timestamp=True
    )


def logging_config(*, level: str, log_format: str) -> dict[str, Any]:
    """``settings.LOGGING``: one console handler with the context filter, text or JSON."""
    formatter = {"()": "sre.observability.logs.json_formatter"} if log_format == "json" else {"format": TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"console": formatter},
        "filters": {
            "context": {"()": "sre.observability.logs.ContextFilter"},
            # A refused request (403) is routine: one line, without the traceback Django attaches to it.
            "no_403_traceback": {"()": "sre.logfilters.NoTracebackFor403"},
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "console", "filters": ["context"]}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            "django.request": {"filters": ["no_403_traceback"]},
            "django.security": {"filters": ["no_403_traceback"]},
        },
    }
