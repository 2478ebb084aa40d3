"""Celery adapters of the slo app: the evaluation beat task and snapshot retention."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from slo.services import slo_evaluate_all, snapshots_expire
from sre.celery import task_options

logger = logging.getLogger(__name__)


@shared_task(
    name="slo.evaluate",
    **task_options(transient=(OperationalError,), max_retries=2, time_limit=120, soft_time_limit=100),
)
def evaluate(slo_ids: list[int] | None = None) -> dict:
    """Evaluate every enabled SLO (or ``slo_ids``) at the current minute-aligned second; idempotent."""
    now = timezone.now().replace(microsecond=0)
    stats = slo_evaluate_all(now=now, slo_ids=slo_ids)
    logger.info("slo evaluation: %s", stats)
    return stats


@shared_task(name="slo.retention", **task_options(transient=(OperationalError,), max_retries=3, time_limit=600))
def retention() -> int:
    """Delete status snapshots past their retention."""
    return snapshots_expire(now=timezone.now())
