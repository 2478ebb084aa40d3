"""Writes of the drills app: targets and their checks and schedules, drill requests, cancellation, reaping.

The execution of a run (steps, verdict, clean-up) lives in ``drills.execution``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from functools import partial
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from drills import conf
from drills.choices import ACTIVE_STATUSES, STEP_ORDER, RunStatus, RunTrigger, StepStatus, TargetKind
from drills.domain.schedule import crontab_fields
from drills.domain.validation import check_errors, target_errors
from drills.domain.verdict import run_is_stale
from drills.execution import run_conclude
from drills.models import BackupTarget, DrillRun, DrillStep, VerificationCheck
from drills.plan import plan_build
from sre.errors import ConflictError, InvalidInputError

logger = logging.getLogger(__name__)

TARGET_FIELDS = (
    "name", "description", "kind", "backup_mode", "service", "enabled", "location", "backup_command",
    "restore_command", "rto_target_seconds", "rpo_target_seconds", "timeout_seconds", "schedule",
)  # fmt: skip
SECRET_FIELDS = ("connection", "scratch_connection", "secret", "environment")
CHECK_FIELDS = ("name", "kind", "table", "query", "expected", "min_rows", "path")
SCHEDULED_TASK = "drills.scheduled"


def _raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        field, messages = next(iter(errors.items()))
        raise InvalidInputError(f"{field}: {messages[0]}", fields=errors)


# --- targets ---------------------------------------------------------------------------------------------
def target_save(*, target: BackupTarget | None, data: dict[str, Any]) -> BackupTarget:
    """Create (``target=None``) or update a target and mirror its schedule into django-celery-beat.

    Secret fields that are absent (or ``None``) keep their stored value; an empty string clears them. The
    built-in target's kind cannot change, and only one built-in target exists.
    """
    target = target or BackupTarget()
    creating = target.pk is None
    if not creating and "kind" in data and data["kind"] != target.kind:
        raise InvalidInputError("A target's kind cannot change; create a new target.", fields={"kind": ["Fixed."]})
    for field in TARGET_FIELDS:
        if field in data:
            setattr(target, field, data[field].strip() if isinstance(data[field], str) else data[field])
    for field in SECRET_FIELDS:
        if data.get(field) is not None:
            setattr(target, field, data[field].strip())
    values = {f: getattr(target, f) for f in (*TARGET_FIELDS, *SECRET_FIELDS) if f != "service"}
    _raise_if(target_errors(values, command_targets_allowed=bool(conf.setting("DRILL_COMMAND_TARGETS"))))
    if target.kind == TargetKind.SELF:
        target.builtin = True
        others = BackupTarget.objects.filter(kind=TargetKind.SELF).exclude(pk=target.pk)
        if others.exists():
            raise ConflictError("The built-in target of this control plane's database already exists.")
    with transaction.atomic():
        if BackupTarget.objects.filter(name=target.name).exclude(pk=target.pk).exists():
            raise ConflictError(f"A target named '{target.name}' already exists.", fields={"name": ["Taken."]})
        try:
            target.save()
        except IntegrityError:
            raise ConflictError(f"A target named '{target.name}' already exists.") from None
        _schedule_sync(target)
    return target


def _schedule_sync(target: BackupTarget) -> None:
    """One PeriodicTask per scheduled target (``drills.scheduled`` with the target id); none when unscheduled."""
    if not target.schedule:
        if target.periodic_task_id:
            PeriodicTask.objects.filter(pk=target.periodic_task_id).delete()
            BackupTarget.objects.filter(pk=target.pk).update(periodic_task=None)
            target.periodic_task = None
        return
    fields = crontab_fields(target.schedule)
    crontab, _ = CrontabSchedule.objects.get_or_create(**fields, timezone="UTC")
    defaults = {
        "task": SCHEDULED_TASK,
        "crontab": crontab,
        "interval": None,
        "args": json.dumps([target.pk]),
        "enabled": target.enabled,
        "description": f"Restore drill of backup target {target.name}",
    }
    if target.periodic_task_id:
        PeriodicTask.objects.filter(pk=target.periodic_task_id).update(name=f"drills:{target.name}", **defaults)
    else:
        task, _ = PeriodicTask.objects.update_or_create(name=f"drills:{target.name}", defaults=defaults)
        BackupTarget.objects.filter(pk=target.pk).update(periodic_task=task)
        target.periodic_task = task


def target_delete(*, target: BackupTarget) -> None:
    """Delete a target with its runs and its schedule; refused while a drill of it is active."""
    with transaction.atomic():
        locked = BackupTarget.objects.select_for_update().get(pk=target.pk)
        if locked.runs.filter(status__in=ACTIVE_STATUSES).exists():
            raise ConflictError("A drill of this target is queued or running; cancel it first.")
        if locked.periodic_task_id:
            PeriodicTask.objects.filter(pk=locked.periodic_task_id).delete()
        locked.delete()


def check_create(*, target: BackupTarget, data: dict[str, Any]) -> VerificationCheck:
    """Add a verification check after validating it for the target's kind."""
    values = {f: data.get(f) for f in CHECK_FIELDS}
    for key in ("name", "table", "query", "expected", "path"):
        values[key] = (values[key] or "").strip()
    _raise_if(check_errors(values, target_kind=target.kind, backup_mode=target.backup_mode))
    if target.checks.filter(name=values["name"]).exists():
        raise ConflictError(f"This target already has a check named '{values['name']}'.", fields={"name": ["Taken."]})
    position = (target.checks.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    try:
        with transaction.atomic():
            return VerificationCheck.objects.create(target=target, position=position, **values)
    except IntegrityError:
        raise ConflictError(f"This target already has a check named '{values['name']}'.") from None


def checks_replace(*, target: BackupTarget, checks: list[dict[str, Any]]) -> None:
    """Replace all checks of ``target`` (the API's ``checks`` list), atomically."""
    with transaction.atomic():
        target.checks.all().delete()
        for data in checks:
            check_create(target=target, data=data)


def check_delete(*, check: VerificationCheck) -> None:
    check.delete()


# --- runs ------------------------------------------------------------------------------------------------
def drill_request(*, target: BackupTarget, trigger: str, user: User | None, now: dt.datetime) -> DrillRun:
    """Queue a drill of ``target`` and enqueue it on commit.

    Only one drill per target may be queued or running: the target row is locked and the partial unique
    constraint ``drills_run_one_active`` backs it up, so a second request is a ``ConflictError``.
    """
    with transaction.atomic():
        locked = BackupTarget.objects.select_for_update().get(pk=target.pk)
        active = locked.runs.filter(status__in=ACTIVE_STATUSES).first()
        if active is not None:
            raise ConflictError(f"Drill #{active.pk} of {locked.name} is already {active.status}.")
        if trigger == RunTrigger.SCHEDULE and not locked.enabled:
            raise ConflictError(f"Target {locked.name} is disabled.")
        if locked.kind == TargetKind.COMMAND and not conf.setting("DRILL_COMMAND_TARGETS"):
            # A command target saved while they were allowed must not run after they are turned off.
            raise ConflictError(f"{locked.name} runs shell commands, which are turned off (SRE_DRILL_COMMAND_TARGETS).")
        try:
            with transaction.atomic():
                run = DrillRun.objects.create(
                    target=locked,
                    trigger=trigger,
                    requested_by=user if user is not None and user.is_authenticated else None,
                    plan=plan_build(target=locked),
                    queued_at=now,
                    rto_target_seconds=locked.rto_target_seconds,
                    rpo_target_seconds=locked.rpo_target_seconds,
                )
        except IntegrityError:
            raise ConflictError(f"A drill of {locked.name} is already queued or running.") from None
        DrillStep.objects.bulk_create(
            DrillStep(run=run, name=name, position=index) for index, name in enumerate(STEP_ORDER)
        )
        transaction.on_commit(partial(_enqueue, run.pk, locked.timeout_seconds))
    return run


def _enqueue(run_id: int, timeout_seconds: int) -> None:
    from drills import tasks  # cycle: drills.tasks imports this module

    tasks.drill_enqueue(run_id=run_id, timeout_seconds=timeout_seconds)


def drill_cancel(*, run: DrillRun, user: User | None, now: dt.datetime) -> DrillRun:
    """Cancel a queued run at once; ask a running one to stop (its worker kills the current command, cleans
    up and records ``cancelled``). Finished runs cannot be cancelled."""
    who = user.get_username() if user is not None and user.is_authenticated else "someone"
    with transaction.atomic():
        locked = DrillRun.objects.select_for_update().get(pk=run.pk)
        if locked.status == RunStatus.QUEUED:
            locked.status = RunStatus.CANCELLED
            locked.finished_at = now
            locked.cancel_requested_at = now
            locked.message = f"Cancelled by {who} before it started."
            locked.save(update_fields=["status", "finished_at", "cancel_requested_at", "message"])
            locked.steps.update(status=StepStatus.SKIPPED)
        elif locked.status == RunStatus.RUNNING:
            if locked.cancel_requested_at is not None:
                raise ConflictError("Cancellation was already requested; the worker is stopping the drill.")
            locked.cancel_requested_at = now
            locked.message = f"Cancellation requested by {who}."
            locked.save(update_fields=["cancel_requested_at", "message"])
        else:
            raise ConflictError(f"Drill #{locked.pk} already finished ({locked.status}).")
    return locked


def drill_reap(*, now: dt.datetime) -> list[int]:
    """End runs whose worker died (no heartbeat for 1.5 intervals) or that no worker ever started, as
    ``error``. Returns the ids it ended. Their scratch resources are removed by the target's next run."""
    interval = conf.heartbeat_interval()
    queue_timeout = float(conf.setting("DRILL_QUEUE_TIMEOUT"))
    ended: list[int] = []
    for run in DrillRun.objects.filter(status__in=ACTIVE_STATUSES).order_by("pk"):
        if run.status == RunStatus.RUNNING:
            if not run_is_stale(
                heartbeat_at=run.heartbeat_at, started_at=run.started_at, now=now, interval_seconds=interval
            ):
                continue
            last = run.heartbeat_at or run.started_at
            message = (
                f"The worker stopped sending heartbeats (last at {last:%Y-%m-%d %H:%M:%S} UTC); it probably died. "
                "Scratch resources are removed by this target's next drill."
            )
        else:
            if (now - run.queued_at).total_seconds() <= queue_timeout:
                continue
            message = f"No worker started this drill within {int(queue_timeout)} s of it being queued."
        if run_conclude(
            run_id=run.pk, status=RunStatus.ERROR, message=message, reasons=[message], now=now, expect=run.status
        ):
            ended.append(run.pk)
    return ended
