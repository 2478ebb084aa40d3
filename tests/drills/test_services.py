"""Services and tasks: requests and the one-active-run lock, cancellation, schedules, the reaper, alerts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from drills.choices import RunStatus, StepStatus
from drills.execution import drill_execute
from drills.models import BackupTarget, DrillRun
from drills.selectors import next_run_at
from drills.services import drill_cancel, drill_reap, drill_request, target_delete, target_save
from drills.tasks import drill_scheduled
from sre.errors import ConflictError, InvalidInputError
from tests.drills.factories import BackupTargetFactory, DrillRunFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def test_request_is_enqueued_on_commit_with_a_frozen_plan(enqueued, django_capture_on_commit_callbacks):
    target = BackupTargetFactory(rto_target_seconds=600)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = drill_request(target=target, trigger="manual", user=None, now=NOW)
    assert enqueued == [] and len(callbacks) == 1
    callbacks[0]()
    assert enqueued == [run.pk]
    target_save(target=target, data={"rto_target_seconds": 1200})
    run.refresh_from_db()
    assert run.plan["rto_target_seconds"] == 600 and run.rto_target_seconds == 600
    assert [s.name for s in run.steps.all()] == ["obtain", "restore", "verify", "cleanup"]


def test_one_active_run_per_target(enqueued):
    target = BackupTargetFactory()
    drill_request(target=target, trigger="manual", user=None, now=NOW)
    with pytest.raises(ConflictError, match="already queued"):
        drill_request(target=target, trigger="manual", user=None, now=NOW)
    drill_request(target=BackupTargetFactory(), trigger="manual", user=None, now=NOW)  # other targets are free


def test_scheduled_task_skips_while_a_run_is_active_and_for_disabled_targets(enqueued):
    target = BackupTargetFactory()
    drill_scheduled(target.pk)
    drill_scheduled(target.pk)  # harmless a second time
    assert DrillRun.objects.filter(target=target).count() == 1
    disabled = BackupTargetFactory(enabled=False)
    drill_scheduled(disabled.pk)
    drill_scheduled(999_999)  # a vanished target is logged, not an error
    assert not DrillRun.objects.filter(target=disabled).exists()


def test_cancel_queued_and_finished_runs(enqueued):
    run = drill_request(target=BackupTargetFactory(), trigger="manual", user=None, now=NOW)
    cancelled = drill_cancel(run=run, user=None, now=NOW)
    assert cancelled.status == RunStatus.CANCELLED and cancelled.finished_at == NOW
    assert set(cancelled.steps.values_list("status", flat=True)) == {StepStatus.SKIPPED}
    with pytest.raises(ConflictError, match="already finished"):
        drill_cancel(run=run, user=None, now=NOW)


def test_cancel_running_run_asks_the_worker_once():
    run = DrillRunFactory(status=RunStatus.RUNNING, started_at=NOW)
    assert drill_cancel(run=run, user=None, now=NOW).cancel_requested_at == NOW
    with pytest.raises(ConflictError, match="already requested"):
        drill_cancel(run=run, user=None, now=NOW)


def test_executing_a_finished_or_vanished_run_does_nothing():
    run = DrillRunFactory(status=RunStatus.CANCELLED)
    drill_execute(run_id=run.pk, worker="w")
    drill_execute(run_id=987_654, worker="w")
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED and run.started_at is None


def test_reaper_ends_silent_and_never_started_runs_only(settings, enqueued):
    settings.SRE = {**settings.SRE, "DRILL_HEARTBEAT_INTERVAL": 10, "DRILL_QUEUE_TIMEOUT": 600}
    dead = DrillRunFactory(status=RunStatus.RUNNING, started_at=NOW, heartbeat_at=NOW - dt.timedelta(seconds=16))
    alive = DrillRunFactory(status=RunStatus.RUNNING, started_at=NOW, heartbeat_at=NOW - dt.timedelta(seconds=5))
    stuck = DrillRunFactory(status=RunStatus.QUEUED, queued_at=NOW - dt.timedelta(seconds=601))
    fresh = DrillRunFactory(status=RunStatus.QUEUED, queued_at=NOW - dt.timedelta(seconds=30))
    dead.steps.create(name="restore", position=1, status=StepStatus.RUNNING)

    assert sorted(drill_reap(now=NOW)) == sorted([dead.pk, stuck.pk])
    assert drill_reap(now=NOW) == []  # idempotent
    for run, status in ((dead, "error"), (alive, "running"), (stuck, "error"), (fresh, "queued")):
        run.refresh_from_db()
        assert run.status == status
    assert "stopped sending heartbeats" in dead.message and dead.finished_at == NOW
    assert dead.steps.get(name="restore").status == StepStatus.FAILED
    assert "No worker started" in stuck.message


def test_schedule_is_mirrored_into_celery_beat():
    target = target_save(target=None, data={"name": "s", "kind": "sqlite", "location": "/x", "schedule": "15 2 * * 1"})
    task = PeriodicTask.objects.get(name="drills:s")
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("15", "2", "1")
    assert task.args == f"[{target.pk}]" and task.enabled and str(task.crontab.timezone) == "UTC"
    target_save(target=target, data={"enabled": False})
    assert not PeriodicTask.objects.get(name="drills:s").enabled
    target_save(target=target, data={"schedule": ""})
    assert not PeriodicTask.objects.filter(name="drills:s").exists()
    with pytest.raises(InvalidInputError, match="schedule"):
        target_save(target=target, data={"schedule": "61 * * *"})
    target_save(target=target, data={"schedule": "0 4 * * *"})
    target_delete(target=target)
    assert not PeriodicTask.objects.exists()


def test_next_run_from_the_crontab():
    assert next_run_at(schedule="30 3 * * *", enabled=True, now=NOW) == dt.datetime(2026, 6, 2, 3, 30, tzinfo=dt.UTC)
    assert next_run_at(schedule="*/15 * * * *", enabled=True, now=NOW) == NOW + dt.timedelta(minutes=15)
    assert next_run_at(schedule="30 3 * * *", enabled=False, now=NOW) is None
    assert next_run_at(schedule="99 * * * *", enabled=True, now=NOW) is None


def test_kind_cannot_change_and_only_one_builtin_target():
    target = BackupTargetFactory()
    with pytest.raises(InvalidInputError, match="kind cannot change"):
        target_save(target=target, data={"kind": "postgres"})
    target_save(target=None, data={"name": "self-1", "kind": "self"})
    with pytest.raises(ConflictError, match="built-in"):
        target_save(target=None, data={"name": "self-2", "kind": "self"})


def test_timezone_aware_times_only():
    run = DrillRunFactory()
    assert timezone.is_aware(run.queued_at)


def test_demo_seed_adds_the_scheduled_builtin_drill_once(settings, tmp_path):
    from sre.demo.services import demo_seed

    settings.VAR_DIR = tmp_path
    demo_seed(password="x-long-password-1")
    demo_seed(password="x-long-password-1")
    builtin = BackupTarget.objects.get(kind="self")
    assert builtin.enabled and builtin.schedule and builtin.periodic_task.enabled
    assert builtin.checks.count() >= 3
    assert BackupTarget.objects.filter(name="demo-broken-sqlite", schedule="").count() == 1
