"""Main pages under load: req/s and p50/p95/p99 of every page an on-call engineer opens, on a month of history.

gunicorn as deployed (deploy/: gthread, 4 threads a worker, PostgreSQL, the Django cache on Redis), with 2 workers for
this machine's 2 cores, and ``manage.py bench_dataset``'s data set (30 days, 100 services, 1,000 SLOs with snapshots
every minute over the last day and every 15 min before, 500 open alert groups, 1,000 incidents with timelines and
updates, status components), 10 sessions signed in (5 admin, 5 viewer sign-ins, taking turns request by request); wrk
with 50 connections for 20 s per page (5 s with --quick). Detail pages rotate over 20 rows each. Goal (issue 18): p95
<= 200 ms on every page. wrk gives up on a request after 10 s: those count as errors, not in the percentiles.

``BENCH_PAGES=overview,alerts`` runs only the pages named (keys in PAGES). The cache is Redis on 127.0.0.1:6379
(database 7, emptied first; ``BENCH_CACHE_URL`` names another); ``BENCH_CACHE_URL=local`` runs with ``make run``'s
per-process local-memory cache instead (each worker then builds and keeps its own copy of every page, and sessions are
read from the database).
"""

from __future__ import annotations

import json
import os
import statistics
import time
import urllib.request

from bench.http_baseline import _session_cookie
from bench.support import gunicorn_stack, wrk

GOAL_P95_MS = 200.0
SESSIONS = 10
# key -> (label, path or path pattern with {id}, id list key in the data set's answer)
PAGES = {
    "overview": ("Overview  /", "/", ""),
    "alerts": ("Alerts  /alerts/", "/alerts/", ""),
    "group": ("Alert group  /alerts/groups/<id>/", "/alerts/groups/{id}/", "groups"),
    "slos": ("SLO list  /slos/", "/slos/", ""),
    "slo": ("SLO detail  /slos/<id>/", "/slos/{id}/", "slos"),
    "incidents": ("Incidents  /incidents/", "/incidents/", ""),
    "incident": ("Incident detail  /incidents/<id>/", "/incidents/{id}/", "incidents"),
    "statuspage": ("Status page admin  /statuspage/", "/statuspage/", ""),
}


def _rotation(paths: list[str], cookies: list[str]) -> str:
    """A wrk script that sends each connection's requests round the ``paths``, each as one of ``cookies``'
    sessions in turn (several people of two roles: everyone of a role shares a page, each has a session)."""
    quoted = ", ".join(json.dumps(p) for p in paths)
    sessions = ", ".join(json.dumps(c) for c in cookies)
    return f"""
local paths = {{{quoted}}}
local cookies = {{{sessions}}}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1], {{["Cookie"] = cookies[(n % #cookies) + 1]}})
end
"""


def _check(url: str, cookie: str) -> tuple[int, float]:
    """Five requests one after another first: the page answers 200 as itself (not the sign-in page); its size and
    the median time of one request alone (what the page costs without queueing behind 49 others)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    times, size = [], 0
    for _ in range(5):
        began = time.monotonic()
        with urllib.request.urlopen(request, timeout=120) as response:
            size = len(response.read())
            if response.status != 200 or "/accounts/login" in response.url:
                raise RuntimeError(f"{url} answered {response.status} at {response.url}")
        times.append(time.monotonic() - began)
    return size, statistics.median(times)


def run(*, quick: bool) -> dict:
    seconds = 5 if quick else 20
    connections = 50
    wanted = [k for k in os.environ.get("BENCH_PAGES", "").split(",") if k] or list(PAGES)
    rows, extra = [], {"load average at start": " ".join(f"{v:.1f}" for v in os.getloadavg())}
    cache_url = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/7")
    extra_env = {} if cache_url == "local" else {"CACHE_URL": cache_url}
    if extra_env:
        import redis

        redis.Redis.from_url(cache_url).flushdb()
    extra["cache"] = cache_url if extra_env else "local memory, per worker"
    with gunicorn_stack(db_name="sre_bench_pages", workers=2, extra_env=extra_env) as stack:
        began = time.monotonic()
        answer = json.loads(stack.manage("bench_dataset").strip().splitlines()[-1])
        extra["data set built in"] = f"{time.monotonic() - began:.0f} s"
        users = answer["users"]
        # SESSIONS sign-ins, half admins and half viewers (each a session of its own); the first is an admin's
        cookies = [
            _session_cookie(stack.url, users["admin" if n % 2 == 0 else "viewer"], users["password"])
            for n in range(SESSIONS)
        ]
        cookie = cookies[0]
        for key in wanted:
            label, pattern, ids = PAGES[key]
            paths = [pattern.format(id=i) for i in answer[ids]] if ids else [pattern]
            try:
                size, first = _check(stack.url + paths[0], cookie)
                result = wrk(
                    stack.url + paths[0],
                    seconds=seconds,
                    connections=connections,
                    script=_rotation(paths, cookies),
                )
            except (OSError, RuntimeError) as exc:  # one page failing must not hide the others
                rows.append([label, 0.0, "-", "-", "-", "-", "-", f"failed: {type(exc).__name__}: {exc}"[:60], "-"])
                print(f"  {label}: failed: {exc}", flush=True)
                continue
            row = [
                label,
                round(result.requests_per_second, 1),
                result.p50_ms,
                result.p95_ms,
                result.p99_ms,
                result.errors,
                round(first * 1000, 1),
                "yes" if result.requests and not result.errors and result.p95_ms <= GOAL_P95_MS else "NO",
                f"{size / 1024:.0f} KiB",
            ]
            rows.append(row)
            print(f"  {label}: {row[1:]}", flush=True)
    extra["load average at end"] = " ".join(f"{v:.1f}" for v in os.getloadavg())
    extra["load"] = (
        f"wrk -t2 -c50, {SESSIONS} signed-in sessions (half admin, half viewer) in turn; "
        "detail pages rotate over 20 rows"
    )
    return {
        "title": f"Pages: gunicorn (2 workers x 4 threads) on PostgreSQL, cache {extra['cache']}, 1,000 SLOs / "
        f"500 open groups / 1,000 incidents, wrk {connections} connections, {seconds} s each",
        "columns": ["page", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "alone ms", "p95<=200", "size"],
        "rows": rows,
        "extra": extra,
    }
