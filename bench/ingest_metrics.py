"""Metric ingest through gunicorn + PostgreSQL vs a real Prometheus remote-write receiver, same payloads.

10,000 series (``bench_requests_total{service=s00..s99,code=c00..c99}``), batches of 1,000 samples;
every round gives each series a new timestamp and a higher cumulative value. The same pre-encoded
remote_write bodies go to our ``/api/v1/write`` and to Prometheus' ``/api/v1/write``
(``--web.enable-remote-write-receiver``); ours also gets the JSON form on ``/api/v1/metrics``.
Prints samples/s (2xx answers x 1,000, and the samples our answers counted as accepted), request latency
percentiles, the ours/Prometheus ratio, worker memory (RSS) at the start and end of the run, CPU per batch
and how many staged rollup rows were still waiting for the fold at the end.
"""

from __future__ import annotations

import http.client
import os
import struct
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import cramjam
import orjson

from bench.support import CpuMeter, free_port, gunicorn_stack

SERIES = 10_000
BATCH = 1_000
CLIENTS = 6
# gunicorn as ``make run`` starts it; BENCH_WORKERS / BENCH_THREADS try other shapes (3 x 4 measured best).
WORKERS = int(os.environ.get("BENCH_WORKERS", "3"))
THREADS = int(os.environ.get("BENCH_THREADS", "4"))


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _remote_write_bodies(*, rounds: int, t0: float) -> list[bytes]:
    """WriteRequests encoded by hand from pre-encoded label sets (the protobuf wire format, checked once
    against the library below), so thousands of bodies are built in seconds."""
    from telemetry.domain import remote_write

    labels = []
    for i in range(SERIES):
        series = remote_write.TimeSeries()
        series.labels.add(name="__name__", value="bench_requests_total")
        series.labels.add(name="code", value=f"c{i % 100:02d}")
        series.labels.add(name="service", value=f"s{i // 100:02d}")
        labels.append(series.SerializeToString())
    pack = struct.Struct("<d").pack

    def encode(value: float, ts_ms: int, i: int) -> bytes:
        sample = b"\x09" + pack(value) + b"\x10" + _varint(ts_ms)
        series = labels[i] + b"\x12" + _varint(len(sample)) + sample
        return b"\x0a" + _varint(len(series)) + series

    check = remote_write.WriteRequest()
    check.ParseFromString(encode(1.5, 1_700_000_000_000, 7))
    assert check.timeseries[0].samples[0].value == 1.5 and check.timeseries[0].labels[1].value == "c07"
    bodies = []
    for r in range(rounds):
        ts_ms = int((t0 + r) * 1000)
        for chunk in range(SERIES // BATCH):
            raw = b"".join(encode(float(r * 10 + i % 7), ts_ms, i) for i in range(chunk * BATCH, (chunk + 1) * BATCH))
            bodies.append(bytes(cramjam.snappy.compress_raw(raw)))
    return bodies


def _json_bodies(*, rounds: int, t0: float) -> list[bytes]:
    bodies = []
    for r in range(rounds):
        for chunk in range(SERIES // BATCH):
            samples = [
                {"metric": "bench_json_total", "labels": {"service": f"s{i // 100:02d}", "code": f"c{i % 100:02d}"},
                 "value": r * 10 + i % 7, "timestamp": t0 + r}
                for i in range(chunk * BATCH, (chunk + 1) * BATCH)
            ]  # fmt: skip
            bodies.append(orjson.dumps({"samples": samples}))
    return bodies


def _push(url: str, path: str, bodies: list[bytes], headers: dict, *, seconds: float) -> dict:
    """Send ``bodies`` in order from CLIENTS threads (keep-alive) until done or ``seconds`` pass."""
    parts = urlsplit(url)
    lock = threading.Lock()
    position = {"next": 0}
    latencies: list[float] = []
    errors: list[str] = []
    accepted: list[int] = []
    ok: list[int] = []
    deadline = time.monotonic() + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        while time.monotonic() < deadline:
            with lock:
                index = position["next"]
                if index >= len(bodies):
                    return
                position["next"] += 1
            started = time.perf_counter()
            try:
                conn.request("POST", path, body=bodies[index], headers=headers)
                response = conn.getresponse()
                answer = response.read()
                if response.status >= 300:
                    errors.append(f"HTTP {response.status}")
                else:
                    ok.append(1)
                    if answer[:1] == b"{":
                        accepted.append(orjson.loads(answer).get("accepted", 0))
            except (OSError, http.client.HTTPException) as exc:
                errors.append(type(exc).__name__)
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                continue
            latencies.append(time.perf_counter() - started)  # errors too: an error answer is still latency

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000, 1) if latencies else 0.0

    return {
        "requests": len(latencies), "errors": len(errors), "first_errors": errors[:3], "seconds": round(elapsed, 1),
        "samples_per_s": round(len(ok) * BATCH / elapsed), "p50_ms": pct(0.5), "p99_ms": pct(0.99),
        "accepted_per_s": round(sum(accepted) / elapsed) if accepted else None,
    }  # fmt: skip


def _worker_rss_mib(port: int) -> list[float]:
    """RSS of the gunicorn workers serving ``port`` (children of the master whose cmdline binds it)."""
    out = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if f"127.0.0.1:{port}" not in cmdline or "gunicorn" not in cmdline:
                continue
            children = (proc / "task" / proc.name / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out.append(round(int(line.split()[1]) / 1024, 1))
    return sorted(out)


def _pending_rows(db_url: str) -> int:
    """Rollup rows staged by ingest and not folded yet (telemetry.fold): how far the fold lags."""
    out = subprocess.run(["psql", db_url, "-tAc", "SELECT count(*) FROM telemetry_pendingrollup"],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    return int(out.strip() or 0)


class _Prometheus:
    def __enter__(self) -> str:
        self.tmp = tempfile.TemporaryDirectory(prefix="bench-prom-")
        port = free_port()
        config = Path(self.tmp.name) / "prometheus.yml"
        config.write_text("global:\n  scrape_interval: 1h\n")
        self.process = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={self.tmp.name}/data",
             f"--web.listen-address=127.0.0.1:{port}", "--web.enable-remote-write-receiver",
             "--storage.tsdb.retention.time=90d"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request("GET", "/-/ready")
                if conn.getresponse().status == 200:
                    return url
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("prometheus did not start")
            time.sleep(0.2)

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)
        self.tmp.cleanup()


def run(*, quick: bool) -> dict:
    seconds = 15 if quick else 60
    # More bodies than can be sent in the time at 160,000 samples/s, so the runs are time-bound
    # (the JSON bodies are ~15x larger, so fewer: that run may end early, which its seconds column shows).
    rounds = seconds * 16 + 10
    t0 = time.time() - rounds - 60
    rw_bodies = _remote_write_bodies(rounds=rounds, t0=t0)
    json_bodies = _json_bodies(rounds=min(rounds, 20 + seconds * 11), t0=t0)
    rw_headers = {"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
                  "X-Prometheus-Remote-Write-Version": "0.1.0"}  # fmt: skip
    rows, extra = [], {}
    with gunicorn_stack(
        db_name="bench_ingest_metrics", workers=WORKERS, extra_env={"GUNICORN_THREADS": str(THREADS)}
    ) as stack:
        stack.manage("ensure_admin")
        token = stack.manage("create_api_token", "--user", "admin", "--scopes", "ingest").strip().splitlines()[-1]
        auth = {"Authorization": f"Bearer {token}"}
        port = urlsplit(stack.url).port
        # Warm-up: the first round creates the 10,000 series (not timed).
        _push(stack.url, "/api/v1/write", rw_bodies[: SERIES // BATCH], {**rw_headers, **auth}, seconds=120)
        _push(stack.url, "/api/v1/metrics", json_bodies[: SERIES // BATCH],
              {"Content-Type": "application/json", **auth}, seconds=120)  # fmt: skip
        rss_start = _worker_rss_mib(port)
        meter = CpuMeter(roots={"gunicorn": [stack.pid]}, match={"postgres": r"^postgres:.* bench_ingest_metrics "})
        meter.begin()
        ours = _push(stack.url, "/api/v1/write", rw_bodies[SERIES // BATCH :], {**rw_headers, **auth}, seconds=seconds)
        cpu = meter.end()
        rss_end = _worker_rss_mib(port)
        meter.begin()
        ours_json = _push(stack.url, "/api/v1/metrics", json_bodies[SERIES // BATCH :],
                          {"Content-Type": "application/json", **auth}, seconds=seconds)  # fmt: skip
        cpu_json = meter.end()
        backlog = _pending_rows(stack.env["DATABASE_URL"])
        rows.append([f"ours: remote_write (gunicorn {WORKERS}x{THREADS}, PostgreSQL)", ours["samples_per_s"],
                     ours["accepted_per_s"], ours["p50_ms"], ours["p99_ms"], ours["requests"], ours["errors"],
                     ours["seconds"]])  # fmt: skip
        rows.append(["ours: JSON /api/v1/metrics", ours_json["samples_per_s"], ours_json["accepted_per_s"],
                     ours_json["p50_ms"], ours_json["p99_ms"], ours_json["requests"], ours_json["errors"],
                     ours_json["seconds"]])  # fmt: skip
        extra["staged rows not yet folded at the end of the JSON run"] = backlog
        extra["worker RSS MiB at start of the remote_write run"] = rss_start
        extra["worker RSS MiB at end of the remote_write run"] = rss_end
        extra["CPU ms per 1,000-sample remote_write batch (gunicorn, PostgreSQL incl. fold)"] = [
            round(cpu[k] / max(1, ours["requests"]) * 1000, 1) for k in ("gunicorn", "postgres")
        ]
        extra["CPU ms per 1,000-sample JSON batch (gunicorn, PostgreSQL incl. fold)"] = [
            round(cpu_json[k] / max(1, ours_json["requests"]) * 1000, 1) for k in ("gunicorn", "postgres")
        ]
        if ours["first_errors"] or ours_json["first_errors"]:
            extra["first errors"] = ours["first_errors"] + ours_json["first_errors"]
    with _Prometheus() as prom_url:
        _push(prom_url, "/api/v1/write", rw_bodies[: SERIES // BATCH], rw_headers, seconds=120)
        prom = _push(prom_url, "/api/v1/write", rw_bodies[SERIES // BATCH :], rw_headers, seconds=seconds)
        rows.append(["Prometheus 2.42 remote-write receiver", prom["samples_per_s"], "", prom["p50_ms"],
                     prom["p99_ms"], prom["requests"], prom["errors"], prom["seconds"]])  # fmt: skip
    if prom["first_errors"]:
        extra["Prometheus first errors"] = prom["first_errors"]
    ratio = ours["samples_per_s"] / prom["samples_per_s"] if prom["samples_per_s"] else 0.0
    extra["ratio ours/Prometheus (remote_write)"] = round(ratio, 3)
    extra["goal"] = ">= 100,000 samples/s with p99 <= 250 ms"
    extra["setup"] = f"{SERIES} series, {BATCH} samples/batch, {CLIENTS} client threads, {seconds}s per run"
    return {
        "title": "Metric ingest (samples/s, request latency)",
        "columns": ["target", "samples/s (2xx)", "accepted/s", "p50 ms", "p99 ms", "requests", "errors", "seconds"],
        "rows": rows,
        "extra": extra,
    }
