"""Celery adapters of the releases app: the evaluation beat task and the rollback webhook call."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from releases.services import releases_evaluate
from releases.services.deployments import deployment_rollback
from sre.celery import task_options

logger = logging.getLogger(__name__)


@shared_task(
    name="releases.evaluate",
    **task_options(transient=(OperationalError,), max_retries=2, time_limit=120, soft_time_limit=100),
)
def evaluate() -> dict:
    """Budget notices, the release-burn watch and lost rollback calls, at the current second; idempotent."""
    stats = releases_evaluate(now=timezone.now().replace(microsecond=0))
    logger.info("releases evaluation: %s", stats)
    return stats


@shared_task(name="releases.rollback", **task_options(max_retries=0, time_limit=60, soft_time_limit=45))
def rollback_task(deployment_id: int) -> str:
    """Call the rollback webhook of a deployment whose release burned (at most once, whatever runs it)."""
    return deployment_rollback(deployment_id=deployment_id, now=timezone.now())
