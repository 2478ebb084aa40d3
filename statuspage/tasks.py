"""Celery adapters of the statuspage app: load by id, call one service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from sre.celery import task_options
from statuspage.services.delivery import TransientDeliveryError, notification_deliver
from statuspage.services.sync import sync_run

logger = logging.getLogger(__name__)


@shared_task(name="statuspage.sync", **task_options(time_limit=120, soft_time_limit=100, max_retries=0))
def sync() -> dict:
    """Derived state, subscriber fan-out and the snapshot (on every change and on a timer)."""
    return sync_run(now=timezone.now())


@shared_task(
    name="statuspage.deliver",
    **task_options(transient=(TransientDeliveryError,), max_retries=5, time_limit=60, soft_time_limit=45),
)
def deliver(notification_id: int) -> str:
    """Send one subscriber notification; transient failures retry with backoff, the last one is recorded."""
    return notification_deliver(notification_id=notification_id, now=timezone.now())
