"""Celery adapters of the incidents app: ids in, one service call each."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from incidents.policy import policy_evaluate, policy_sweep
from sre.celery import task_options


@shared_task(
    name="incidents.policy_evaluate",
    **task_options(transient=(OperationalError,), max_retries=3, time_limit=60, soft_time_limit=45),
)
def policy_evaluate_task(group_id: int) -> int | None:
    """Open or link an incident for alert group ``group_id`` if an auto-open policy matches (idempotent)."""
    incident = policy_evaluate(group_id=group_id, now=timezone.now())
    return incident.pk if incident else None


@shared_task(name="incidents.policy_sweep", **task_options(max_retries=0, time_limit=120, soft_time_limit=90))
def policy_sweep_task() -> int:
    """Beat: re-evaluate recently changed firing groups no open incident holds (catches lost messages)."""
    return policy_sweep(now=timezone.now())
