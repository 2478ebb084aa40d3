"""Running one drill: begin, the four steps with live logs and a heartbeat thread, verdict, clean-up, end.

Called by the ``drills.run`` Celery task with a run id. Every state change is committed at once (no long
transaction), so the UI shows progress live and a crash leaves an accurate record for the reaper.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from drills import conf
from drills.alerting import drill_alert_send
from drills.choices import ACTIVE_STATUSES, RunStatus, ScratchKind, StepName, StepStatus, TargetKind
from drills.domain.validation import parse_environment
from drills.domain.verdict import RESTORE_FAILED, CheckOutcome, drill_verdict, observed_rpo, observed_rto
from drills.engine.base import Backup, CheckRecord, Context, DrillCancelled, DrillTimeout, Runtime, StepFailed
from drills.engine.command import CommandExecutor
from drills.engine.postgres import PostgresExecutor, drop_database, parse_conninfo
from drills.engine.restic import ResticExecutor
from drills.engine.sqlite import SqliteExecutor
from drills.metrics import metrics_record
from drills.models import BackupTarget, CheckResult, DrillRun, DrillStep, ScratchResource
from drills.plan import self_connection

logger = logging.getLogger(__name__)

EXECUTORS = {
    "postgres": PostgresExecutor,
    "sqlite": SqliteExecutor,
    "restic": ResticExecutor,
    "command": CommandExecutor,
}


def drill_begin(*, run_id: int, worker: str, now: dt.datetime) -> DrillRun | None:
    """Move a queued run to running; ``None`` (nothing to do) if it is gone, cancelled or already taken."""
    with transaction.atomic():
        run = DrillRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None:
            logger.info("Drill run %s vanished before it started", run_id)
            return None
        if run.status != RunStatus.QUEUED:
            logger.info("Drill run %s is %s; not starting it again", run_id, run.status)
            return None
        run.status = RunStatus.RUNNING
        run.started_at = now
        run.heartbeat_at = now
        run.worker = worker[:255]
        run.worker_pid = os.getpid()
        run.save(update_fields=["status", "started_at", "heartbeat_at", "worker", "worker_pid"])
    return DrillRun.objects.select_related("target").get(pk=run_id)


def run_conclude(
    *,
    run_id: int,
    status: str,
    message: str,
    reasons: list[str],
    now: dt.datetime,
    expect: str | None = None,
    fields: dict[str, Any] | None = None,
) -> bool:
    """Finish a run (once): open steps end as failed/skipped, then alerting and metrics run on commit.

    Returns False when the run had already finished (e.g. the reaper got there first) or is not ``expect``.
    """
    with transaction.atomic():
        run = DrillRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status not in ACTIVE_STATUSES or (expect and run.status != expect):
            return False
        run.status = status
        run.finished_at = now
        run.message = message[:5000]
        run.reasons = reasons
        for key, value in (fields or {}).items():
            setattr(run, key, value)
        run.save()
        run.steps.filter(status=StepStatus.RUNNING).update(status=StepStatus.FAILED, finished_at=now)
        run.steps.filter(status=StepStatus.PENDING).update(status=StepStatus.SKIPPED)
        transaction.on_commit(partial(_after_finish, run.pk))
    return True


def _after_finish(run_id: int) -> None:

    try:
        metrics_record(run_id=run_id)
    except Exception:  # metrics must never break a drill's record
        logger.exception("Could not update drill metrics for run %s", run_id)
    drill_alert_send(run_id=run_id)
    _finished_hooks_run(run_id)


def _finished_hooks_run(run_id: int) -> None:
    """Tell ``SRE["DRILL_FINISHED_HOOKS"]`` (dotted paths, apps downstream of drills such as heartbeats) that a
    run concluded: ``target=`` name, ``status=``, ``started_at=``, ``finished_at=``. A failing hook is logged."""
    run = DrillRun.objects.select_related("target").filter(pk=run_id).first()
    if run is None or run.finished_at is None or run.status == RunStatus.CANCELLED:
        return
    for path in settings.SRE.get("DRILL_FINISHED_HOOKS", ()):
        try:
            import_string(path)(
                target=run.target.name, status=run.status, started_at=run.started_at, finished_at=run.finished_at
            )
        except Exception:  # the drill's own record stands whatever a downstream app does with it
            logger.exception("Drill finished hook %s failed for run %s", path, run_id)


# --- scratch resources -------------------------------------------------------------------------------------
def _admin_params(target: BackupTarget) -> dict[str, Any]:
    if target.kind == TargetKind.SELF:
        return parse_conninfo(self_connection())
    return parse_conninfo(target.scratch_connection or target.connection)


def scratch_drop(*, resource: ScratchResource, now: dt.datetime) -> None:
    """Remove one scratch database or directory (idempotent) and record it."""
    if resource.kind == ScratchKind.PG_DATABASE:
        drop_database(admin=_admin_params(resource.target), name=resource.ref)
    else:
        shutil.rmtree(resource.ref, ignore_errors=True)
        if Path(resource.ref).exists():
            raise OSError(f"{resource.ref} could not be removed completely.")
    ScratchResource.objects.filter(pk=resource.pk).update(dropped_at=now)


def scratch_sweep(*, target: BackupTarget, exclude_run_id: int, now: dt.datetime, runtime: Runtime) -> None:
    """Remove what earlier runs of ``target`` left behind (their worker died before cleaning up)."""
    leftovers = (
        ScratchResource.objects.filter(target=target, dropped_at__isnull=True)
        .exclude(run_id=exclude_run_id)
        .exclude(run__status__in=ACTIVE_STATUSES)
        .select_related("target")
    )
    for resource in leftovers:
        try:
            scratch_drop(resource=resource, now=now)
            runtime.log(f"Removed leftover {resource.get_kind_display()} {resource.ref} of run #{resource.run_id}")
        except (StepFailed, psycopg.Error, OSError) as exc:
            runtime.log(f"Could not remove leftover {resource.ref} of run #{resource.run_id}: {exc}")


# --- the run -------------------------------------------------------------------------------------------------
class _Tracker:
    def __init__(self) -> None:
        self.step: str | None = None


class _Heartbeat(threading.Thread):
    """Beats every interval, publishes the live log and turns a cancel request into ``runtime.cancel()``."""

    def __init__(self, *, run_id: int, runtime: Runtime, tracker: _Tracker, interval: float) -> None:
        super().__init__(name=f"drill-heartbeat-{run_id}", daemon=True)
        self.run_id, self.runtime, self.tracker, self.interval = run_id, runtime, tracker, interval
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.interval):
                self.beat()
        finally:
            connection.close()

    def beat(self) -> None:
        try:
            alive = DrillRun.objects.filter(pk=self.run_id, status=RunStatus.RUNNING).update(
                heartbeat_at=timezone.now()
            )
            if self.tracker.step:
                # Only while the step runs: its final log, written by the run itself, must win.
                DrillStep.objects.filter(run_id=self.run_id, name=self.tracker.step, status=StepStatus.RUNNING).update(
                    log=self.runtime.log_text()
                )
            cancel = DrillRun.objects.filter(pk=self.run_id, cancel_requested_at__isnull=False).exists()
            if cancel or not alive:
                self.runtime.cancel()
        except Exception:
            logger.exception("Drill heartbeat of run %s failed", self.run_id)


def _secrets(target: BackupTarget) -> tuple[str, dict[str, str]]:
    connection_string = self_connection() if target.kind == TargetKind.SELF else target.connection
    try:
        environment = parse_environment(target.environment)
    except ValueError:
        environment = {}
    return connection_string, environment


def drill_execute(*, run_id: int, worker: str, clock: Callable[[], dt.datetime] = timezone.now) -> None:
    """Run the drill ``run_id`` end to end; safe to call twice (only a queued run starts).

    ``clock`` stamps the restore's start and the verification's end, whose difference is the RTO the verdict
    judges (tests pass a clock they move, so a restore "takes" 90 s without waiting for it).
    """
    run = drill_begin(run_id=run_id, worker=worker, now=timezone.now())
    if run is None:
        return
    target, plan = run.target, run.plan
    connection_string, environment = _secrets(target)
    runtime = Runtime(
        timeout_seconds=plan["timeout_seconds"],
        secrets=[connection_string, target.scratch_connection, target.secret, *environment.values()],
    )
    for params_source in (connection_string, target.scratch_connection):
        if params_source and plan["engine"] == "postgres":
            try:
                runtime.secrets.append(str(parse_conninfo(params_source).get("password") or ""))
            except StepFailed:
                pass
    tracker = _Tracker()
    heartbeat = _Heartbeat(run_id=run_id, runtime=runtime, tracker=tracker, interval=plan["heartbeat_interval"])
    heartbeat.start()
    try:
        _drive(run=run, target=target, plan=plan, runtime=runtime, tracker=tracker,
               connection_string=connection_string, environment=environment, clock=clock)  # fmt: skip
    finally:
        heartbeat.stopped.set()
        heartbeat.join(timeout=30)


def _step_start(run: DrillRun, name: str, runtime: Runtime, tracker: _Tracker) -> None:
    runtime.log_reset()
    tracker.step = name
    DrillStep.objects.filter(run=run, name=name).update(status=StepStatus.RUNNING, started_at=timezone.now())


def _step_end(run: DrillRun, name: str, status: str, runtime: Runtime, tracker: _Tracker) -> None:
    tracker.step = None
    DrillStep.objects.filter(run=run, name=name).update(
        status=status, finished_at=timezone.now(), log=runtime.log_text()
    )


def _drive(
    *, run: DrillRun, target: BackupTarget, plan: dict[str, Any], runtime: Runtime, tracker: _Tracker,
    connection_string: str, environment: dict[str, str], clock: Callable[[], dt.datetime],
) -> None:  # fmt: skip
    scratch_dir = conf.scratch_root() / f"run-{run.pk}"

    def register(kind: str, ref: str) -> None:
        ScratchResource.objects.create(target=target, run=run, kind=kind, ref=ref, created_at=timezone.now())

    ctx = Context(
        run_id=run.pk, target_id=target.pk, plan=plan, connection=connection_string,
        scratch_connection=target.scratch_connection, secret=target.secret, environment=environment,
        scratch_dir=scratch_dir, runtime=runtime, register_scratch=register,
    )  # fmt: skip
    status: str | None = None
    message = ""
    restore_ok = False
    records: list[CheckRecord] = []
    backup: Backup | None = None
    try:
        _step_start(run, StepName.OBTAIN, runtime, tracker)
        executor = EXECUTORS[plan["engine"]](ctx)
        scratch_sweep(target=target, exclude_run_id=run.pk, now=timezone.now(), runtime=runtime)
        register(ScratchKind.DIRECTORY, str(scratch_dir))
        scratch_dir.mkdir(parents=True, exist_ok=True)
        backup = executor.obtain()
        runtime.log(f"Backup {backup.ref}, taken {backup.taken_at:%Y-%m-%d %H:%M:%S} UTC" if backup.taken_at else
                    f"Backup {backup.ref} (time unknown)")  # fmt: skip
        DrillRun.objects.filter(pk=run.pk).update(
            backup_ref=backup.ref[:1000], backup_taken_at=backup.taken_at, backup_size_bytes=backup.size_bytes
        )
        _step_end(run, StepName.OBTAIN, StepStatus.OK, runtime, tracker)

        _step_start(run, StepName.RESTORE, runtime, tracker)
        restore_started = clock()
        DrillRun.objects.filter(pk=run.pk).update(restore_started_at=restore_started)
        executor.restore(backup)
        restore_ok = True
        if backup.size_bytes is not None:
            DrillRun.objects.filter(pk=run.pk).update(backup_size_bytes=backup.size_bytes)
        _step_end(run, StepName.RESTORE, StepStatus.OK, runtime, tracker)

        _step_start(run, StepName.VERIFY, runtime, tracker)
        records = list(executor.builtin_checks())
        for check in plan["checks"]:
            records.append(executor.verify(check))
            runtime.log(f"{'PASS' if records[-1].passed else 'FAIL'} {check['name']} {records[-1].message}")
        CheckResult.objects.bulk_create(
            CheckResult(
                run=run,
                position=i,
                name=r.name[:100],
                kind=r.kind,
                passed=r.passed,
                expected=r.expected,
                observed=r.observed,
                message=r.message,
            )
            for i, r in enumerate(records)
        )
        DrillRun.objects.filter(pk=run.pk).update(verified_at=clock())
        failed = [r for r in records if not r.passed]
        _step_end(run, StepName.VERIFY, StepStatus.FAILED if failed else StepStatus.OK, runtime, tracker)
    except StepFailed as exc:
        message = str(exc)
        runtime.log(message)
        if tracker.step:
            _step_end(run, tracker.step, StepStatus.FAILED, runtime, tracker)
    except DrillCancelled:
        status, message = RunStatus.CANCELLED, "Cancelled while running; scratch resources were cleaned up."
        runtime.log(message)
        if tracker.step:
            _step_end(run, tracker.step, StepStatus.FAILED, runtime, tracker)
    except (DrillTimeout, SoftTimeLimitExceeded) as exc:
        status = RunStatus.ERROR
        message = str(exc) if isinstance(exc, DrillTimeout) else "The drill hit the task's soft time limit."
        runtime.log(message)
        if tracker.step:
            _step_end(run, tracker.step, StepStatus.FAILED, runtime, tracker)
    except Exception as exc:
        logger.exception("Drill run %s failed unexpectedly", run.pk)
        status, message = RunStatus.ERROR, f"Unexpected error: {type(exc).__name__}: {exc}"
        runtime.log(message)
        if tracker.step:
            _step_end(run, tracker.step, StepStatus.FAILED, runtime, tracker)
    cleanup_ok = _cleanup(run=run, runtime=runtime, tracker=tracker)
    _finish(run_id=run.pk, status=status, message=message, restore_ok=restore_ok, records=records,
            cleanup_ok=cleanup_ok)  # fmt: skip


def _cleanup(*, run: DrillRun, runtime: Runtime, tracker: _Tracker) -> bool:
    _step_start(run, StepName.CLEANUP, runtime, tracker)
    ok = True
    for resource in ScratchResource.objects.filter(run=run, dropped_at__isnull=True).select_related("target"):
        try:
            scratch_drop(resource=resource, now=timezone.now())
            runtime.log(f"Removed {resource.get_kind_display()} {resource.ref}")
        except (StepFailed, psycopg.Error, OSError) as exc:
            ok = False
            runtime.log(f"Could not remove {resource.ref}: {exc}")
    _step_end(run, StepName.CLEANUP, StepStatus.OK if ok else StepStatus.FAILED, runtime, tracker)
    return ok


def _finish(
    *, run_id: int, status: str | None, message: str, restore_ok: bool, records: list[CheckRecord], cleanup_ok: bool
) -> None:
    run = DrillRun.objects.get(pk=run_id)
    rpo = observed_rpo(backup_taken_at=run.backup_taken_at, restore_started_at=run.restore_started_at)
    rto = observed_rto(restore_started_at=run.restore_started_at, verified_at=run.verified_at)
    reasons: list[str] = [message] if message else []
    if status is None:
        verdict = drill_verdict(
            restore_ok=restore_ok,
            checks=[CheckOutcome(r.name, r.passed, r.message) for r in records],
            rto_seconds=rto,
            rpo_seconds=rpo,
            rto_target_seconds=run.rto_target_seconds,
            rpo_target_seconds=run.rpo_target_seconds,
            cleanup_ok=cleanup_ok,
        )
        status = RunStatus.PASSED if verdict.passed else RunStatus.FAILED
        reasons = list(verdict.reasons)
        if message:  # why the backup could not be obtained or restored, in the tool's words
            reasons = [message, *[r for r in reasons if r != RESTORE_FAILED]]
        message = verdict.summary if verdict.passed else reasons[0]
    run_conclude(
        run_id=run_id, status=status, message=message, reasons=reasons, now=timezone.now(),
        expect=RunStatus.RUNNING, fields={"rto_seconds": rto, "rpo_seconds": rpo},
    )  # fmt: skip
