"""The control plane's own Prometheus metrics.

With ``PROMETHEUS_MULTIPROC_DIR`` set (``make run`` sets it for gunicorn, the worker and beat), every
process writes to that folder and ``/metrics`` aggregates them; otherwise the default registry is used.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "sre_http_requests_total", "HTTP requests served, by view, method and status.", ["view", "method", "status"]
)
HTTP_LATENCY = Histogram(
    "sre_http_request_duration_seconds", "HTTP request latency by view.", ["view"], buckets=LATENCY_BUCKETS
)
TASKS = Counter("sre_celery_tasks_total", "Celery tasks finished, by task and state.", ["task", "state"])
TASK_DURATION = Histogram(
    "sre_celery_task_duration_seconds",
    "Celery task run time.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300),
)


class _HeartbeatAge:
    """``sre_background_heartbeat_age_seconds``, read at scrape time (not stored per process: every web node
    reads the same row and reports the same age)."""

    def __init__(self, age: float | None) -> None:
        self.age = age

    def collect(self) -> Iterator[GaugeMetricFamily]:
        if self.age is None:
            return
        family = GaugeMetricFamily(
            "sre_background_heartbeat_age_seconds",
            "Seconds since background work last ran (beat schedules sre.heartbeat, a worker runs it); +Inf before the "
            "first one. Not part of /readyz.",
        )
        family.add_metric([], self.age)
        yield family


def _process_registry() -> CollectorRegistry:
    """The samples of every process writing to ``PROMETHEUS_MULTIPROC_DIR`` when it is set, else this process's."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    return registry


def worker_metrics_serve(*, port: int) -> None:
    """A Celery worker's own ``/metrics`` (task counts and durations) on ``port``, in a daemon thread."""
    start_http_server(port, addr="0.0.0.0", registry=_process_registry())  # noqa: S104 - scraped from outside the pod
    logger.info("Worker metrics on port %s", port)


def exposition(*, heartbeat_age: float | None = None) -> tuple[bytes, str]:
    """The metrics text and its content type; ``heartbeat_age`` (seconds) is added when known."""
    extra = CollectorRegistry()
    extra.register(_HeartbeatAge(heartbeat_age))
    return generate_latest(_process_registry()) + generate_latest(extra), CONTENT_TYPE_LATEST
