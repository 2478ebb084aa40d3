"""Log retention and a recent search, with the day partitions and without (the plain table of migration
telemetry 0006), on the same generated lines: ``bench/run.py retention_logs``.

Both layouts side by side (a database and a gunicorn each), each with 10 million lines one every 50 ms back from
now (5.8 days; 1 million 500 ms apart with --quick), then, alternating between them so other load on the machine
falls on both:

- ``GET /api/v1/logs/search`` over the last hour (start and end given, as the logs page sends them): no text,
  a common word, a trace id on one line — p50/p95 of 30 requests;
- one run of the retention job's log step (``telemetry.services.logs_expire``, as ``telemetry.retention`` calls
  it) with the retention set to 4 days: partitioned, the oldest days are dropped whole; plain, the rows go in
  batches of ``RETENTION_BATCH_SIZE``, at most 50 batches a run (the next run goes on). The table gives the
  lines deleted, the run's time, its rate and the older lines left: partitioned, those of the day holding the
  cutoff (dropped once that day has passed); plain, those the next runs delete;
- last, the plain database is upgraded to day partitions (``migrate telemetry``): how long migration 0007 takes on
  that many lines.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import time

from bench.ingest_logs import _fill, _search_latency
from bench.support import gunicorn_stack

KEEP_DAYS = 4
_EXPIRE = """
import json, time, datetime as dt
from django.conf import settings
from django.db import connection
from telemetry.services import logs_expire
settings.SRE = {{**settings.SRE, "LOG_RETENTION_DAYS": {keep}}}
cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days={keep})
with connection.cursor() as cursor:
    cursor.execute('SELECT count(*) FROM telemetry_logentry WHERE "timestamp" < %s', [cutoff])
    older = cursor.fetchone()[0]
started = time.perf_counter()
deleted = logs_expire(now=dt.datetime.now(dt.UTC))
print(json.dumps({{"seconds": time.perf_counter() - started, "deleted": deleted, "older": older}}))
"""


def _build(stack, name: str, *, total: int, interval_ms: int) -> tuple[str, float]:
    if name == "plain":
        stack.manage("migrate", "telemetry", "0006")  # the table before day partitions (empty: quick)
    stack.manage("ensure_admin")
    token = stack.manage("create_api_token", "--user", "admin", "--scopes", "read").strip().splitlines()[-1]
    return token, _fill(stack, total, interval_ms=interval_ms)


def _searches(stacks: dict, *, interval_ms: int, quick: bool) -> list[list]:
    """The same searches on both layouts, alternating case by case, so other load on the machine falls on both."""
    now = dt.datetime.now(dt.UTC)
    hour = {"start": (now - dt.timedelta(hours=1)).isoformat(), "end": now.isoformat()}
    recent = hashlib.md5(str(3600_000 // interval_ms // 2).encode()).hexdigest()  # a line half an hour old
    rows = []
    for label, params in (("no text", {}), ("q=timeout", {"q": "timeout"}), ("q=<trace id>", {"q": recent})):
        for name, (stack, token) in stacks.items():
            _search_latency(stack.url, token, {**hour, **params}, repeat=2)
            p50, p95, count = _search_latency(stack.url, token, {**hour, **params}, repeat=10 if quick else 30)
            rows.append([f"{name}: last hour, {label}", count, p50, p95, ""])
    return rows


def _expire(stack, name: str) -> list:
    result = json.loads(stack.manage("shell", "-c", _EXPIRE.format(keep=KEEP_DAYS)).strip().splitlines()[-1])
    rate = result["deleted"] / result["seconds"] if result["seconds"] else 0
    return [f"{name}: retention run ({result['older']:,} lines older than {KEEP_DAYS} days)", result["deleted"],
            round(result["seconds"] * 1000), f"{rate:,.0f} lines/s", result["older"] - result["deleted"]]  # fmt: skip


def run(*, quick: bool) -> dict:
    total, interval_ms = (1_000_000, 500) if quick else (10_000_000, 50)
    started = time.monotonic()
    rows, stacks = [], {}
    with contextlib.ExitStack() as resources:
        for name in ("partitioned", "plain"):
            stack = resources.enter_context(gunicorn_stack(db_name=f"bench_retention_{name}", workers=2))
            token, fill = _build(stack, name, total=total, interval_ms=interval_ms)
            stacks[name] = (stack, token)
            rows.append([f"{name}: fill {total:,} lines (s)", round(fill, 1), "", "", ""])
        rows += _searches(stacks, interval_ms=interval_ms, quick=quick)
        rows += [_expire(stack, name) for name, (stack, _) in stacks.items()]
        plain = stacks["plain"][0]
        started_upgrade = time.monotonic()
        plain.manage("migrate", "telemetry")  # the upgrade an installation makes: the plain table rebuilt by day
        rows.append(["plain: the upgrade to day partitions (migrate telemetry 0007) on what is left (s)",
                     round(time.monotonic() - started_upgrade, 1), "", "", ""])  # fmt: skip
    return {
        "title": "Log retention and last-hour search: day partitions vs the plain table",
        "columns": ["case", "hits / deleted / s", "p50 ms / run ms", "p95 ms / rate", "older lines left"],
        "rows": rows,
        "extra": {"minutes": round((time.monotonic() - started) / 60, 1), "retention": f"{KEEP_DAYS} days"},
    }
