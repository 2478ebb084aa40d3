"""The control plane observing itself: JSON logs with request and task ids (``logs``, ``middleware``,
``tasks``), OpenTelemetry traces when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (``tracing``) and Sentry when
``SENTRY_DSN`` is set (``sentry``). Each integration is off, and its SDK never imported, until its variable is set.

``process_init`` is called once per serving process, after any fork: by ``sre/wsgi.py`` in each gunicorn worker,
and by the Celery worker's and beat's start-up signals (``sre.observability.tasks``).
"""

from __future__ import annotations

from sre.observability.sentry import sentry_configure
from sre.observability.tracing import tracing_configure


def process_init(*, role: str) -> None:
    """Turn on what the environment asks for in this process (``role``: web, worker or beat)."""
    sentry_configure(role=role)
    tracing_configure(role=role)
