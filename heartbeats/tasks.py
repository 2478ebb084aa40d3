"""Celery adapters of the heartbeats app: one service call each."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from heartbeats.services import heartbeats_check
from sre.celery import task_options


@shared_task(name="heartbeats.check", **task_options(max_retries=0, time_limit=120, soft_time_limit=90))
def heartbeats_check_task() -> dict:
    """Every ``SRE["RULES_INTERVAL"]`` seconds (beat): overdue checks go late or down, alerts not yet sent are."""
    return heartbeats_check(now=timezone.now())
