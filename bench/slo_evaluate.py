"""SLO evaluation: 1,000 SLOs over 30 days of per-minute data on PostgreSQL, all windows, vs Prometheus.

A fresh PostgreSQL database gets ``services`` x 2 series of ``http_requests_total{service,code}`` with a
row per minute for 30 days (and the hourly rollup, as ingest maintains it), and 4 SLOs per service
(bad/total 99.9% 30 d, good/total 99.5% 28 d, bad/total 99.9% calendar month, 5xx regex 99% 7 d) with
the default three-condition policy. Timed: ``slo_evaluate`` (every window of every SLO: the counting
queries and the exact maths) and ``slo_evaluate_all`` (the beat task's work: that plus storing 1,000
snapshots and alert transitions). Then a real Prometheus is backfilled with the same minutes for a
subset of the services and asked the same 30-day ratios; the time per SLO of both is compared.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DAY = 86400


def run(*, quick: bool) -> dict:
    from bench.support import postgres_database

    services, prom_services, repeats = (25, 10, 3) if quick else (250, 25, 5)
    with postgres_database("sre_bench_slo") as url:
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "sre.settings", "PROMETHEUS_URL": ""}
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        out = subprocess.run(
            [sys.executable, __file__, "--inner", str(services), str(prom_services), str(repeats)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    rows = [[label, *values] for label, values in result["rows"]]
    return {
        "title": f"SLO evaluation on PostgreSQL: {result['slos']} SLOs, {result['series']} series, "
        f"{result['minute_rows']:,} minute rows (30 days), median of {repeats} runs",
        "columns": ["what", "SLOs", "seconds", "ms per SLO", "queries"],
        "rows": rows,
        "extra": result["extra"],
    }


# --- inside the child process (Django set up on the benchmark database) -------------------------------


def _generate(services: int, end: int) -> dict:
    from django.db import connection

    from slo.models import SLO, Service
    from slo.services import slo_save
    from telemetry.models import Series
    from telemetry.partitions import MINUTES, is_partitioned, partitions_cover

    start = end - 30 * DAY - 3600
    Series.objects.bulk_create(
        [
            Series(
                name="http_requests_total",
                key=f'http_requests_total{{code="{c}",service="s{i:04d}"}}',
                labels={"code": c, "service": f"s{i:04d}"},
                kind="counter",
            )
            for i in range(services)
            for c in ("200", "500")
        ]
    )
    days = {dt.datetime.fromtimestamp(t, tz=dt.UTC).date() for t in range(start, end + DAY, DAY)}
    if is_partitioned(MINUTES):
        partitions_cover(MINUTES, days=days)  # as a bulk load should: each day's rows in their own partition
    with connection.cursor() as cursor:
        # Bulk load without the rollup indexes, then rebuild them exactly as the migrations define them (on a
        # partitioned table: on the parent and every partition, the primary key from its columns).
        cursor.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes "
            "WHERE tablename IN ('telemetry_minuterollup', 'telemetry_hourrollup')"
        )
        indexes = cursor.fetchall()
        for table, name, _ in indexes:
            if name.endswith("_pkey"):
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            else:
                cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SELECT setseed(0.42)")
        # ~1000 requests a minute per service; 0.05% errors, with an error burst on every 50th service now.
        cursor.execute(
            """
            INSERT INTO telemetry_minuterollup (series_id, start, increase, samples)
            SELECT s.id, t,
                   CASE WHEN s.labels->>'code' = '200' THEN 900 + floor(random() * 200)
                        WHEN t > %s - 1200 AND (substr(s.labels->>'service', 2)::int %% 50) = 0
                        THEN 50 + floor(random() * 50)
                        ELSE floor(random() * 1.001) END,
                   1
            FROM telemetry_series s, generate_series(%s::bigint, %s::bigint, 60) t
            """,
            [end, start, end],
        )
        cursor.execute(
            """
            INSERT INTO telemetry_hourrollup (series_id, start, increase, samples)
            SELECT series_id, start / 3600 * 3600, sum(increase), sum(samples)
            FROM telemetry_minuterollup GROUP BY series_id, start / 3600 * 3600
            """
        )
        for table, name, definition in indexes:
            if " ON ONLY " in definition and name.endswith("_pkey"):
                columns = definition[definition.rindex("(") :]
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" PRIMARY KEY {columns}')
                continue
            cursor.execute(definition.replace(" ON ONLY ", " ON "))
            if name.endswith("_pkey"):
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" PRIMARY KEY USING INDEX "{name}"')
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM telemetry_minuterollup")
        minute_rows = cursor.fetchone()[0]
    for i in range(services):
        service = Service.objects.create(name=f"s{i:04d}")
        sel = f'http_requests_total{{service="{service.name}"'
        specs = [
            {"name": f"{service.name}-availability", "sli": {"bad": sel + ', code="500"}', "total": sel + "}"}},
            {
                "name": f"{service.name}-good",
                "target": "0.995",
                "window_days": 28,
                "sli": {"good": sel + ', code!="500"}', "total": sel + "}"},
            },
            {
                "name": f"{service.name}-monthly",
                "window_kind": "calendar",
                "calendar_unit": "month",
                "timezone": "Europe/Paris",
                "sli": {"bad": sel + ', code="500"}', "total": sel + "}"},
            },
            {
                "name": f"{service.name}-5xx-7d",
                "target": "0.99",
                "window_days": 7,
                "sli": {"bad": sel + ', code=~"5.."}', "total": sel + "}"},
            },
        ]
        for spec in specs:
            slo_save(slo=None, data={"service": service, "sli_kind": "ratio", **spec})
    return {"minute_rows": minute_rows, "slos": SLO.objects.count(), "series": Series.objects.count()}


def _timed(fn, repeats: int) -> tuple[float, int, float]:
    """Median wall seconds, queries of one run, median CPU seconds of this (client) process."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    times, cpu, queries = [], [], 0
    for _ in range(repeats):
        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            t, c = time.perf_counter(), time.process_time()
            fn()
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        queries = len(ctx.captured_queries)
    return statistics.median(times), queries, statistics.median(cpu)


def _prometheus(services: int, end: int, slos: list) -> dict:
    """Backfill the first ``services`` services' minutes into Prometheus; time the same 30-day ratios."""
    import datetime as dt
    import tempfile
    import urllib.parse
    import urllib.request

    from telemetry.models import MinuteRollup, Series
    from tests.slo.prom import backfilled_prometheus, openmetrics

    names = {f"s{i:04d}" for i in range(services)}
    series = [s for s in Series.objects.all() if s.labels["service"] in names]
    data = []
    for s in series:
        total, points = 0.0, []
        rows = MinuteRollup.objects.filter(series_id=s.id).order_by("start").values_list("start", "increase")
        for start, increase in rows.iterator(chunk_size=50000):
            total += increase
            points.append((start, total))
        data.append(("http_requests_total", s.labels, points))
    text = openmetrics(data, family="http_requests")
    del data
    chosen = [s for s in slos if s.service.name in names and s.window_kind == "rolling" and s.window_days == 30]
    timings: dict = {}
    with tempfile.TemporaryDirectory(), backfilled_prometheus(text) as url:
        from django.conf import settings

        from slo.services import slo_evaluate

        def ask(query: str) -> float:
            q = urllib.parse.urlencode({"query": query, "time": end})
            body = json.loads(urllib.request.urlopen(f"{url}/api/v1/query?{q}", timeout=300).read())
            return float(body["data"]["result"][0]["value"][1])

        at = dt.datetime.fromtimestamp(end, tz=dt.UTC)
        for s in chosen[:1]:  # warm the caches once
            ask(f"sum(increase({s.sli['bad']}[30d])) / sum(increase({s.sli['total']}[30d]))")
        t = time.perf_counter()
        prom_ratios = {}
        for s in chosen:
            prom_ratios[s.pk] = ask(f"sum(increase({s.sli['bad']}[30d])) / sum(increase({s.sli['total']}[30d]))")
        timings["prometheus_per_slo"] = (time.perf_counter() - t) / len(chosen)
        t = time.perf_counter()
        results = slo_evaluate(slos=chosen, now=at)
        timings["ours_subset_per_slo"] = (time.perf_counter() - t) / len(chosen)
        ours = {r.slo.pk: r.evaluation.budget.bad / r.evaluation.budget.total_events for r in results}
        settings.PROMETHEUS_URL = url
        promql = []
        for s in chosen:
            s.sli_kind = "promql"
            promql.append(s)
        t = time.perf_counter()
        slo_evaluate(slos=promql, now=at)
        timings["promql_bulk_per_slo"] = (time.perf_counter() - t) / len(chosen)
        settings.PROMETHEUS_URL = ""
    worst = max(abs(float(ours[k]) - prom_ratios[k]) / max(prom_ratios[k], 1e-12) for k in ours)
    return {"slos": len(chosen), "max_relative_difference": worst, **timings}


def _inner(services: int, prom_services: int, repeats: int) -> None:
    import django

    django.setup()
    import datetime as dt

    from django.conf import settings

    settings.DEBUG = False
    from slo.models import SLO
    from slo.services import slo_evaluate, slo_evaluate_all

    end = (int(time.time()) // 60 - 2) * 60
    info = _generate(services, end)
    slos = list(SLO.objects.select_related("service").order_by("pk"))
    at = dt.datetime.fromtimestamp(end, tz=dt.UTC)
    load_before = os.getloadavg()[0]
    read, read_q, read_cpu = _timed(lambda: slo_evaluate(slos=slos, now=at), repeats)
    step = iter(range(1, 1000))
    full, full_q, full_cpu = _timed(lambda: slo_evaluate_all(now=at + dt.timedelta(seconds=next(step))), repeats)
    load_after = os.getloadavg()[0]
    n = len(slos)
    rows = [
        ["slo_evaluate: counts for every window + exact maths", [n, round(read, 3), round(read * 1000 / n, 3), read_q]],
        [
            "slo_evaluate_all: + snapshots, status, alert transitions",
            [n, round(full, 3), round(full * 1000 / n, 3), full_q],
        ],
    ]
    prom = _prometheus(prom_services, end, slos)
    rows.append(
        [
            f"ours, the {prom['slos']} 30-day SLOs also in Prometheus",
            [
                prom["slos"],
                round(prom["ours_subset_per_slo"] * prom["slos"], 3),
                round(prom["ours_subset_per_slo"] * 1000, 3),
                "-",
            ],
        ]
    )
    rows.append(
        [
            f"Prometheus: the same {prom['slos']} 30-day ratios, one query each",
            [
                prom["slos"],
                round(prom["prometheus_per_slo"] * prom["slos"], 3),
                round(prom["prometheus_per_slo"] * 1000, 3),
                prom["slos"],
            ],
        ]
    )
    rows.append(
        [
            "PromQL SLIs through Prometheus (our bulk query per window)",
            [
                prom["slos"],
                round(prom["promql_bulk_per_slo"] * prom["slos"], 3),
                round(prom["promql_bulk_per_slo"] * 1000, 3),
                "-",
            ],
        ]
    )
    extra = {
        "goal": "1,000 SLOs, all windows, <= 1 s on PostgreSQL",
        "met": read <= 1.0,
        "client CPU seconds (median): slo_evaluate / slo_evaluate_all": f"{read_cpu:.3f} / {full_cpu:.3f}",
        "load average (1 min) before / after the timed runs, 2 cores": f"{load_before:.1f} / {load_after:.1f}",
        "windows per SLO": "5m 30m 1h 2h 6h 1d 3d + the SLO window (30d / 28d / month so far / 7d)",
        "Prometheus / ours, per 30-day ratio": round(prom["prometheus_per_slo"] / prom["ours_subset_per_slo"], 2),
        "largest relative difference of the 30-day error ratios (ours vs Prometheus)": prom["max_relative_difference"],
        "note": "Prometheus holds the same minutes for a subset of the services (backfilling all of them "
        "with promtool would take longer than the benchmark); it answers one 30-day ratio per query.",
    }
    print(json.dumps({**info, "rows": rows, "extra": extra}))


if __name__ == "__main__" and "--inner" in sys.argv:
    args = sys.argv[sys.argv.index("--inner") + 1 :]
    _inner(int(args[0]), int(args[1]), int(args[2]))
