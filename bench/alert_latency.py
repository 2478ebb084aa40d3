"""Alert latency: Alertmanager webhook in → PagerDuty request out (group_wait 0), vs a real Alertmanager.

Our side: gunicorn + PostgreSQL + a Celery worker (Redis broker) with the routing tree
``group_by: [alertname], group_wait: 0`` to a PagerDuty receiver whose base URL is a loopback HTTPS stub
driven by the real ``pagerduty`` client. The first attempt of each notification is claimed in the intake
transaction and made by the gunicorn worker that wrote it, right after commit (``alerts.relay``); the Celery
worker runs the tick, retries and whatever the relay hands on. The load is Alertmanager-shaped webhooks
(``version: "4"``) of 10 alerts each (one group per webhook, as Alertmanager batches a group), paced at 100
and 1,000 alerts/s.
Latency = PagerDuty request received − webhook sent, per group.

Alertmanager side, same run and same tree: a real ``prometheus-alertmanager`` gets the same alerts on
``/api/v2/alerts`` (10 per call) and delivers to a webhook receiver; latency = webhook received − alerts
posted. The ratio ours/Alertmanager is printed for p50, p99 and throughput.

The per-routing-key rate limit (100 events/min by default) is turned off for the run
(SRE_ALERTS_PAGERDUTY_RATE=0), since every group here goes to one key, 6,000 events a minute at 1,000 alerts/s.
(It used to be raised to 1,000,000 instead; a finite limit that high makes every claim read up to a minute of
ledger rows for that key, about 1.7 ms of PostgreSQL per claim with 1,500 rows in the window.)
Each group also runs the incidents auto-open policy hook (the ``ALERT_GROUP_HOOKS`` contract) after commit: it is
part of the measured pipeline.

After each rate's new alerts, the same webhooks are sent again at the same rate (Alertmanager delivers at least
once and re-sends a group's alerts on every ``group_interval``): nothing is new, so nothing may page (counted, on
both sides), and the latency is the response time of our webhook and of Alertmanager's API.

Webhooks that reach a web worker while its intake transaction is being written share the next one
(``alerts.combine``; the mean number of webhooks per transaction is printed; ``SRE_ALERTS_COMBINE=0`` turns it
off for comparison).

CPU per group: CPU time used over the phase by every process of the side (``bench.support.CpuMeter`` over
``/proc``), divided by the groups sent. Ours: gunicorn's process tree, the Celery workers, every ``postgres`` and
``redis-server`` process, and the bench process itself (load and the PagerDuty stub); Alertmanager's: its process
and the bench process (load and the webhook receiver).

Senders keep their connections alive (as Alertmanager's Go client does) on both sides; the PagerDuty stub
answers HTTP/1.1 with keep-alive. The worker is a prefork worker with 3 children by default
(``BENCH_ALERTS_POOL`` = prefork | threads | solo, ``BENCH_ALERTS_CONCURRENCY``); gunicorn runs 2 workers as
``make run`` does (``BENCH_ALERTS_WEB_WORKERS``). Everything, load generator included, shares the machine's
cores: report the load average with the figures.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.support import ROOT, CpuMeter, free_port, gunicorn_stack

PER_WEBHOOK = 10
POOL = os.environ.get("BENCH_ALERTS_POOL", "prefork")
CONCURRENCY = int(os.environ.get("BENCH_ALERTS_CONCURRENCY", "3"))
WEB_WORKERS = int(os.environ.get("BENCH_ALERTS_WEB_WORKERS", "2"))  # as ``make run`` (serve --web-workers)


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


class _Recorder:
    """Arrival times by group name (alertname), for both sides."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.arrivals: dict[str, float] = {}

    def seen(self, name: str) -> None:
        now = time.monotonic()
        with self.lock:
            self.arrivals.setdefault(name, now)


def _am_webhook_server(recorder: _Recorder) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if body.get("status") == "firing":
                recorder.seen(body["groupLabels"].get("alertname", ""))
            self.send_response(200)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/hook"


_local = threading.local()


def _post(url: str, body: bytes, headers: dict[str, str]) -> bool:
    """POST on this thread's kept-alive connection (as Alertmanager's Go client and any real sender do),
    reconnecting once if the server closed it; whether it was answered 2xx. Errors are swallowed: a lost request
    is a missing arrival."""
    parts = urllib.parse.urlsplit(url)
    for _ in range(2):
        connection = getattr(_local, "connections", {}).get(parts.netloc)
        if connection is None:
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            _local.__dict__.setdefault("connections", {})[parts.netloc] = connection
        try:
            connection.request("POST", parts.path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            return 200 <= response.status < 300
        except (OSError, http.client.HTTPException):
            connection.close()
            del _local.connections[parts.netloc]
    return False


def _pace(send, *, rate: float, seconds: float, prefix: str) -> dict[str, float]:
    """Call ``send(name)`` for one group every 1/(rate/PER_WEBHOOK) s; returns send times by name."""
    interval = PER_WEBHOOK / rate
    count = int(seconds / interval)
    sent: dict[str, float] = {}
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=32) as pool:
        for index in range(count):
            target = start + index * interval
            delay = target - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            name = f"{prefix}{index:06d}"
            sent[name] = time.monotonic()
            pool.submit(send, name)
    return sent


def _result(sent: dict[str, float], arrivals: dict[str, float], *, wait: float, meter: CpuMeter | None) -> dict:
    deadline = time.monotonic() + wait
    while len([n for n in sent if n in arrivals]) < len(sent) and time.monotonic() < deadline:
        time.sleep(0.1)
    cpu = meter.end() if meter else {}
    latencies = [(arrivals[n] - t) * 1000 for n, t in sent.items() if n in arrivals]
    delivered = [arrivals[n] for n in sent if n in arrivals]
    span = (max(delivered) - min(sent.values())) if delivered else float("nan")
    return {
        "groups": len(sent),
        "delivered": len(latencies),
        "p50": _percentile(latencies, 50),
        "p99": _percentile(latencies, 99),
        "mean": statistics.fmean(latencies) if latencies else float("nan"),
        "alerts_per_s": len(latencies) * PER_WEBHOOK / span if delivered else 0.0,
        # CPU milliseconds per group (one webhook of PER_WEBHOOK alerts), by kind of process, over the phase
        "cpu_ms": {kind: seconds * 1000 / len(sent) for kind, seconds in sorted(cpu.items())},
    }


def _alerts(name: str) -> list[dict]:
    return [
        {
            "labels": {"alertname": name, "instance": f"host-{i}", "severity": "critical"},
            "annotations": {"summary": "x"},
        }
        for i in range(PER_WEBHOOK)
    ]


def _run_ours(stack, token: str, *, rate: float, seconds: float, stub, prefix: str, meter=None, again=False) -> dict:
    """Webhooks of new alerts; latency until their PagerDuty request. ``again``: the same webhooks as the phase
    with this prefix, re-delivered (as Alertmanager does at least once and on every ``group_interval``): there
    is nothing new to page, so latency is the webhook's response time, and ``pages`` counts what still paged."""
    answered, paged = _Recorder(), _Recorder()
    stub.on_event = lambda body: paged.seen(body.get("payload", {}).get("class", ""))

    def send(name: str) -> None:
        alerts = [{**a, "status": "firing", "startsAt": "2026-01-01T00:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                   "generatorURL": "", "fingerprint": ""} for a in _alerts(name)]  # fmt: skip
        body = {"version": "4", "groupKey": name, "truncatedAlerts": 0, "status": "firing", "receiver": "pd",
                "groupLabels": {"alertname": name}, "commonLabels": {}, "commonAnnotations": {},
                "externalURL": "http://am", "alerts": alerts}  # fmt: skip
        if _post(stack.url + "/api/v1/alerts/alertmanager", json.dumps(body).encode(),
                 {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}):  # fmt: skip
            answered.seen(name)

    before = _intake_transactions(stack.url)
    if meter:
        meter.begin()
    sent = _pace(send, rate=rate, seconds=seconds, prefix=prefix)
    if not again:
        result = _result(sent, paged.arrivals, wait=240, meter=meter)
    else:
        result = {**_result(sent, answered.arrivals, wait=60, meter=meter), "pages": len(paged.arrivals)}
    after = _intake_transactions(stack.url)
    transactions = after[1] - before[1]
    result["webhooks_per_transaction"] = (after[0] - before[0]) / transactions if transactions else float("nan")
    return result


def _intake_transactions(base: str) -> tuple[float, float]:
    """(webhooks, transactions) written so far by the web workers' intake (``alerts.combine``), from /metrics."""
    with urllib.request.urlopen(base + "/metrics", timeout=30) as response:
        text = response.read().decode()
    totals = {}
    for suffix in ("sum", "count"):
        match = re.search(rf"^sre_alert_intake_webhooks_per_transaction_{suffix} (\S+)$", text, re.MULTILINE)
        totals[suffix] = float(match.group(1)) if match else 0.0
    return totals["sum"], totals["count"]


def _run_alertmanager(
    base: str, recorder: _Recorder, *, rate: float, seconds: float, prefix: str, meter=None, again=False
) -> dict:
    """As ``_run_ours`` for Alertmanager: alerts posted to its API; latency until its webhook, or with ``again``
    the API's response time to the same alerts posted once more."""
    answered = _Recorder()
    before = set(recorder.arrivals)

    def send(name: str) -> None:
        if _post(base + "/api/v2/alerts", json.dumps(_alerts(name)).encode(), {"Content-Type": "application/json"}):
            answered.seen(name)

    if meter:
        meter.begin()
    sent = _pace(send, rate=rate, seconds=seconds, prefix=prefix)
    if not again:
        return _result(sent, recorder.arrivals, wait=240, meter=meter)
    result = _result(sent, answered.arrivals, wait=60, meter=meter)
    return {**result, "pages": len(set(recorder.arrivals) - before)}


AM_CONFIG = """
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 0s
  group_interval: 5m
  repeat_interval: 4h
receivers:
  - name: hook
    webhook_configs:
      - url: {url}
        send_resolved: false
"""

OUR_CONFIG = """
route:
  receiver: pd
  group_by: [alertname]
  group_wait: 0s
  group_interval: 5m
  repeat_interval: 4h
"""


def run(*, quick: bool) -> dict:
    sys.path.insert(0, str(ROOT))
    from tests.alerts.pagerduty_stub import PagerDutyStub  # the same stub the tests use

    seconds = 3 if quick else 5
    # 10/s shows the unqueued latency; 100 and 1,000 are the rates. BENCH_ALERTS_RATES adds others (e.g.
    # "10,100,1000,2000" to see where each side stops keeping up).
    rates = tuple(int(r) for r in os.environ.get("BENCH_ALERTS_RATES", "10,100,1000").split(","))
    stub = PagerDutyStub()
    original = stub._answer

    def answer(path, body):
        status, data = original(path, body)
        if status == 202 and body.get("event_action") == "trigger" and getattr(stub, "on_event", None):
            stub.on_event(body)
        return status, data

    stub._answer = answer
    rows: list[list] = []
    extra: dict = {}
    env = {
        "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13"),
        "SRE_ALERTS_CA_FILE": str(stub.cert),
        "SRE_ALERTS_ALLOW_PRIVATE_TARGETS": "1",
        "SRE_ALERTS_PAGERDUTY_RATE": os.environ.get("BENCH_ALERTS_PAGERDUTY_RATE", "0"),
    }
    try:
        with gunicorn_stack(db_name="bench_alert_latency", workers=WEB_WORKERS, extra_env=env) as stack:
            stack.manage("ensure_admin")
            token = stack.manage("create_api_token", "--user", "admin", "--scopes", "ingest,read,write").strip()
            token = token.splitlines()[-1]
            _api(stack.url, token, "/api/v1/alerts/receivers", {"name": "pd", "kind": "pagerduty", "url": stub.url,
                                                                 "routing_key": "BENCHROUTINGKEY"})  # fmt: skip
            _api(stack.url, token, "/api/v1/alerts/routes/import", {"yaml": OUR_CONFIG})
            workers = _start_workers(stack.env)
            subprocess.run(["redis-cli", "-n", env["CELERY_BROKER_URL"].rsplit("/", 1)[-1], "FLUSHDB"],
                           capture_output=True, check=False)  # fmt: skip
            time.sleep(4)
            am_recorder = _Recorder()
            am_server, hook_url = _am_webhook_server(am_recorder)
            am_process, am_base, am_dir = _start_alertmanager(hook_url)
            try:
                # Warm up both before measuring: every gunicorn thread and worker process opens its database,
                # broker and PagerDuty connections and loads its caches once.
                # A short burst first, so concurrent requests open every pooled connection too.
                _run_ours(stack, token, rate=400, seconds=1, stub=stub, prefix="burst-")
                _run_ours(stack, token, rate=100, seconds=3, stub=stub, prefix="warm-")
                _run_alertmanager(am_base, am_recorder, rate=400, seconds=1, prefix="burst-")
                _run_alertmanager(am_base, am_recorder, rate=100, seconds=3, prefix="warm-")
                # CPU per group by kind of process: ours is gunicorn's tree, the Celery workers, every postgres
                # and redis-server process, and this one (load, PagerDuty stub); theirs is Alertmanager and this one
                # (load, webhook receiver).
                our_meter = CpuMeter(
                    roots={"web": [stack.pid], "worker": [w.pid for w in workers]},
                    match={"postgres": r"^postgres:", "redis": r"^redis-server"},
                )
                their_meter = CpuMeter(roots={"alertmanager": [am_process.pid]})
                for phase, rate in enumerate(rates):
                    ours = _run_ours(
                        stack, token, rate=rate, seconds=seconds, stub=stub, prefix=f"o{phase}-{rate}-", meter=our_meter
                    )
                    theirs = _run_alertmanager(
                        am_base, am_recorder, rate=rate, seconds=seconds, prefix=f"a{phase}-{rate}-", meter=their_meter
                    )
                    ours_again = _run_ours(
                        stack, token, rate=rate, seconds=seconds, stub=stub, prefix=f"o{phase}-{rate}-",
                        meter=our_meter, again=True,
                    )  # fmt: skip
                    theirs_again = _run_alertmanager(
                        am_base, am_recorder, rate=rate, seconds=seconds, prefix=f"a{phase}-{rate}-",
                        meter=their_meter, again=True,
                    )  # fmt: skip
                    for who, r in (
                        ("ours: new, webhook → PagerDuty", ours),
                        ("Alertmanager: new, API → webhook", theirs),
                        ("ours: re-delivered, response", ours_again),
                        ("Alertmanager: re-posted, response", theirs_again),
                    ):
                        rows.append([f"{rate}/s", who, r["groups"], r["delivered"], round(r["p50"], 1),
                                     round(r["p99"], 1), round(r["alerts_per_s"], 1),
                                     round(sum(r["cpu_ms"].values()), 2)])  # fmt: skip
                        extra[f"CPU ms per group by process @{rate}/s, {who}"] = ", ".join(
                            f"{kind} {ms:.2f}" for kind, ms in r["cpu_ms"].items()
                        )
                    extra[f"webhooks per intake transaction @{rate}/s, new / re-delivered"] = (
                        f"{ours['webhooks_per_transaction']:.2f} / {ours_again['webhooks_per_transaction']:.2f}"
                    )
                    extra[f"pages from the re-delivery @{rate}/s (must be 0), ours / Alertmanager"] = (
                        f"{ours_again['pages']} / {theirs_again['pages']}"
                    )
                    extra[f"ratio p50 ours/AM @{rate}/s"] = (
                        round(ours["p50"] / theirs["p50"], 2) if theirs["p50"] else None
                    )
                    extra[f"ratio p99 ours/AM @{rate}/s"] = (
                        round(ours["p99"] / theirs["p99"], 2) if theirs["p99"] else None
                    )
                    extra[f"ratio throughput ours/AM @{rate}/s"] = (
                        round(ours["alerts_per_s"] / theirs["alerts_per_s"], 2) if theirs["alerts_per_s"] else None
                    )
                    extra[f"p99 goal (≤200 ms) @{rate}/s"] = "met" if ours["p99"] <= 200 else "NOT met"
            finally:
                am_process.terminate()
                am_process.wait(timeout=10)
                am_dir.cleanup()
                am_server.shutdown()
                for worker in workers:
                    worker.terminate()
                for worker in workers:
                    try:
                        worker.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        worker.kill()
    finally:
        stub.close()
    extra["seconds per rate"] = seconds
    extra["alerts per webhook / group"] = PER_WEBHOOK
    return {
        "title": "Alert latency: webhook in → PagerDuty out (ours) vs a real Alertmanager (API in → webhook out)",
        "columns": ["rate", "system", "groups", "delivered", "p50 ms", "p99 ms", "alerts/s", "CPU ms/group"],
        "rows": rows,
        "extra": extra,
    }


def _start_workers(env: dict) -> list[subprocess.Popen]:
    """The Celery side: ``prefork`` (one worker, CONCURRENCY children), ``threads``, or ``solo`` (CONCURRENCY
    separate single-task worker processes: no parent/child hand-off per task)."""
    common = ["--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    if POOL == "solo":
        commands = [
            [sys.executable, "-m", "celery", "-A", "sre", "worker", "--pool", "solo", "--hostname", f"bench{i}@%h",
             *common]
            for i in range(CONCURRENCY)
        ]  # fmt: skip
    else:
        commands = [
            [sys.executable, "-m", "celery", "-A", "sre", "worker", "--pool", POOL, "--concurrency", str(CONCURRENCY),
             *common]
        ]  # fmt: skip
    return [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for command in commands
    ]


def _api(base: str, token: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


def _start_alertmanager(hook_url: str):
    folder = tempfile.TemporaryDirectory(prefix="bench-am-")
    path = Path(folder.name)
    (path / "am.yml").write_text(AM_CONFIG.format(url=hook_url))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        ["prometheus-alertmanager", f"--config.file={path / 'am.yml'}", f"--storage.path={path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", f"--web.external-url={base}",
         "--log.level=error"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(base + "/-/ready", timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("alertmanager did not start") from None
            time.sleep(0.2)
    return process, base, folder
