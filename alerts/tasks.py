"""Celery adapters of the alerts app: ids in, one service call each."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from alerts.services.delivery import notification_deliver, notifications_sweep
from alerts.services.notify import groups_flush_due
from alerts.services.receivers import metrics_refresh
from sre.celery import task_options


@shared_task(name="alerts.deliver", **task_options(max_retries=0, time_limit=120, soft_time_limit=90))
def notification_deliver_task(notification_id: int) -> str:
    """Deliver one outbox row once; retries are scheduled by the service (backoff lives in the row)."""
    return notification_deliver(notification_id=notification_id)


@shared_task(name="alerts.tick", **task_options(max_retries=0, time_limit=120, soft_time_limit=90))
def alerts_tick() -> dict:
    """Every few seconds: flush groups that are due (group_wait/interval/repeat, silences ending), re-queue
    due or orphaned outbox rows, refresh the firing-alerts gauge."""
    now = timezone.now()
    flushed = groups_flush_due(now=now)
    queued = notifications_sweep(now=now)
    metrics_refresh(now=now)
    return {"flushed": flushed, "queued": queued}
