"""Celery adapters of the project package."""

from __future__ import annotations

import socket

from celery import shared_task
from django.utils import timezone

from sre.celery import task_options
from sre.services import heartbeat_record


@shared_task(name="sre.heartbeat", **task_options(max_retries=0, time_limit=30, soft_time_limit=20))
def heartbeat() -> None:
    """Proves that beat schedules and a worker executes; ``/readyz`` and the UI show its age."""
    heartbeat_record(name="worker", hostname=socket.gethostname(), now=timezone.now())
