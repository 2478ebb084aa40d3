"""Heartbeats: the check pass (``heartbeats.check``) over 10,000 checks on PostgreSQL, and pings through the service.

A missed heartbeat alerts at the first pass after its grace time ends; passes run every ``SRE_RULES_INTERVAL``
seconds (15), so the delay from the end of the grace time to the alert is at most one interval plus the pass's own
duration — which is what is measured here: 10,000 checks (period and cron, several time zones), with none due
(the usual pass), 100 and 1,000 going down at once (each raising ``HeartbeatMissed`` through the alerts intake in
batches of 500), all 10,000 at once (the worst case: a network partition), and 10,000 going late (one UPDATE).
Queries per pass are counted. Pings: 2,000 through ``heartbeat_ping`` (row lock, insert, update) in one process.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def run(*, quick: bool) -> dict:
    from bench.support import postgres_database

    checks = 2000 if quick else 10_000
    with postgres_database("sre_bench_heartbeats") as url:
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "sre.settings"}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        out = subprocess.run([sys.executable, __file__, "--inner", str(checks)], cwd=ROOT, env=env, check=True,
                             capture_output=True, text=True)  # fmt: skip
        result = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        "title": f"Heartbeats: the check pass over {checks:,} checks (PostgreSQL, one process)",
        "columns": ["what", "checks", "seconds", "queries", "notes"],
        "rows": result["rows"],
        "extra": result["extra"],
    }


# --- inside the benchmark's own Django process ---------------------------------------------------------------


def _inner(count: int) -> dict:
    import datetime as dt

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from alerts.models import Alert
    from alerts.services.intake import routing_ensure_default
    from heartbeats.choices import CheckState, PingKind
    from heartbeats.models import Check
    from heartbeats.selectors import check_url
    from heartbeats.services import heartbeat_ping, heartbeats_check

    routing_ensure_default()
    check_url(1)  # warm up: the URL resolver is built once per process (about 2 s), not per pass
    now = timezone.now().replace(microsecond=0)
    zones = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo")
    rows_to_make = []
    for i in range(count):
        cron = i % 2 == 1
        rows_to_make.append(
            Check(
                name=f"job-{i}", slug=f"job-{i}", schedule_kind="cron" if cron else "period",
                cron=f"{i % 60} {i % 24} * * *" if cron else "", timezone=zones[i % len(zones)],
                period_seconds=3600 * (1 + i % 24), grace_seconds=600, service=f"svc-{i % 50}",
                state=CheckState.UP, last_ping_at=now - dt.timedelta(minutes=5),
                next_due_at=now + dt.timedelta(hours=1), alert_at=now + dt.timedelta(hours=1, minutes=10),
            )
        )  # fmt: skip
    Check.objects.bulk_create(rows_to_make, batch_size=2000)
    ids = list(Check.objects.order_by("pk").values_list("pk", flat=True))
    rows: list[list] = []

    def timed(label: str, notes: str, at) -> dict:
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            stats = heartbeats_check(now=at)
            seconds = time.perf_counter() - start
        rows.append([label, count, round(seconds, 3), len(queries), f"{notes}; {stats}"])
        return {"seconds": seconds, "stats": stats}

    # The usual pass: nothing due. Repeated for a distribution.
    idle = []
    for _ in range(20):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            heartbeats_check(now=now)
            idle.append(time.perf_counter() - start)
    idle.sort()
    rows.append(["pass, none due (x20)", count, round(statistics.median(idle), 4), len(queries),
                 f"p50 {statistics.median(idle) * 1e3:.1f} ms, max {idle[-1] * 1e3:.1f} ms"])  # fmt: skip
    extra: dict = {"rules_interval_s": settings.SRE["RULES_INTERVAL"]}
    extra["idle_pass_p50_ms"] = round(statistics.median(idle) * 1e3, 2)
    step = 0
    for down in (100, 1000):
        chosen = ids[step : step + down]
        step += down
        Check.objects.filter(pk__in=chosen).update(alert_at=now - dt.timedelta(seconds=1))
        out = timed(f"pass, {down:,} go down", "each raises HeartbeatMissed through intake", now)
        assert out["stats"]["down"] == down, out
        extra[f"down_{down}_pass_s"] = round(out["seconds"], 3)
        again = timed("same pass again", "idempotent: nothing raised twice", now)
        assert again["stats"]["down"] == 0 and again["stats"]["alerts_sent"] == 0, again
    late_ids = ids[step:]
    Check.objects.filter(pk__in=late_ids).update(next_due_at=now - dt.timedelta(seconds=1))
    out = timed(f"pass, {len(late_ids):,} go late", "one conditional UPDATE, no alert", now)
    assert out["stats"]["late"] == len(late_ids), out
    Check.objects.filter(state__in=[CheckState.UP, CheckState.LATE]).update(alert_at=now - dt.timedelta(seconds=1))
    remaining = Check.objects.filter(state__in=[CheckState.UP, CheckState.LATE]).count()
    out = timed(f"pass, all {remaining:,} remaining go down", "worst case (e.g. a partition)", now)
    extra["all_down_pass_s"] = round(out["seconds"], 3)
    extra["alerts_firing"] = Alert.objects.filter(status="firing").count()

    # Pings through the service: lock, insert, update (the web request adds parsing and the response).
    keys = list(Check.objects.order_by("pk").values_list("ping_key", flat=True)[:200])
    pings = 2000
    start = time.perf_counter()
    for i in range(pings):
        at = now + dt.timedelta(seconds=i)
        heartbeat_ping(key=keys[i % len(keys)], kind=PingKind.START if i % 2 else PingKind.SUCCESS, now=at)
    seconds = time.perf_counter() - start
    rows.append(["pings (service)", len(keys), round(seconds, 3), "",
                 f"{pings:,} pings, {seconds / pings * 1e3:.2f} ms each (3 statements and a commit; the first success "
                 "of each down check resolves its alert)"])  # fmt: skip
    extra["ping_ms"] = round(seconds / pings * 1e3, 2)
    extra["grace_end_to_alert_bound_s"] = f"<= {settings.SRE['RULES_INTERVAL']} + pass duration"
    return {"rows": rows, "extra": extra}


if __name__ == "__main__" and len(sys.argv) > 2 and sys.argv[1] == "--inner":
    print(json.dumps(_inner(int(sys.argv[2])), default=str))
