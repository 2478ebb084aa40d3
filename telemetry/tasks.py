"""Celery adapters of the telemetry app: retention and the demo traffic generator."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from sre.celery import task_options
from sre.demo.services import demo_traffic_push
from telemetry.services import logs_expire, partitions_maintain, rollups_expire

logger = logging.getLogger(__name__)


@shared_task(
    name="telemetry.retention",
    **task_options(transient=(OperationalError,), max_retries=3, time_limit=600, soft_time_limit=540),
)
def retention() -> dict:
    """Attach the coming days' partitions, then delete rollups, batch ids and logs past their retention (whole
    day partitions on PostgreSQL, bounded batches of rows elsewhere); idempotent."""
    now = timezone.now()
    attached = partitions_maintain(now=now)
    result = rollups_expire(now=now)
    logs = logs_expire(now=now)
    logger.info("telemetry retention: %s, logs=%s, partitions attached=%s", result, logs, attached)
    return {**result.__dict__, "logs": logs, "partitions_attached": attached}


@shared_task(
    name="telemetry.demo_traffic",
    **task_options(transient=(OperationalError,), max_retries=2, time_limit=120, soft_time_limit=100),
)
def demo_traffic() -> dict:
    """Push the demo's synthetic metrics and logs for the last few minutes (batch ids make re-runs no-ops)."""
    return demo_traffic_push(now=timezone.now()).__dict__
