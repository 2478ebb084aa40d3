"""Alert rules: 1,000 metric rules over 10,000 series evaluated in one pass (the beat task's work), PostgreSQL.

A fresh PostgreSQL database gets 1,000 services x (4 ``http_requests_total{service,code,method}`` counters and
6 ``cpu_usage{service,instance}`` gauges) = 10,000 series with a minute row each for the last 30 minutes, and
1,000 rules: 490 error-ratio rules (``sum by (service) (rate(5xx[5m])) / sum by (service) (rate(all[5m]))
> 0.05``), 250 ``max by (instance) (cpu_usage{service=...}) > 0.9``, 250 ``avg_over_time(cpu_usage{...}[10m])
> 0.8`` and 10 fleet-wide ``sum by (service) (rate(http_requests_total{code="500"}[5m])) > 10`` (each reads all
4,000 counters). Every 50th service has an error burst and a hot CPU, so some rules fire. Timed: one
``rules_evaluate`` pass (fetch, evaluation, states, intake), the first (alerts fire) and the steady state
(nothing changes), median of repeats; and the part spent evaluating PromQL alone.
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

    services, repeats = (100, 3) if quick else (1000, 5)
    with postgres_database("sre_bench_rules") as url:
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "sre.settings", "PROMETHEUS_URL": ""}
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        out = subprocess.run(
            [sys.executable, __file__, "--inner", str(services), str(repeats)],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        "title": f"Rule evaluation on PostgreSQL: {result['rules']:,} rules over {result['series']:,} series "
        f"({result['minute_rows']:,} minute rows), median of {repeats} passes",
        "columns": ["what", "seconds", "queries", "fired", "goal"],
        "rows": result["rows"],
        "extra": result["extra"],
    }


def _generate(services: int, end: int) -> dict:
    from django.db import connection

    from rules.models import AlertRule
    from telemetry.models import Series

    series = []
    for i in range(services):
        svc = f"s{i:04d}"
        for code in ("200", "500"):
            for method in ("GET", "POST"):
                labels = {"service": svc, "code": code, "method": method}
                key = f'http_requests_total{{code="{code}",method="{method}",service="{svc}"}}'
                series.append(Series(name="http_requests_total", key=key, labels=labels, kind="counter"))
        for inst in range(6):
            labels = {"service": svc, "instance": f"i{inst}"}
            series.append(Series(name="cpu_usage", key=f'cpu_usage{{instance="i{inst}",service="{svc}"}}',
                                 labels=labels, kind="gauge"))  # fmt: skip
    Series.objects.bulk_create(series, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.16)")
        cursor.execute(
            """
            INSERT INTO telemetry_minuterollup (series_id, start, increase, gauge, gauge_ts, samples)
            SELECT s.id, t,
                   CASE WHEN s.kind = 'gauge' THEN 0
                        WHEN s.labels->>'code' = '200' THEN 400 + floor(random() * 100)
                        WHEN (substr(s.labels->>'service', 2)::int %% 50) = 0 THEN 60 + floor(random() * 40)
                        ELSE floor(random() * 3) END,
                   CASE WHEN s.kind <> 'gauge' THEN NULL
                        WHEN (substr(s.labels->>'service', 2)::int %% 50) = 0 THEN 0.95
                        ELSE random() * 0.6 END,
                   CASE WHEN s.kind = 'gauge' THEN t + 30 ELSE NULL END,
                   4
            FROM telemetry_series s, generate_series(%s::bigint, %s::bigint, 60) t
            """,
            [end - 30 * 60, end],
        )
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM telemetry_minuterollup")
        minute_rows = cursor.fetchone()[0]
    rules = []
    for i in range(services):
        svc = f"s{i:04d}"
        if i % 100 < 49:
            expr = (f'sum by (service) (rate(http_requests_total{{service="{svc}",code="500"}}[5m]))'
                    f' / sum by (service) (rate(http_requests_total{{service="{svc}"}}[5m])) > 0.05')  # fmt: skip
        elif i % 100 < 74:
            expr = f'max by (instance) (cpu_usage{{service="{svc}"}}) > 0.9'
        elif i % 100 < 99:
            expr = f'avg_over_time(cpu_usage{{service="{svc}"}}[10m]) > 0.8'
        else:
            expr = 'sum by (service) (rate(http_requests_total{code="500"}[5m])) > 10'
        rules.append(AlertRule(name=f"Rule{i:04d}", group=f"g{i % 20}", expr=expr, labels={"severity": "warning"}))
    AlertRule.objects.bulk_create(rules)
    return {"minute_rows": minute_rows, "series": Series.objects.count(), "rules": AlertRule.objects.count()}


def _timed(fn, repeats: int):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, result, queries = [], None, 0
    for _ in range(repeats):
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - t)
        queries = len(ctx.captured_queries)
    return statistics.median(times), queries, result


def _inner(services: int, repeats: int) -> None:
    import datetime as dt

    import django

    django.setup()
    from rules.models import AlertRule
    from rules.services.evaluate import rules_evaluate
    from rules.services.results import rule_results

    end = int(time.time()) // 60 * 60
    info = _generate(services, end)
    now = dt.datetime.fromtimestamp(end + 45, tz=dt.UTC)
    first, first_q, report = _timed(lambda: rules_evaluate(now=now), 1)
    steady, steady_q, steady_report = _timed(lambda: rules_evaluate(now=now + dt.timedelta(seconds=1)), repeats)
    rules = list(AlertRule.objects.filter(enabled=True))
    results_s, results_q, _ = _timed(lambda: rule_results(rules=rules, now=now), repeats)
    rows = [
        ["first pass (alerts fire)", round(first, 3), first_q, report.fired, "≤ 2 s"],
        ["steady pass (no change)", round(steady, 3), steady_q, steady_report.fired, "≤ 2 s"],
        ["results only (fetch + PromQL)", round(results_s, 3), results_q, "", ""],
    ]
    extra = {"errors": report.errors}
    print(json.dumps({**info, "rows": rows, "extra": extra}))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--inner":
        _inner(int(sys.argv[2]), int(sys.argv[3]))
