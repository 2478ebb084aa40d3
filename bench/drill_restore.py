"""Restore drills: orchestration overhead of a PostgreSQL drill vs bare pg_dump + pg_restore, checksum cost, restic.

A generated PostgreSQL database (~1 GB; ~60 MB with --quick) is dumped and restored bare (pg_dump -Fc, createdb,
pg_restore, dropdb) and through a real drill (drills.execution.drill_execute in a child process on a migrated
control-plane database: obtain, restore, verify with row-count checks, clean up) — alternately, best of N. The
goal is orchestration overhead <= 10%. A second drill adds per-table checksum checks (compared with the source
in the dump's snapshot); the time they add is printed separately. A restic snapshot of generated files gives
the restic RTO.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.support import PG_ADMIN_URL, ROOT, postgres_database

TABLES = ("orders", "order_lines", "customers", "events")

DRILL_SCRIPT = r"""
import json, sys, time
import django
django.setup()
from django.utils import timezone
from drills.execution import drill_execute
from drills.models import DrillRun
from drills.services import check_create, target_save, drill_request
import drills.tasks
drills.tasks.drill_enqueue = lambda **kw: None
spec = json.loads(sys.argv[1])
target = target_save(target=None, data={"name": spec["name"], "kind": "postgres", "connection": spec["url"],
                                        "rto_target_seconds": 14400, "rpo_target_seconds": 900,
                                        "timeout_seconds": 21600})
for table in spec["tables"]:
    check_create(target=target, data={"name": f"rows {table}", "kind": "row_count", "table": table, "min_rows": 1})
    if spec["checksums"]:
        check_create(target=target, data={"name": f"checksum {table}", "kind": "table_checksum", "table": table})
run = drill_request(target=target, trigger="api", user=None, now=timezone.now())
started = time.perf_counter()
drill_execute(run_id=run.pk, worker="bench")
elapsed = time.perf_counter() - started
run = DrillRun.objects.get(pk=run.pk)
steps = {s.name: (s.finished_at - s.started_at).total_seconds() for s in run.steps.all() if s.finished_at}
print("RESULT " + json.dumps({"status": run.status, "elapsed": elapsed, "rto": run.rto_seconds,
                              "rpo": run.rpo_seconds, "size": run.backup_size_bytes, "steps": steps,
                              "reasons": run.reasons}))
"""


def _psql(url: str, sql: str) -> None:
    subprocess.run(["psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True, capture_output=True)


def _generate(url: str, *, rows: int) -> int:
    """Four tables with an index each; returns the database size in bytes."""
    per = rows // len(TABLES)
    for table in TABLES:
        _psql(url, f"CREATE TABLE {table} AS SELECT g AS id, md5(g::text) AS a, md5((g * 7)::text) AS b, "
                   f"g % 1000 AS bucket, now() - (g || ' seconds')::interval AS at "
                   f"FROM generate_series(1, {per}) g")  # fmt: skip
        _psql(url, f"ALTER TABLE {table} ADD PRIMARY KEY (id)")
    _psql(url, "VACUUM ANALYZE")
    out = subprocess.run(["psql", url, "-Atc", "SELECT pg_database_size(current_database())"], check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    return int(out.strip())


def _bare(url: str, work: Path) -> float:
    """pg_dump -Fc, createdb, pg_restore, dropdb: what a drill wraps."""
    dump = work / "bare.dump"
    scratch = "bench_bare_restore"
    _psql(f"{PG_ADMIN_URL}/postgres", f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    started = time.perf_counter()
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", f"--dbname={url}"], check=True)
    _psql(f"{PG_ADMIN_URL}/postgres", f'CREATE DATABASE "{scratch}"')
    subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                    f"--dbname={PG_ADMIN_URL}/{scratch}", str(dump)], check=True)  # fmt: skip
    _psql(f"{PG_ADMIN_URL}/postgres", f'DROP DATABASE "{scratch}" WITH (FORCE)')
    dump.unlink()
    return time.perf_counter() - started


def _drill(env: dict, *, url: str, name: str, checksums: bool) -> dict:
    spec = json.dumps({"name": name, "url": url, "tables": TABLES, "checksums": checksums})
    out = subprocess.run([sys.executable, "-c", DRILL_SCRIPT, spec], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    result = json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[7:])
    if result["status"] != "passed":
        raise RuntimeError(f"drill {name} did not pass: {result['reasons']}")
    return result


def _restic_data(work: Path, *, megabytes: int) -> str:
    """Incompressible files to back up (8 MB each)."""
    data = work / "files"
    data.mkdir()
    for index in range(max(1, megabytes // 8)):
        (data / f"blob-{index}.bin").write_bytes(os.urandom(8 * 1024 * 1024))
    return str(data)


def run(*, quick: bool) -> dict:
    rows = 600_000 if quick else 6_500_000
    repeats = 1 if quick else 3
    with tempfile.TemporaryDirectory(prefix="sre-bench-drill-") as tmp, \
            postgres_database("bench_drill_source") as source_url, \
            postgres_database("bench_drill_control") as control_url:  # fmt: skip
        work = Path(tmp)
        env = {**os.environ, "DATABASE_URL": control_url, "SRE_VAR_DIR": str(work / "var"),
               "SRE_DRILL_SCRATCH_DIR": str(work / "scratch"), "DJANGO_SETTINGS_MODULE": "sre.settings"}  # fmt: skip
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True,
                       capture_output=True)  # fmt: skip
        size = _generate(source_url, rows=rows)
        bare_times, drill_runs = [], []
        for index in range(repeats):
            # Alternate the order so neither side always gets the warmer cache.
            if index % 2:
                drill_runs.append(_drill(env, url=source_url, name=f"rows-{index}", checksums=False))
                bare_times.append(_bare(source_url, work))
            else:
                bare_times.append(_bare(source_url, work))
                drill_runs.append(_drill(env, url=source_url, name=f"rows-{index}", checksums=False))
        checksum_run = _drill(env, url=source_url, name="checksums", checksums=True)
        bare = min(bare_times)
        best = min(drill_runs, key=lambda r: r["elapsed"])
        ratio = best["elapsed"] / bare
        verify_rows = best["steps"].get("verify", 0.0)
        verify_sums = checksum_run["steps"].get("verify", 0.0)
        restic_row = _restic_bench(work, megabytes=64 if quick else 512, env=env)
        rows_out = [
            ["bare pg_dump + createdb + pg_restore + dropdb", round(bare, 2), "", ""],
            ["drill (row counts): obtain+restore+verify+clean up", round(best["elapsed"], 2),
             round(best["rto"], 2), f"{ratio:.3f}"],
            ["drill with per-table checksums", round(checksum_run["elapsed"], 2), round(checksum_run["rto"], 2), ""],
            restic_row,
        ]  # fmt: skip
        return {
            "title": f"Restore drill vs bare tools, PostgreSQL {size / 1e9:.2f} GB ({rows:,} rows in {len(TABLES)} "
            f"tables), best of {repeats}",
            "columns": ["what", "seconds", "RTO s", "drill / bare"],
            "rows": rows_out,
            "extra": {
                "database_bytes": size,
                "dump_bytes": best["size"],
                "orchestration_overhead": f"{(ratio - 1) * 100:+.1f}% (goal <= +10%)",
                "drill_steps_s": {k: round(v, 2) for k, v in best["steps"].items()},
                "bare_runs_s": [round(t, 2) for t in bare_times],
                "drill_runs_s": [round(r["elapsed"], 2) for r in drill_runs],
                # Checksums cost twice: over the source inside the dump's snapshot (obtain) and over the copy (verify).
                "checksum_verification_adds_s": round(checksum_run["elapsed"] - best["elapsed"], 2),
                "checksum_source_side_s": round(checksum_run["steps"].get("obtain", 0.0) - best["steps"]["obtain"], 2),
                "checksum_restored_side_s": round(verify_sums - verify_rows, 2),
                "checksum_drill_steps_s": {k: round(v, 2) for k, v in checksum_run["steps"].items()},
            },
        }


RESTIC_SCRIPT = r"""
import json, sys, time
import django
django.setup()
from django.utils import timezone
from drills.execution import drill_execute
from drills.models import DrillRun
from drills.services import check_create, target_save, drill_request
import drills.tasks
drills.tasks.drill_enqueue = lambda **kw: None
spec = json.loads(sys.argv[1])
target = target_save(target=None, data={"name": "restic-files", "kind": "restic", "connection": spec["repo"],
                                        "secret": spec["password"], "location": spec["data"]})
check_create(target=target, data={"name": "first blob", "kind": "file_checksum", "path": "blob-0.bin"})
run = drill_request(target=target, trigger="api", user=None, now=timezone.now())
started = time.perf_counter()
drill_execute(run_id=run.pk, worker="bench")
elapsed = time.perf_counter() - started
run = DrillRun.objects.get(pk=run.pk)
print("RESULT " + json.dumps({"status": run.status, "elapsed": elapsed, "rto": run.rto_seconds,
                              "reasons": run.reasons}))
"""


def _restic_bench(work: Path, *, megabytes: int, env: dict) -> list:
    if not shutil.which("restic"):
        return ["restic (not installed)", "", "", ""]
    data = _restic_data(work, megabytes=megabytes)
    repo, password = str(work / "repo"), "bench-password"
    renv = {**os.environ, "RESTIC_REPOSITORY": repo, "RESTIC_PASSWORD": password}
    subprocess.run(["restic", "--no-cache", "init"], env=renv, check=True, capture_output=True)
    started = time.perf_counter()
    subprocess.run(["restic", "--no-cache", "backup", data], env=renv, check=True, capture_output=True)
    subprocess.run(["restic", "--no-cache", "restore", "latest", "--target", str(work / "bare-restore")], env=renv,
                   check=True, capture_output=True)  # fmt: skip
    bare = time.perf_counter() - started
    shutil.rmtree(work / "bare-restore")
    spec = json.dumps({"repo": repo, "password": password, "data": data})
    out = subprocess.run([sys.executable, "-c", RESTIC_SCRIPT, spec], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    result = json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[7:])
    if result["status"] != "passed":
        raise RuntimeError(f"restic drill did not pass: {result['reasons']}")
    return [f"restic {megabytes} MB: drill (bare backup+restore {bare:.1f} s)", round(result["elapsed"], 2),
            round(result["rto"], 2), f"{result['elapsed'] / bare:.3f}"]  # fmt: skip
