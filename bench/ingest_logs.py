"""Log ingest (NDJSON batches of 1,000 through gunicorn into the PostgreSQL store) and search latency.

Part 1 pushes pre-built NDJSON batches from several client threads for a fixed time and prints
lines/s and request latency. Part 2 fills the table to 10 million lines (1 million with --quick,
``BENCH_LOG_LINES=100000000`` for 100 M: 58 days of lines, 50 ms apart) with generated rows straight in
PostgreSQL (loading 10 M lines over HTTP would take minutes and measure nothing new), then times
``GET /api/v1/logs/search`` (p50/p95) for every query shape: common words, a rare word (1 line in 100,000), a
word on 1 line in 500, a request id on 5 lines, a trace id on 1 line, rare words with filters, no match, filters
alone, a later page.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import random
import subprocess
import threading
import time
import urllib.parse
from urllib.parse import urlsplit

from bench.support import gunicorn_stack

BATCH = 1_000
CLIENTS = 6
WORDS = (
    "timeout", "upstream", "payment", "cache", "refresh", "user", "login", "order", "shipped", "retry",
    "connection", "reset", "queue", "worker", "started", "finished", "failed", "slow", "query", "index",
    "rebuilt", "token", "expired",
)  # fmt: skip
SERVICES = ("checkout", "payments-api", "search", "notifications")
RARE_TRACE = hashlib.md5(b"424242").hexdigest()  # the fill's trace id of line 424242 (md5(g::text))


def _batches(count: int, *, now: float) -> list[bytes]:
    rng = random.Random(1)
    out = []
    for b in range(count):
        lines = []
        for i in range(BATCH):
            lines.append(json.dumps({
                "timestamp": now - rng.random() * 3600, "service": SERVICES[i % 4],
                "level": ("info", "info", "info", "warning", "error")[i % 5],
                "message": " ".join(rng.choice(WORDS) for _ in range(8)) + f" request {b}-{i}",
                "attributes": {"request_id": f"{b}-{i}", "status": 200 + (i % 5) * 100}, "trace_id": f"{b:08x}{i:08x}",
            }))  # fmt: skip
        out.append(("\n".join(lines) + "\n").encode())
    return out


def _push(url: str, bodies: list[bytes], headers: dict, *, seconds: float, cycle: bool = False) -> dict:
    """Send ``bodies`` from CLIENTS threads until done or ``seconds`` pass; ``cycle`` starts over at the
    end (log lines carry no batch id, so a repeated body is simply more lines) so the run is time-bound."""
    parts = urlsplit(url)
    lock = threading.Lock()
    position = {"next": 0}
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.monotonic() + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        while time.monotonic() < deadline:
            with lock:
                index = position["next"]
                if index >= len(bodies):
                    if not cycle:
                        return
                    index = position["next"] = 0
                position["next"] += 1
            started = time.perf_counter()
            conn.request("POST", "/api/v1/logs", body=bodies[index], headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors.append(f"HTTP {response.status}")
            latencies.append(time.perf_counter() - started)

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    return {
        "lines_per_s": round(len(latencies) * BATCH / elapsed),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 1),
        "requests": len(latencies),
        "errors": len(errors),
    }


_FILL = """
INSERT INTO telemetry_logentry (timestamp, service, level, message, attributes, trace_id)
SELECT now() - (g * interval '{interval_ms} milliseconds'),
       (ARRAY['checkout','payments-api','search','notifications'])[1 + g %% 4],
       (ARRAY['info','info','info','warning','error'])[1 + g %% 5],
       (ARRAY{words})[1 + (g %% {n}) * 7 %% {n}] || ' ' || (ARRAY{words})[1 + (g %% {n}) * 13 %% {n}] || ' ' ||
       (ARRAY{words})[1 + (g %% {n}) * 31 %% {n}] || ' request ' || g || ' trace=' || md5(g::text) ||
       CASE WHEN g %% 100000 = 0 THEN ' needle' ELSE '' END ||
       CASE WHEN g %% 500 = 0 THEN ' haystack' ELSE '' END ||
       CASE WHEN g %% 200000 = 777 AND g < 1000000 THEN ' req-7f3a9c' ELSE '' END,
       jsonb_build_object('request_id', g), to_hex(g)
FROM generate_series({start}, {end}) AS g
"""


_COVER = """
import datetime as dt
from telemetry.partitions import LOGS, is_partitioned, partitions_cover
newest = dt.datetime.now(dt.UTC).date()
days = {{newest - dt.timedelta(days=n) for n in range({days} + 2)}}
print(partitions_cover(LOGS, days=days) if is_partitioned(LOGS) else 0)
"""


def _fill(stack, total: int, *, interval_ms: int = 50) -> float:
    """``total`` generated lines, one every ``interval_ms`` back from now; with day partitions (PostgreSQL), the
    days they cover get theirs first, as a bulk load should (else every line lands in the default partition)."""
    db_url = stack.env["DATABASE_URL"]
    words = "[" + ",".join(f"'{w}'" for w in WORDS) + "]"
    started = time.monotonic()
    stack.manage("shell", "-c", _COVER.format(days=int(total * interval_ms / 1000 / 86400)))
    chunk = 1_000_000
    statements = [
        _FILL.format(words=words, n=len(WORDS), start=start, end=min(total, start + chunk - 1), interval_ms=interval_ms)
        for start in range(1, total + 1, chunk)
    ]
    for pair in range(0, len(statements), 2):  # two sessions at a time: one a core
        running = [
            subprocess.Popen(["psql", db_url, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql.replace("%%", "%")])
            for sql in statements[pair : pair + 2]
        ]
        if any(process.wait() != 0 for process in running):
            raise RuntimeError("filling the log table failed")
    subprocess.run(["psql", db_url, "-q", "-c", "VACUUM ANALYZE telemetry_logentry"], check=True, capture_output=True)
    return time.monotonic() - started


_SIZE = """
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) FROM pg_inherits "
                   "WHERE inhparent = 'telemetry_logentry'::regclass")
    print(cursor.fetchone()[0] or "(not partitioned)")
"""


def _search_latency(url: str, token: str, params: dict, *, repeat: int) -> tuple[float, float, int]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    times, count = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        conn.request("GET", "/api/v1/logs/search?" + urllib.parse.urlencode(params),
                     headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        response = conn.getresponse()
        body = json.loads(response.read())
        times.append(time.perf_counter() - started)
        count = len(body.get("results", []))
    times.sort()
    return round(times[len(times) // 2] * 1000, 1), round(times[int(len(times) * 0.95)] * 1000, 1), count


def run(*, quick: bool) -> dict:
    seconds = 15 if quick else 60
    total = int(os.environ.get("BENCH_LOG_LINES") or (1_000_000 if quick else 10_000_000))  # 100 M: 100000000
    now = time.time()
    bodies = _batches(200 if quick else 600, now=now)
    rows, extra = [], {}
    with gunicorn_stack(db_name="bench_ingest_logs", workers=3) as stack:
        stack.manage("ensure_admin")
        token = stack.manage("create_api_token", "--user", "admin", "--scopes", "ingest,read").strip().splitlines()[-1]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
        _push(stack.url, bodies[:10], headers, seconds=60)  # warm-up
        ingest = _push(stack.url, bodies[10:], headers, seconds=seconds, cycle=True)
        rows.append(["ingest NDJSON x1000 (lines/s)", ingest["lines_per_s"], ingest["p50_ms"], ingest["p99_ms"],
                     ingest["requests"], ingest["errors"]])  # fmt: skip
        extra["fill seconds"] = round(_fill(stack, total), 1)
        extra["lines in store"] = f"{total:,} + the ingested ones"
        queries = {
            "no filter, newest 50": {},
            "q=timeout (common word)": {"q": "timeout"},
            "q=needle (rare word)": {"q": "needle"},
            "q=haystack (1 line in 500)": {"q": "haystack"},
            "q=req-7f3a9c (rare id, 5 lines)": {"q": "req-7f3a9c"},
            f"q={RARE_TRACE} (trace id, 1 line)": {"q": RARE_TRACE},
            "q=needle service=checkout (rare, filtered)": {"q": "needle", "service": "checkout"},
            "q=needle level=error (filtered, no match)": {"q": "needle", "level": "error"},
            "q=nosuchword (no match)": {"q": "nosuchword"},
            "q=payment retry (two words)": {"q": "payment retry"},
            "service=search level=error": {"service": "search", "level": "error"},
            "q=timeout service=checkout level=error": {"q": "timeout", "service": "checkout", "level": "error"},
            "q=timeout, page 20": {"q": "timeout", "page": 20},
        }
        for label, params in queries.items():
            _search_latency(stack.url, token, params, repeat=2)  # warm the cache
            p50, p95, count = _search_latency(stack.url, token, params, repeat=10 if quick else 30)
            rows.append([f"search: {label}", count, p50, p95, "", ""])
        extra["table size"] = stack.manage("shell", "-c", _SIZE).strip()
    extra["goal"] = ">= 30,000 lines/s ingest; search over 10 M (and 100 M) lines p95 <= 200 ms"
    return {
        "title": "Log ingest and search (PostgreSQL store)",
        "columns": ["case", "lines/s or hits", "p50 ms", "p95/p99 ms", "requests", "errors"],
        "rows": rows,
        "extra": extra,
    }
