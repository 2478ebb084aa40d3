"""SQLite targets with the real sqlite3 library: online backup copy, integrity check, checks."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from django.utils import timezone

from drills.choices import CheckKind, RunStatus, StepStatus
from drills.demo import broken_target_ensure, self_target_ensure
from drills.engine.sqlite import SqliteExecutor
from drills.services import check_create, target_save
from sre.services import role_groups_ensure

pytestmark = pytest.mark.django_db(transaction=True)


def _make_db(path, rows: int = 300) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT, price REAL)")
    conn.executemany("INSERT INTO items (label, price) VALUES (?, ?)", [(f"item {i}", i * 1.5) for i in range(rows)])
    conn.commit()
    conn.close()  # the last connection checkpoints the WAL into the file


def test_online_backup_restores_and_matches_the_source(run_drill, tmp_path):
    _make_db(tmp_path / "app.sqlite3")
    target = target_save(target=None, data={"name": "app", "kind": "sqlite", "location": str(tmp_path / "app.sqlite3")})
    check_create(target=target, data={"name": "rows", "kind": CheckKind.ROW_COUNT, "table": "items", "min_rows": 300})
    check_create(target=target, data={"name": "same", "kind": CheckKind.TABLE_CHECKSUM, "table": "items"})
    check_create(target=target, data={"name": "max", "kind": CheckKind.SQL, "query": "SELECT max(id) FROM items",
                                      "expected": "300"})  # fmt: skip

    run = run_drill(target)

    assert run.status == RunStatus.PASSED, run.reasons
    results = {c.name: c for c in run.check_results.all()}
    assert results["integrity_check"].observed == "ok"
    assert results["same"].observed.startswith("300:") and results["same"].passed
    assert not (tmp_path / "scratch" / f"run-{run.pk}").exists()


def test_truncated_copy_fails_integrity_with_sqlites_message(run_drill, tmp_path):
    _make_db(tmp_path / "src.sqlite3", rows=3000)
    copies = tmp_path / "copies"
    copies.mkdir()
    data = (tmp_path / "src.sqlite3").read_bytes()
    (copies / "copy.sqlite3").write_bytes(data[: len(data) // 3])
    target = target_save(target=None, data={"name": "copies", "kind": "sqlite", "backup_mode": "latest",
                                            "location": str(copies)})  # fmt: skip
    check_create(target=target, data={"name": "rows", "kind": CheckKind.ROW_COUNT, "table": "items", "min_rows": 1})

    run = run_drill(target)

    assert run.status == RunStatus.FAILED
    # Depending on where the cut falls, SQLite refuses the file at once or its integrity check fails.
    results = {c.name: c for c in run.check_results.all()}
    if "integrity_check" in results:
        assert not results["integrity_check"].passed
        assert "integrity_check" in run.message or "malformed" in run.message
    else:
        assert run.steps.get(name="restore").status == StepStatus.FAILED
        assert "malformed" in run.message, run.message


def test_a_file_that_is_not_a_database_fails_the_restore(run_drill, tmp_path):
    (tmp_path / "junk.sqlite3").write_bytes(b"this is not sqlite" * 200)
    target = target_save(target=None, data={"name": "junk", "kind": "sqlite", "backup_mode": "latest",
                                            "location": str(tmp_path)})  # fmt: skip

    run = run_drill(target)

    assert run.status == RunStatus.FAILED
    assert run.steps.get(name="restore").status == StepStatus.FAILED
    assert "not a database" in run.message


def test_rto_over_target_fails_the_verdict(run_drill, tmp_path, monkeypatch):
    _make_db(tmp_path / "app.sqlite3", rows=10)
    target = target_save(target=None, data={"name": "slow", "kind": "sqlite", "location": str(tmp_path / "app.sqlite3"),
                                            "rto_target_seconds": 60})  # fmt: skip
    check_create(target=target, data={"name": "rows", "kind": CheckKind.ROW_COUNT, "table": "items", "min_rows": 10})
    clock = _Clock(timezone.now())
    original = SqliteExecutor.restore

    def slow_restore(self, backup):  # by the run's clock, the restore takes 90 s against a 60 s target
        clock.advance(seconds=90)
        return original(self, backup)

    monkeypatch.setattr(SqliteExecutor, "restore", slow_restore)

    run = run_drill(target, clock=clock)

    assert run.status == RunStatus.FAILED
    assert all(c.passed for c in run.check_results.all())
    assert run.rto_seconds == 90
    assert run.reasons[0] == "RTO 1 min 30 s is over the target of 1 min.", run.reasons


class _Clock:
    """A clock the test moves: ``clock()`` is the time now, ``clock.advance(seconds=...)`` lets time pass."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, *, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def test_builtin_self_target_drills_the_control_planes_own_database(run_drill):
    role_groups_ensure()  # made by a data migration, which transactional tests flush
    target = self_target_ensure()
    assert self_target_ensure().pk == target.pk  # idempotent

    run = run_drill(target)

    assert run.status == RunStatus.PASSED, run.reasons
    assert run.plan["kind"] == "self"
    assert {c.name for c in run.check_results.all()} >= {"migrations recorded", "migrations identical to source"}


def test_demo_broken_target_fails_and_says_why(run_drill, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    target = broken_target_ensure()
    assert broken_target_ensure().pk == target.pk

    run = run_drill(target)

    assert run.status == RunStatus.FAILED
    assert run.reasons
