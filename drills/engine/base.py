"""What every executor shares: the run's context, interruptible subprocesses, and the result types."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drills.domain.checks import CheckRecord, check_error, database_check, needs_source_sum
from drills.domain.values import redact, tail

LOG_LIMIT = 64 * 1024
OUTPUT_LIMIT = 16 * 1024


class StepFailed(Exception):
    """The backup could not be obtained or restored; the message says why, for people."""


class DrillCancelled(Exception):
    """Someone cancelled the run."""


class DrillTimeout(Exception):
    """The run used up its time limit."""


@dataclass
class Backup:
    ref: str
    taken_at: dt.datetime | None
    size_bytes: int | None = None
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Runtime:
    """Cancellation, the deadline, secret redaction and the live log of the current step.

    ``cancel()`` may be called from another thread (the heartbeat); it kills the running command's process
    group so that a long restore stops at once.
    """

    def __init__(self, *, timeout_seconds: float, secrets: list[str]) -> None:
        self.deadline = time.monotonic() + timeout_seconds
        self.timeout_seconds = timeout_seconds
        self.secrets = [s for s in secrets if s]
        self.cancelled = threading.Event()
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._live_fd: int | None = None  # output file of the running command, for the live log
        self._log: list[str] = []

    # --- log -----------------------------------------------------------------------------------
    def log(self, text: str) -> None:
        stamp = dt.datetime.now(dt.UTC).strftime("%H:%M:%S")
        with self._lock:
            self._log.append(f"[{stamp}] {redact(text.rstrip(), self.secrets)}")

    def log_text(self) -> str:
        """The step's log so far, with the running command's latest output (read without disturbing it)."""
        with self._lock:
            text = "\n".join(self._log)
            fd = self._live_fd
            if fd is not None:
                try:
                    size = os.fstat(fd).st_size
                    live = os.pread(fd, min(size, 8192), max(0, size - 8192)).decode(errors="replace")
                except OSError:
                    live = ""
                if live.strip():
                    text += "\n… running, latest output:\n" + redact(live, self.secrets)
            return tail(text, limit=LOG_LIMIT)

    def log_reset(self) -> None:
        with self._lock:
            self._log = []

    # --- interruption ----------------------------------------------------------------------------
    def cancel(self) -> None:
        self.cancelled.set()
        self._kill_current()

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def check(self) -> None:
        if self.cancelled.is_set():
            raise DrillCancelled("The drill was cancelled.")
        if self.remaining() <= 0:
            raise DrillTimeout(f"The drill exceeded its time limit of {int(self.timeout_seconds)} s.")

    def _kill_current(self) -> None:
        with self._lock:
            process = self._process
        if process is not None and process.poll() is None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(process.pid, sig)
                except ProcessLookupError:
                    return
                try:
                    process.wait(timeout=3)
                    return
                except subprocess.TimeoutExpired:
                    continue

    def run(
        self, command: list[str], *, env: dict[str, str], cwd: Path | None = None, label: str | None = None
    ) -> tuple[int, str]:
        """Run ``command`` to completion (or cancellation/deadline) and return its exit code and output."""
        self.check()
        self.log("$ " + (label or " ".join(command)))
        with tempfile.TemporaryFile() as out:
            process = subprocess.Popen(
                command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
            with self._lock:
                self._process = process
                self._live_fd = out.fileno()
            try:
                while True:
                    try:
                        process.wait(timeout=0.2)
                        break
                    except subprocess.TimeoutExpired:
                        if self.cancelled.is_set() or self.remaining() <= 0:
                            self._kill_current()
                            self.check()
            except BaseException:
                # Cancelled, out of time or a soft time limit: never leave the child running; keep its output.
                self._kill_current()
                with self._lock:
                    self._live_fd = None
                out.seek(0)
                partial = out.read().decode(errors="replace")
                if partial.strip():
                    self.log(tail(partial, limit=OUTPUT_LIMIT))
                self.log("stopped")
                raise
            finally:
                with self._lock:
                    self._process = None
                    self._live_fd = None
            self.check()
            out.seek(0)
            output = tail(out.read().decode(errors="replace"), limit=OUTPUT_LIMIT)
        if output.strip():
            self.log(output)
        self.log(f"exit code {process.returncode}")
        return process.returncode, redact(output, self.secrets)


@dataclass
class Context:
    """Everything an executor needs for one run; ``register_scratch(kind, ref)`` must be called (and is
    committed) before a scratch database or directory is created, so a crash leaves a record."""

    run_id: int
    target_id: int
    plan: dict[str, Any]
    connection: str
    scratch_connection: str
    secret: str
    environment: dict[str, str]
    scratch_dir: Path
    runtime: Runtime
    register_scratch: Callable[[str, str], None]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def newest_file(directory: str) -> Path:
    """The most recently modified regular, non-hidden file in ``directory``; ``StepFailed`` if none."""
    if not directory:
        raise StepFailed("No backup directory is configured (location).")
    folder = Path(directory)
    if not folder.is_dir():
        raise StepFailed(f"The backup directory {folder} does not exist or is not a directory.")
    files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
    if not files:
        raise StepFailed(f"No backup found: the directory {folder} has no files.")
    return max(files, key=lambda p: (p.stat().st_mtime, p.name))


def mtime_of(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)


def newest_backup(ctx: Context, *, what: str) -> Backup:
    """The newest file of the plan's backup directory as the run's backup, taken when it was last modified
    (``what`` names it in the log: "dump", "copy", "backup")."""
    path = newest_file(ctx.plan["location"])
    ctx.runtime.log(f"Newest {what}: {path} (modified {mtime_of(path):%Y-%m-%d %H:%M:%S} UTC)")
    return Backup(ref=str(path), taken_at=mtime_of(path), size_bytes=path.stat().st_size, path=path)


def tree_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def base_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """A minimal environment for tools and user commands: never the control plane's own secrets."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ") if key in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env.update(extra or {})
    return env


def file_check(*, name: str, restored: Path, expected: str, source: Path | None) -> CheckRecord:
    """SHA-256 of a restored file against ``expected`` or, when empty, the live ``source`` file."""
    if not expected:
        if source is None:
            return CheckRecord(name, "file_checksum", False, message="No expected SHA-256 and no source file.")
        if not source.is_file():
            return CheckRecord(name, "file_checksum", False, message=f"Source file {source} does not exist.")
        expected = sha256_file(source)
    if not restored.is_file():
        return CheckRecord(
            name, "file_checksum", False, expected, message=f"{restored.name} is missing from the restored files."
        )
    observed = sha256_file(restored)
    ok = observed == expected.lower()
    message = "" if ok else f"Checksum mismatch for {restored.name}: expected {expected[:12]}…, got {observed[:12]}…."
    return CheckRecord(name, "file_checksum", ok, expected, observed, message)


class DatabaseChecks:
    """``verify`` for the engines that restore a database (SQLite, PostgreSQL): a ``sql``, ``row_count`` or
    ``table_checksum`` check is read through a DB-API cursor on the restored copy and judged by
    ``drills.domain.checks.database_check``. An engine says how it opens that cursor, counts a table's rows,
    digests a table and gets the live source's digest, and which errors mean the check could not run."""

    engine: str
    errors: tuple[type[Exception], ...]
    checksum: Callable[[Any, str], str]  # (cursor, table) -> "<rows>:<sha256>"

    def verify(self, check: dict[str, Any]) -> CheckRecord:
        kind, observed = check["kind"], None
        try:
            with self.cursor() as cur:
                if kind == "sql":
                    cur.execute(check["query"])
                    observed = cur.fetchone()
                elif kind == "row_count":
                    cur.execute(self.count_query(check["table"]))
                    observed = cur.fetchone()[0]
                elif kind == "table_checksum":
                    observed = self.checksum(cur, check["table"])
            source = self.source_sum(check["table"]) if needs_source_sum(check) else ""
        except self.errors as exc:
            return check_error(check, error=str(exc))
        return database_check(check, engine=self.engine, observed=observed, source_sum=source)

    def cursor(self) -> AbstractContextManager[Any]:
        """A read-only cursor on the restored copy."""
        raise NotImplementedError

    def count_query(self, table: str) -> Any:
        """``SELECT count(*)`` of ``table`` (``schema.table`` allowed), quoted for the engine."""
        raise NotImplementedError

    def source_sum(self, table: str) -> str:
        """The live source table's digest, or ``"error: …"`` saying why there is none."""
        raise NotImplementedError
