"""Sustained metric ingest: remote_write at a steady target rate (100,000 samples/s) for 10 minutes (issue 19 item 8).

The payloads are ``ingest_metrics``' (10,000 series ``bench_requests_total{service,code}``, batches of 1,000 samples,
each round a new timestamp one second later for every series). Client threads pace themselves to the target rate;
every 10 s the bench samples what was sent and accepted, the request latency of that interval, and how many staged
rollup rows wait for the fold (``telemetry_pendingrollup``): whether the backlog stays bounded. Meanwhile ten SLOs
over the same series are evaluated once a minute (``slo_evaluate_all`` in a ``manage.py`` process), and each
evaluation's duration says whether it stays on time (within its minute). ``BENCH_SUSTAINED_SECONDS`` and
``BENCH_SUSTAINED_RATE`` change the length and the target; ``--quick`` runs 60 s.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

from bench.ingest_metrics import BATCH, SERIES, THREADS, WORKERS, _pending_rows, _remote_write_bodies
from bench.support import ROOT, gunicorn_stack

CLIENTS = 8
SAMPLE_EVERY = 10.0
EVALUATE_EVERY = 60.0
SLOS = """
from django.utils import timezone
from slo.services import service_save, slo_save
for s in range(10):
    service = service_save(service=None, data={"name": f"bench-s{s}"})
    slo_save(slo=None, data={"service": service, "name": "availability", "target": "0.999", "sli_kind": "ratio",
        "sli": {"bad": f'bench_requests_total{{service=~"s{s}.", code=~"c9."}}',
                "total": f'bench_requests_total{{service=~"s{s}."}}'}})
"""
EVALUATE = """
import time
from django.utils import timezone
from slo.services import slo_evaluate_all
started = time.perf_counter()
slo_evaluate_all(now=timezone.now())
print(round(time.perf_counter() - started, 2))
"""


class _Bodies:
    """Remote-write bodies made a round at a time as the clients need them (10 minutes' worth would be ~60,000)."""

    def __init__(self, *, t0: float) -> None:
        self.t0, self.round, self.queue, self.lock = t0, 0, [], threading.Lock()

    def next(self) -> bytes:
        with self.lock:
            if not self.queue:
                self.queue = _remote_write_bodies(rounds=1, t0=self.t0 + self.round)
                self.round += 1
            return self.queue.pop(0)


def run(*, quick: bool) -> dict:
    seconds = 60 if quick else float(os.environ.get("BENCH_SUSTAINED_SECONDS", "600"))
    rate = float(os.environ.get("BENCH_SUSTAINED_RATE", "100000"))  # samples/s
    interval = BATCH / rate * CLIENTS  # each client's period between batches
    headers = {"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
               "X-Prometheus-Remote-Write-Version": "0.1.0"}  # fmt: skip
    t0 = time.time() - seconds * rate / SERIES - 120
    with gunicorn_stack(
        db_name="bench_ingest_sustained", workers=WORKERS, extra_env={"GUNICORN_THREADS": str(THREADS)}
    ) as stack:
        stack.manage("ensure_admin")
        token = stack.manage("create_api_token", "--user", "admin", "--scopes", "ingest").strip().splitlines()[-1]
        headers["Authorization"] = f"Bearer {token}"
        stack.manage("shell", "-c", SLOS)
        bodies = _Bodies(t0=t0)
        parts = urlsplit(stack.url)
        stats = {"ok": 0, "accepted": 0, "errors": 0, "latencies": []}
        lock = threading.Lock()
        stop = threading.Event()

        def client(offset: float) -> None:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            due = time.monotonic() + offset
            while not stop.is_set():
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)  # pacing to the target rate (a client behind schedule sends at once)
                due += interval
                body = bodies.next()
                started = time.perf_counter()
                try:
                    conn.request("POST", "/api/v1/write", body=body, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    good = response.status < 300
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                    good = False
                with lock:
                    stats["latencies"].append(time.perf_counter() - started)
                    if good:
                        stats["ok"] += 1
                    else:
                        stats["errors"] += 1

        evaluations: list[tuple[float, str]] = []

        def evaluator() -> None:
            while not stop.wait(EVALUATE_EVERY):
                at = time.monotonic() - begun
                out = subprocess.run([sys.executable, "manage.py", "shell", "-c", EVALUATE], cwd=ROOT, env=stack.env,
                                     capture_output=True, text=True, check=False)  # fmt: skip
                evaluations.append((round(at), (out.stdout.strip().splitlines() or [out.stderr[-200:]])[-1]))

        begun = time.monotonic()
        threads = [threading.Thread(target=client, args=(i * interval / CLIENTS,)) for i in range(CLIENTS)]
        threads.append(threading.Thread(target=evaluator))
        for t in threads:
            t.start()
        rows, last_ok = [], 0
        try:
            while time.monotonic() - begun < seconds:
                time.sleep(SAMPLE_EVERY)
                with lock:
                    ok, errors, latencies = stats["ok"], stats["errors"], sorted(stats["latencies"])
                    stats["latencies"] = []
                p99 = round(latencies[int(len(latencies) * 0.99)] * 1000) if latencies else 0
                rows.append([round(time.monotonic() - begun), round((ok - last_ok) * BATCH / SAMPLE_EVERY), p99,
                             errors, _pending_rows(stack.env["DATABASE_URL"])])  # fmt: skip
                last_ok = ok
                print(f"  t={rows[-1][0]}s samples/s={rows[-1][1]} p99={p99}ms errors={errors} "
                      f"pending={rows[-1][4]}", flush=True)  # fmt: skip
        finally:
            stop.set()
            for t in threads:
                t.join()
        drained_at, drained = time.monotonic(), _pending_rows(stack.env["DATABASE_URL"])
        while drained and time.monotonic() - drained_at < 120:
            time.sleep(1)
            drained = _pending_rows(stack.env["DATABASE_URL"])
    return {
        "title": f"Sustained remote_write at {rate:,.0f} samples/s for {seconds:.0f} s ({WORKERS} workers x {THREADS})",
        "columns": ["t s", "samples/s (2xx)", "p99 ms", "errors so far", "staged rows waiting"],
        "rows": rows,
        "extra": {
            "SLO evaluations (t s, seconds each)": evaluations,
            "after the load stopped": f"{drained} staged rows left after {time.monotonic() - drained_at:.0f} s",
            "setup": f"{SERIES} series, {BATCH} samples/batch, {CLIENTS} paced clients, every {SAMPLE_EVERY:.0f} s",
        },
    }
