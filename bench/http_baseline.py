"""HTTP baseline: requests/s and p50/p95/p99 for /healthz, the Overview page and an authenticated API list.

gunicorn (as `make run` starts it) on PostgreSQL, wrk with 50 connections for 20 s per endpoint (5 s with --quick).
"""

from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request

from bench.support import gunicorn_stack, wrk


def _session_cookie(base: str, username: str, password: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/accounts/login/").read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, "username": username, "password": password})
    opener.open(urllib.request.Request(base + "/accounts/login/", data=form.encode(), headers={"Referer": base}))
    session = next(c.value for c in jar if c.name == "sessionid")
    return f"sessionid={session}"


def run(*, quick: bool) -> dict:
    seconds = 5 if quick else 20
    connections = 50
    rows = []
    with gunicorn_stack(db_name="sre_bench_http", workers=3) as stack:
        stack.manage("seed_demo")
        token = stack.manage("create_api_token", "--user", "demo-admin", "--scopes", "read").strip()
        cookie = _session_cookie(stack.url, "demo-admin", "sre-demo")
        targets = [
            ("GET /healthz", "/healthz", {}),
            ("GET / (Overview, session)", "/", {"Cookie": cookie}),
            ("GET /api/v1/tokens/ (bearer)", "/api/v1/tokens/", {"Authorization": f"Bearer {token}"}),
        ]
        for label, path, headers in targets:
            result = wrk(stack.url + path, seconds=seconds, connections=connections, headers=headers)
            rows.append(
                [
                    label,
                    round(result.requests_per_second, 1),
                    result.p50_ms,
                    result.p95_ms,
                    result.p99_ms,
                    result.requests,
                    result.errors,
                ]
            )
    return {
        "title": f"HTTP baseline: gunicorn (3 workers x 4 threads) on PostgreSQL, wrk {connections} connections, "
        f"{seconds} s each",
        "columns": ["endpoint", "req/s", "p50 ms", "p95 ms", "p99 ms", "requests", "errors"],
        "rows": rows,
    }
