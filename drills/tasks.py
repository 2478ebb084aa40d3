"""Celery adapters of the drills app: run a drill, start a scheduled drill, reap dead runs."""

from __future__ import annotations

import logging
import socket

from celery import shared_task
from django.utils import timezone

from drills import conf
from drills.choices import RunTrigger
from drills.execution import drill_execute
from drills.metrics import metrics_refresh
from drills.models import BackupTarget
from drills.services import drill_reap, drill_request
from sre.celery import task_options
from sre.errors import ConflictError

logger = logging.getLogger(__name__)

# Upper bound; each run also gets its target's timeout as per-call soft/hard limits (see drill_enqueue).
RUN_TIME_LIMIT = 24 * 3600


@shared_task(
    name="drills.run",
    bind=True,
    **task_options(max_retries=0, time_limit=RUN_TIME_LIMIT + 60, soft_time_limit=RUN_TIME_LIMIT),
)
def drill_run(self, run_id: int) -> None:
    """Execute drill ``run_id``. Acks late and is re-queued if the worker dies; a re-delivered message finds
    the run no longer queued and does nothing (the reaper has ended it as ``error``)."""
    drill_execute(run_id=run_id, worker=self.request.hostname or socket.gethostname())


def drill_enqueue(*, run_id: int, timeout_seconds: int) -> None:
    """Send ``drills.run`` with soft/hard time limits from the target's timeout (called on commit)."""
    # The executor stops itself at the target's timeout; the task limits are the backstop behind it.
    drill_run.apply_async(args=[run_id], soft_time_limit=timeout_seconds + 30, time_limit=timeout_seconds + 90)


@shared_task(name="drills.scheduled", **task_options(max_retries=0, time_limit=60, soft_time_limit=50))
def drill_scheduled(target_id: int) -> None:
    """django-celery-beat's entry for a target's crontab: queue a drill unless one is already active."""
    target = BackupTarget.objects.filter(pk=target_id).first()
    if target is None:
        logger.info("Scheduled drill for target %s: the target no longer exists", target_id)
        return
    try:
        drill_request(target=target, trigger=RunTrigger.SCHEDULE, user=None, now=timezone.now())
    except ConflictError as exc:
        logger.info("Scheduled drill of %s skipped: %s", target.name, exc.message)


@shared_task(name="drills.reap", **task_options(max_retries=0, time_limit=120, soft_time_limit=100))
def drill_reaper() -> None:
    """Ends runs whose worker died; refreshes the drill metrics. Beat runs it every half heartbeat interval."""
    ended = drill_reap(now=timezone.now())
    if ended:
        logger.warning("Reaped drill runs %s (worker died or never started them)", ended)
    metrics_refresh()


def reaper_period() -> float:
    return max(1.0, conf.heartbeat_interval() / 2)
