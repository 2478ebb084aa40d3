"""Celery adapters of the oncall app: ids in, one service call each."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from oncall.services import dispatch, escalation, schedules
from sre.celery import task_options


@shared_task(name="oncall.advance", **task_options(max_retries=0, time_limit=120, soft_time_limit=90))
def escalation_advance_task(escalation_id: int) -> str:
    """Run an escalation's due steps (a no-op if they ran already or are not due yet)."""
    return escalation.escalation_advance(escalation_id=escalation_id, now=timezone.now())


@shared_task(name="oncall.page", **task_options(max_retries=0, time_limit=120, soft_time_limit=90))
def page_advance_task(page_id: int) -> str:
    return escalation.page_advance(page_id=page_id, now=timezone.now())


@shared_task(name="oncall.deliver", **task_options(max_retries=0, time_limit=120, soft_time_limit=90))
def notification_deliver_task(notification_id: int) -> str:
    return dispatch.notification_deliver(notification_id=notification_id, now=timezone.now())


@shared_task(name="oncall.webhook", **task_options(max_retries=0, time_limit=60, soft_time_limit=45))
def escalation_webhook_task(escalation_id: int, url: str) -> str:
    return escalation.escalation_webhook(escalation_id=escalation_id, url=url, now=timezone.now())


@shared_task(name="oncall.tick", **task_options(max_retries=0, time_limit=120, soft_time_limit=90))
def oncall_tick_task() -> dict:
    """Every few seconds: run due steps and rules whose own task was lost, and send due notifications."""
    return escalation.oncall_tick(now=timezone.now())


@shared_task(name="oncall.ical_refresh", **task_options(max_retries=0, time_limit=300, soft_time_limit=240))
def ical_refresh_task(schedule_id: int | None = None) -> int:
    """Fetch iCalendar layers from their URLs (one schedule, or all that have a URL)."""
    return schedules.ical_refresh(schedule_id=schedule_id, now=timezone.now())
