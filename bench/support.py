"""Shared pieces for benchmarks: the stack under test (gunicorn on PostgreSQL), load with wrk, results.

A benchmark module in bench/ defines ``run(*, quick: bool) -> dict`` returning
``{"title": str, "columns": [...], "rows": [[...], ...], "extra": {...}}``; ``bench/run.py`` prints the
table and writes ``bench/results/<module>.json`` with the machine, commit and date.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")


def machine() -> dict:
    mem_kb = 0
    with contextlib.suppress(OSError), open("/proc/meminfo") as fh:
        mem_kb = int(fh.readline().split()[1])
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def commit() -> str:
    try:
        return subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True).strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write_result(name: str, result: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {
        "name": name,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": commit(),
        "machine": machine(),
        **result,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2))
    return path


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _psql(sql: str) -> None:
    subprocess.run(["psql", f"{PG_ADMIN_URL}/postgres", "-q", "-c", sql], check=True, capture_output=True)


@contextlib.contextmanager
def postgres_database(name: str) -> Iterator[str]:
    """A fresh PostgreSQL database for the benchmark, dropped afterwards; yields its DATABASE_URL."""
    _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _psql(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN_URL}/{name}"
    finally:
        _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Stack:
    url: str
    env: dict
    var_dir: Path
    pid: int = 0  # gunicorn's master: its process tree is the web tier

    def manage(self, *args: str) -> str:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=True, capture_output=True, text=True
        ).stdout


@contextlib.contextmanager
def gunicorn_stack(
    *, db_name: str, workers: int = 3, extra_env: dict | None = None, sqlite: bool = False
) -> Iterator[Stack]:
    """Migrated PostgreSQL database (or, with ``sqlite``, a fresh SQLite file with the embedded default's
    settings) + gunicorn (as ``make run`` starts it) on a free loopback port."""
    with contextlib.ExitStack() as resources:
        var = resources.enter_context(tempfile.TemporaryDirectory(prefix="sre-bench-"))
        db_url = f"sqlite:///{var}/sre.sqlite3" if sqlite else resources.enter_context(postgres_database(db_name))
        env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "SRE_VAR_DIR": var,
            "SRE_API_RATE": "100000000/min",
            **(extra_env or {}),
        }
        metrics_dir = Path(var) / "prom"
        metrics_dir.mkdir()
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        stack = Stack(url="", env=env, var_dir=Path(var))
        stack.manage("migrate", "--noinput")
        stack.manage("collectstatic", "--noinput")
        port = free_port()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "sre.wsgi:application",
                "--config",
                "python:sre.gunicorn_conf",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        stack.url = f"http://127.0.0.1:{port}"
        stack.pid = process.pid
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(stack.url + "/healthz", timeout=1)
                    break
                except OSError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise RuntimeError("gunicorn did not start") from None
                    time.sleep(0.2)
            yield stack
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _processes() -> dict[int, tuple[int, str, float]]:
    """Every live process: pid → (parent pid, command line, CPU seconds used so far, user + system)."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # exited meanwhile
            continue
        fields = raw[raw.rindex(")") + 2 :].split()  # from field 3 (state) on
        found[int(entry.name)] = (int(fields[1]), cmdline, (int(fields[11]) + int(fields[12])) / tick)
    return found


class CpuMeter:
    """CPU seconds used by kinds of process between ``begin`` and ``end``, from ``/proc/<pid>/stat``.

    ``roots`` maps a kind to the pids whose whole process trees it covers (gunicorn's master, Celery workers);
    ``match`` maps a kind to a regular expression searched in the command line of any other process
    (``^postgres:`` for PostgreSQL's processes, ``^redis-server``). This process (the load generator and any stub
    it serves, and these readings) is the kind ``bench``. Readings are taken every ``interval`` seconds, because Django
    recycles database connections (``CONN_MAX_AGE``): a backend that starts meanwhile counts from zero, and one
    that exits loses at most its last interval (the PostgreSQL figure is a slight underestimate)."""

    def __init__(
        self, *, roots: dict[str, list[int]], match: dict[str, str] | None = None, interval: float = 0.5
    ) -> None:
        self.roots, self.interval = roots, interval
        self.match = {kind: re.compile(pattern) for kind, pattern in (match or {}).items()}
        self.first: dict[int, tuple[str, float]] = {}
        self.last: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _read(self) -> dict[int, tuple[str, float]]:
        processes = _processes()
        children: dict[int, list[int]] = {}
        for pid, (parent, _, _) in processes.items():
            children.setdefault(parent, []).append(pid)
        kinds: dict[int, str] = {os.getpid(): "bench"}
        for kind, roots in self.roots.items():
            stack = [pid for pid in roots if pid in processes]
            while stack:
                pid = stack.pop()
                kinds[pid] = kind
                stack.extend(children.get(pid, ()))
        for pid, (_, cmdline, _) in processes.items():
            kind = next((k for k, pattern in self.match.items() if pattern.search(cmdline)), None)
            if kind and pid not in kinds:
                kinds[pid] = kind
        return {pid: (kind, processes[pid][2]) for pid, kind in kinds.items()}

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self.last.update(self._read())

    def begin(self) -> None:
        self.first = self._read()
        self.last = dict(self.first)
        self._stop.clear()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def end(self) -> dict[str, float]:
        """CPU seconds by kind since ``begin`` (every kind named, 0.0 if none of its processes ran)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.last.update(self._read())
        used = dict.fromkeys([*self.roots, *self.match, "bench"], 0.0)
        for pid, (kind, seconds) in self.last.items():
            used[kind] += max(0.0, seconds - self.first.get(pid, (kind, 0.0))[1])
        return used


@dataclass
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    requests: int
    errors: int


_WRK_SCRIPT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT %d %d %.3f %.3f %.3f\\n", summary.requests, errors,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def wrk(
    url: str, *, seconds: int, connections: int, threads: int = 2, headers: dict | None = None, script: str = ""
) -> WrkResult:
    """Bounded load against one loopback URL with wrk (Debian package ``wrk``)."""
    if not shutil.which("wrk"):
        raise RuntimeError("wrk is not installed: apt-get install wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script + _WRK_SCRIPT)
    command = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        "10s",
        "-s",
        fh.name,
    ]
    for key, value in (headers or {}).items():
        command += ["-H", f"{key}: {value}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    os.unlink(fh.name)
    match = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+)", out)
    if not match:
        raise RuntimeError(f"could not read wrk output:\n{out}")
    total, errors, p50, p95, p99 = match.groups()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return WrkResult(rps, float(p50), float(p95), float(p99), int(total), int(errors))


def print_table(title: str, columns: list[str], rows: list[list]) -> None:
    cells = [[str(c) for c in columns]] + [[f"{v:,.1f}" if isinstance(v, float) else str(v) for v in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    print(f"\n{title}")
    for index, row in enumerate(cells):
        print(
            "  ".join(
                cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if index == 0:
            print("  ".join("-" * w for w in widths))
