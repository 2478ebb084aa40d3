"""PostgreSQL targets against the real server and the real pg_dump / pg_restore."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from drills.choices import CheckKind, RunStatus, StepStatus
from drills.models import ScratchResource
from drills.services import check_create, target_save
from tests.drills.conftest import pg_database_exists

pytestmark = pytest.mark.django_db(transaction=True)


def _target(url: str, **extra):
    data = {"name": "orders-db", "kind": "postgres", "connection": url, **extra}
    return target_save(target=None, data=data)


def test_client_tools_match_the_server_major_version():
    import re

    import psycopg

    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres") as conn:
        server_major = conn.info.server_version // 10000
    for tool in ("pg_dump", "pg_restore"):
        out = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True).stdout
        client_major = int(re.search(r"\(PostgreSQL\) (\d+)", out).group(1))
        assert client_major == server_major == 15, out


def test_fresh_dump_restores_and_every_check_passes(pg_source, run_drill):
    target = _target(pg_source(rows=250))
    check_create(target=target, data={"name": "rows", "kind": CheckKind.ROW_COUNT, "table": "items", "min_rows": 250})
    check_create(target=target, data={"name": "sum", "kind": CheckKind.SQL, "query": "SELECT sum(price) FROM items",
                                      "expected": str(sum(i * 1.25 for i in range(1, 251)))})  # fmt: skip
    check_create(target=target, data={"name": "same items", "kind": CheckKind.TABLE_CHECKSUM, "table": "items"})

    run = run_drill(target)

    assert run.status == RunStatus.PASSED, run.reasons
    assert [s.status for s in run.steps.all()] == [StepStatus.OK] * 4
    assert {c.name: c.passed for c in run.check_results.all()} == {
        "restored tables": True, "rows": True, "sum": True, "same items": True,
    }  # fmt: skip
    checksum = next(c for c in run.check_results.all() if c.name == "same items")
    assert checksum.observed.startswith("250:") and checksum.observed == checksum.expected
    assert run.backup_size_bytes > 0
    assert run.rto_seconds is not None and run.rpo_seconds is not None
    assert run.plan["checks"][0]["name"] == "rows" and "connection" not in run.plan
    scratch = ScratchResource.objects.get(run=run, kind="pg_database")
    assert scratch.dropped_at is not None and not pg_database_exists(scratch.ref)
    assert "pg_restore" in run.steps.get(name="restore").log
    assert "postgres://" not in run.steps.get(name="restore").log


def test_checksum_mismatch_fails_with_the_table_named(pg_source, run_drill):
    target = _target(pg_source(rows=20))
    check_create(target=target, data={"name": "items frozen", "kind": CheckKind.TABLE_CHECKSUM, "table": "items",
                                      "expected": "20:00000000000000000000000000000000"})  # fmt: skip

    run = run_drill(target)

    assert run.status == RunStatus.FAILED
    result = run.check_results.get(name="items frozen")
    assert not result.passed and "Checksum of items differs" in result.message
    assert any("items frozen" in r for r in run.reasons)


def _dump(url: str, path) -> None:
    subprocess.run(["pg_dump", "--format=custom", f"--file={path}", f"--dbname={url}"], check=True)


def test_truncated_dump_fails_the_restore_with_a_clear_message(pg_source, run_drill, tmp_path):
    url = pg_source(rows=5000)
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    _dump(url, dumps / "full.dump")
    data = (dumps / "full.dump").read_bytes()
    (dumps / "newest.dump").write_bytes(data[: len(data) // 2])
    os.utime(dumps / "full.dump", (time.time() - 60, time.time() - 60))
    target = _target(url, backup_mode="latest", location=str(dumps), name="from-dumps")
    check_create(target=target, data={"name": "rows", "kind": CheckKind.ROW_COUNT, "table": "items", "min_rows": 1})

    run = run_drill(target)

    assert run.status == RunStatus.FAILED
    assert run.backup_ref.endswith("newest.dump")
    assert run.steps.get(name="restore").status == StepStatus.FAILED
    assert run.steps.get(name="verify").status == StepStatus.SKIPPED
    assert run.steps.get(name="cleanup").status == StepStatus.OK
    assert run.message.startswith("pg_restore failed")
    assert not pg_database_exists(f"drill_t{target.pk}_r{run.pk}")


def test_garbage_file_is_not_a_valid_archive(pg_source, run_drill, tmp_path):
    (tmp_path / "x.dump").write_bytes(b"not a dump at all" * 100)
    target = _target(pg_source(rows=1), backup_mode="latest", location=str(tmp_path), name="garbage")
    check_create(target=target, data={"name": "rows", "kind": CheckKind.ROW_COUNT, "table": "items", "min_rows": 1})

    run = run_drill(target)

    assert run.status == RunStatus.FAILED
    assert "pg_restore failed" in run.message and "archive" in run.message


def test_old_dump_fails_on_rpo(pg_source, run_drill, tmp_path):
    url = pg_source(rows=10)
    _dump(url, tmp_path / "old.dump")
    an_hour_ago = time.time() - 3600
    os.utime(tmp_path / "old.dump", (an_hour_ago, an_hour_ago))
    target = _target(url, backup_mode="latest", location=str(tmp_path), name="stale", rpo_target_seconds=900)
    check_create(target=target, data={"name": "rows", "kind": CheckKind.ROW_COUNT, "table": "items", "min_rows": 10})

    run = run_drill(target)

    assert run.status == RunStatus.FAILED
    assert run.rpo_seconds >= 3600
    assert all(c.passed for c in run.check_results.all())
    assert run.reasons == [r for r in run.reasons if "RPO" in r] and "over the target of 15 min" in run.reasons[0]


def test_empty_dump_directory_fails_obtaining(pg_source, run_drill, tmp_path):
    target = _target(pg_source(rows=1), backup_mode="latest", location=str(tmp_path), name="empty")
    check_create(target=target, data={"name": "rows", "kind": CheckKind.ROW_COUNT, "table": "items", "min_rows": 1})

    run = run_drill(target)

    assert run.status == RunStatus.FAILED
    assert run.steps.get(name="obtain").status == StepStatus.FAILED
    assert "has no files" in run.message


def test_unreachable_source_fails_with_the_connection_error(run_drill, drill_settings):
    target = _target("postgres://postgres@127.0.0.1:1/nothing", name="unreachable")
    check_create(target=target, data={"name": "rows", "kind": CheckKind.ROW_COUNT, "table": "items", "min_rows": 1})

    run = run_drill(target)

    assert run.status == RunStatus.FAILED
    assert "Cannot connect to PostgreSQL" in run.message


def test_a_connection_string_that_does_not_parse_fails_clearly(run_drill):
    target = _target("host=127.0.0.1 port=5432 dbname", name="garbled")
    check_create(target=target, data={"name": "rows", "kind": CheckKind.ROW_COUNT, "table": "items", "min_rows": 1})

    run = run_drill(target)

    assert run.status == RunStatus.FAILED
    assert run.message.startswith("The connection string does not parse")
    assert run.steps.get(name="cleanup").status == StepStatus.OK
