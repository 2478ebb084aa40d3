"""The Celery application. Settings come from Django settings under the ``CELERY_`` namespace."""

from __future__ import annotations

import os

from celery import Celery

from sre import broker

# Connects its signals: task ids in log lines, a line per finished task, tracing and Sentry in worker and beat.
from sre.observability import tasks as _observability_tasks  # noqa: F401

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sre.settings")
broker.register()

app = Celery("sre")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Celery's Django fix-up closes every database connection before and after each task unless this is set, so
# each task paid a new PostgreSQL connection (a backend fork and authentication: about a third of the
# database's CPU per alert delivery). Connections are kept instead and retired by Django's own rules
# (``CONN_MAX_AGE``, health checks, errors) in ``sre.ops.task_signals``.
app.conf["CELERY_DB_REUSE_MAX"] = 1_000_000
app.autodiscover_tasks()


def task_options(*, transient: tuple[type[BaseException], ...] = (), max_retries: int = 5, **extra: object) -> dict:
    """Defaults for every task: acks late, re-queued if the worker dies, bounded retries with jittered
    backoff for the named transient errors only, and time limits (overridable per task)."""
    options: dict[str, object] = {
        "acks_late": True,
        "reject_on_worker_lost": True,
        "max_retries": max_retries,
        "retry_backoff": True,
        "retry_backoff_max": 600,
        "retry_jitter": True,
    }
    if transient:
        options["autoretry_for"] = transient
    options.update(extra)
    return options
