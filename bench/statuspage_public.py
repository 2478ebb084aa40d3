"""Public status page throughput: /status/ and summary.json from gunicorn (the WSGI snapshot fast path,
as `make run` serves it) side by side with nginx (Debian package) serving the same snapshot files.

Goal (issue 7): >= 5,000 requests/s and p99 <= 50 ms at 100 connections on the 2-core machine.
gunicorn on PostgreSQL, wrk 100 connections / 2 threads for 15 s per target (5 s with --quick).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.support import free_port, gunicorn_stack, wrk

SEED = """
from datetime import timedelta
from django.utils import timezone
from slo.models import Service
from statuspage.demo import statuspage_demo_seed
from statuspage.models import Component
from statuspage.services import sync_run
from incidents.services import incident_create, status_update_post
for name in ("checkout", "payments-api", "search", "notifications"):
    Service.objects.get_or_create(name=name)
statuspage_demo_seed()
now = timezone.now()
checkout = Component.objects.get(name="Checkout")
incident = incident_create(title="Slow checkout", actor="bench", now=now - timedelta(minutes=20),
                           components=[(checkout, "degraded_performance")])
status_update_post(incident_id=incident.pk, body="We are looking into slow checkouts.", visibility="public",
                   actor="bench", now=now - timedelta(minutes=10), status="investigating")
print(sync_run(now=timezone.now()))
"""
PATHS = ("/status/", "/status/api/v2/summary.json")
HELLO = """def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"hello"]
"""


def _hello_gunicorn(work: Path) -> tuple[subprocess.Popen, str]:
    """The ceiling: a five-byte WSGI app in the same gunicorn configuration (3 workers x 4 threads)."""
    import sys

    (work / "hello_wsgi.py").write_text(HELLO)
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "hello_wsgi:app",
            "--config",
            "python:sre.gunicorn_conf",
            "--pythonpath",
            str(work),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
        ],
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return process, _wait(f"http://127.0.0.1:{port}", "/", process)


def _wait(url: str, path: str, process: subprocess.Popen) -> str:
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(url + path, timeout=1)
            return url
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"{url} did not start") from None
            time.sleep(0.1)


def _nginx(root: Path, work: Path) -> tuple[subprocess.Popen, str]:
    from statuspage.nginx import standalone_config

    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    port = free_port()
    conf = work / "nginx.conf"
    conf.write_text(standalone_config(root=root, port=port, workdir=work, workers=2))
    process = subprocess.Popen([binary, "-c", str(conf), "-p", str(work)], stderr=subprocess.DEVNULL)
    return process, _wait(f"http://127.0.0.1:{port}", "/status/", process)


def run(*, quick: bool) -> dict:
    seconds = 5 if quick else 15
    connections = 100
    rows, extra = [], {}
    env = {"SRE_STATUSPAGE_SYNC_ON_CHANGE": "0", "CELERY_TASK_ALWAYS_EAGER": "1"}
    with gunicorn_stack(db_name="sre_bench_statuspage", workers=3, extra_env=env) as stack:
        stack.manage("shell", "-c", SEED)
        root = stack.var_dir / "status-snapshot"
        work = Path(tempfile.mkdtemp(prefix="sre-bench-nginx-"))
        processes = []
        try:
            nginx, nginx_url = _nginx(root, work)
            processes.append(nginx)
            hello, hello_url = _hello_gunicorn(work)
            processes.append(hello)
            results = {}
            for server, base, paths in (
                ("gunicorn", stack.url, PATHS),
                ("nginx", nginx_url, PATHS),
                ("gunicorn hello-world ceiling", hello_url, ("/",)),
            ):
                for path in paths:
                    wrk(base + path, seconds=1, connections=connections)  # warm up
                    result = wrk(base + path, seconds=seconds, connections=connections)
                    results[(server, path)] = result
                    rows.append(
                        [
                            f"{server} GET {path}",
                            round(result.requests_per_second, 1),
                            result.p50_ms,
                            result.p95_ms,
                            result.p99_ms,
                            result.requests,
                            result.errors,
                        ]
                    )
            for path in PATHS:
                g, n = results[("gunicorn", path)], results[("nginx", path)]
                extra[f"nginx/gunicorn ratio {path}"] = round(n.requests_per_second / g.requests_per_second, 2)
                extra[f"gunicorn {path} meets goal (>=5000 req/s, p99<=50 ms)"] = (
                    g.requests_per_second >= 5000 and g.p99_ms <= 50
                )
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=10)
            shutil.rmtree(work, ignore_errors=True)
    return {
        "title": f"Public status page: gunicorn (3 workers x 4 threads, snapshot fast path) vs nginx (2 workers), "
        f"wrk {connections} connections, {seconds} s each",
        "columns": ["target", "req/s", "p50 ms", "p95 ms", "p99 ms", "requests", "errors"],
        "rows": rows,
        "extra": extra,
    }
