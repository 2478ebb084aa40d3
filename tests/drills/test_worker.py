"""The run, lock, cancel and reaper paths on a real Celery worker process (kombu filesystem transport)."""

from __future__ import annotations

import os
import signal

import psycopg
import pytest
from django.utils import timezone

from drills.choices import CheckKind, RunStatus, StepStatus
from drills.models import DrillRun, ScratchResource
from drills.services import check_create, drill_cancel, drill_request, target_save
from tests.drills.conftest import PG_ADMIN, pg_database_exists
from tests.support.celery_worker import celery_worker
from tests.support.servers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

# Sleeps only inside drill scratch databases, so the source stays fast and the restore is slow.
SLOW_RESTORE_SQL = """
CREATE FUNCTION public.slow_ok(i integer) RETURNS boolean LANGUAGE sql AS
  $$ SELECT CASE WHEN current_database() LIKE 'drill\\_t%' THEN pg_sleep(0.02) IS NOT NULL ELSE true END $$;
CREATE TABLE slow (id integer CONSTRAINT slow_check CHECK (public.slow_ok(id)));
INSERT INTO slow SELECT g FROM generate_series(1, 1500) g;
"""


@pytest.fixture
def worker_env(drill_settings):
    # The worker gets its own var/ folder; it must share SECRET_KEY to read the encrypted credentials.
    return {
        "SECRET_KEY": drill_settings.SECRET_KEY,
        "SRE_DRILL_SCRATCH_DIR": drill_settings.SRE["DRILL_SCRATCH_DIR"],
        "SRE_DRILL_HEARTBEAT_INTERVAL": "1",
    }


def _route_to(monkeypatch, producer) -> None:
    """Enqueue ``drills.run`` on this test's worker queue (the service enqueues on commit)."""
    monkeypatch.setattr(
        "drills.tasks.drill_enqueue",
        lambda *, run_id, timeout_seconds: producer.send_task(
            "drills.run", args=[run_id], soft_time_limit=timeout_seconds + 30, time_limit=timeout_seconds + 90
        ),
    )


def _copying_into(database: str) -> bool:
    """pg_restore is loading rows into ``database`` (mid-restore: the slow rows take ~30 s)."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        sql = "SELECT 1 FROM pg_stat_activity WHERE datname = %s AND query ILIKE 'COPY %%'"
        return conn.execute(sql, [database]).fetchone() is not None


def _status(run_id: int) -> str:
    return DrillRun.objects.get(pk=run_id).status


def test_a_drill_runs_on_the_worker_and_a_second_request_conflicts(monkeypatch, worker_env, tmp_path):
    import sqlite3

    conn = sqlite3.connect(tmp_path / "app.sqlite3")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    conn.close()
    target = target_save(target=None, data={"name": "app", "kind": "sqlite", "location": str(tmp_path / "app.sqlite3")})
    check_create(target=target, data={"name": "rows", "kind": CheckKind.ROW_COUNT, "table": "t", "min_rows": 1})
    with celery_worker(broker_url="filesystem://", extra_env=worker_env) as producer:
        _route_to(monkeypatch, producer)
        run = drill_request(target=target, trigger="manual", user=None, now=timezone.now())
        from sre.errors import ConflictError

        with pytest.raises(ConflictError):
            drill_request(target=target, trigger="manual", user=None, now=timezone.now())
        wait_for(lambda: _status(run.pk) not in ("queued", "running"), timeout=60, what="the drill to finish")
    run.refresh_from_db()
    assert run.status == RunStatus.PASSED, run.reasons
    assert run.worker.startswith("test-") and run.worker_pid and run.worker_pid != os.getpid()


def test_sigkill_mid_restore_is_reaped_as_error_and_the_next_run_drops_the_scratch_db(
    monkeypatch, worker_env, pg_source
):
    url = pg_source(rows=10, setup_sql=SLOW_RESTORE_SQL)
    target = target_save(target=None, data={"name": "slow-db", "kind": "postgres", "connection": url})
    check_create(target=target, data={"name": "rows", "kind": CheckKind.ROW_COUNT, "table": "slow", "min_rows": 1500})
    with celery_worker(broker_url="filesystem://", extra_env=worker_env) as producer:
        _route_to(monkeypatch, producer)
        first = drill_request(target=target, trigger="manual", user=None, now=timezone.now())
        scratch = f"drill_t{target.pk}_r{first.pk}"
        wait_for(
            lambda: (
                DrillRun.objects.get(pk=first.pk).steps.get(name="restore").status == StepStatus.RUNNING
                and pg_database_exists(scratch)
                and _copying_into(scratch)
            ),
            timeout=60,
            what="the restore to copy rows into the scratch database",
        )
        os.kill(DrillRun.objects.get(pk=first.pk).worker_pid, signal.SIGKILL)
        assert _status(first.pk) == RunStatus.RUNNING

    # A new worker runs the reaper (as beat would) once the heartbeat is older than 1.5 intervals.
    with celery_worker(broker_url="filesystem://", extra_env=worker_env) as producer:
        _route_to(monkeypatch, producer)

        def reaped() -> bool:
            producer.send_task("drills.reap")
            return _status(first.pk) == RunStatus.ERROR

        wait_for(reaped, timeout=30, interval=1.0, what="the reaper to end the dead run")
        first.refresh_from_db()
        assert "stopped sending heartbeats" in first.message
        assert first.steps.get(name="restore").status == StepStatus.FAILED
        assert pg_database_exists(scratch)  # left behind by the dead worker…

        from psycopg import connect

        with connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
            conn.execute("CREATE OR REPLACE FUNCTION public.slow_ok(i integer) RETURNS boolean "
                         "LANGUAGE sql AS $$ SELECT true $$")  # fmt: skip
        second = drill_request(target=target, trigger="manual", user=None, now=timezone.now())
        wait_for(lambda: _status(second.pk) not in ("queued", "running"), timeout=90, what="the second drill")

    assert not pg_database_exists(scratch)  # …and removed by the next run
    assert ScratchResource.objects.get(run=first, kind="pg_database").dropped_at is not None
    second.refresh_from_db()
    assert f"Removed leftover PostgreSQL database {scratch}" in second.steps.get(name="obtain").log
    assert second.status == RunStatus.PASSED, second.reasons


def test_cancelling_a_running_drill_stops_the_command_and_cleans_up(monkeypatch, worker_env, drill_settings):
    drill_settings.SRE = {**drill_settings.SRE, "DRILL_COMMAND_TARGETS": True}  # off unless turned on
    target = target_save(target=None, data={"name": "sleepy", "kind": "command", "backup_command": "echo hi > x",
                                            "restore_command": "echo restoring-part-1; sleep 120"})  # fmt: skip
    with celery_worker(broker_url="filesystem://", extra_env=worker_env) as producer:
        _route_to(monkeypatch, producer)
        run = drill_request(target=target, trigger="manual", user=None, now=timezone.now())
        wait_for(
            lambda: DrillRun.objects.get(pk=run.pk).steps.get(name="restore").status == StepStatus.RUNNING,
            timeout=60,
            what="the restore command to start",
        )
        # The heartbeat publishes the running command's output while it runs (live logs in the UI).
        wait_for(
            lambda: "restoring-part-1" in DrillRun.objects.get(pk=run.pk).steps.get(name="restore").log,
            timeout=30,
            what="the live log",
        )
        drill_cancel(run=DrillRun.objects.get(pk=run.pk), user=None, now=timezone.now())
        wait_for(lambda: _status(run.pk) != RunStatus.RUNNING, timeout=30, what="the drill to stop")
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert run.steps.get(name="cleanup").status == StepStatus.OK
    scratch_dir = drill_settings.SRE["DRILL_SCRATCH_DIR"]
    assert not os.path.exists(os.path.join(scratch_dir, f"run-{run.pk}"))
