"""``manage.py serve`` (what ``make run`` calls): migrate, bootstrap the admin, seed the demo and its 30 days of
history, then run gunicorn, one Celery worker and Celery beat until Ctrl-C, and stop every process it started.

The terminal stays quiet: the children log at WARNING (``--verbose`` or ``SRE_LOG_LEVEL`` asks for more), the
web access log is off (``SRE_ACCESS_LOG=-`` turns it on), and once the control plane answers ``/readyz`` the
addresses, the demo users and the admin password are printed last, so they stay on screen."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from slo.tasks import evaluate
from sre.demo.history import HISTORY_DAYS, demo_history_backfill
from sre.demo.services import DEMO_PASSWORD, demo_seed
from sre.management.commands.seed_demo import history_line
from sre.ops.checks import check_heartbeat, readiness
from sre.queues import QUEUES
from sre.services import admin_bootstrap
from sre.tasks import heartbeat

STOP_GRACE_SECONDS = 10
READY_TIMEOUT = 90.0
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
RULE = "─" * 64


class Command(BaseCommand):
    help = "Run the whole control plane (web, worker, beat) on this machine until interrupted."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--web-workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
        parser.add_argument("--no-demo", action="store_true", help="Do not load the demo users and services.")
        parser.add_argument(
            "--history-days",
            type=int,
            default=HISTORY_DAYS,
            help=f"Days of demo traffic to backfill on the first start (default {HISTORY_DAYS}; 0 for none).",
        )
        parser.add_argument(
            "--verbose",
            action="store_true",
            help="Log at INFO (every task, every web worker start) instead of WARNING; SRE_LOG_LEVEL also sets it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self._stopping = False
        began = time.monotonic()
        level = log_level(verbose=options["verbose"], environ=os.environ)
        logging.getLogger().setLevel(level)  # this process's own lines while it seeds
        self.stdout.write("Migrating the database…")
        call_command("migrate", interactive=False, verbosity=0)
        password = admin_bootstrap()
        if not options["no_demo"]:
            self.stdout.write("Loading the demo…")
            demo_seed(password=DEMO_PASSWORD)
            if options["history_days"] > 0:
                history = demo_history_backfill(now=timezone.now(), days=options["history_days"])
                self.stdout.write(history_line(history))
        call_command("collectstatic", interactive=False, verbosity=0)

        env = os.environ.copy()
        metrics_dir = settings.VAR_DIR / "prometheus-multiproc"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        env["SRE_LOG_LEVEL"] = level  # Django's own loggers in every child (sre/settings.py LOGGING)
        bind = f"{options['host']}:{options['port']}"
        # Links in pages sent out (PagerDuty, webhooks, email, status page mail) point at where this runs, unless
        # SRE_BASE_URL says otherwise (behind a proxy).
        shown = "127.0.0.1" if options["host"] in ("0.0.0.0", "::", "") else options["host"]  # noqa: S104
        base = f"http://{shown}:{options['port']}"
        env.setdefault("SRE_BASE_URL", base)
        commands = child_commands(bind=bind, web_workers=options["web_workers"], level=level)
        processes: dict[str, subprocess.Popen[bytes]] = {}
        signal.signal(signal.SIGINT, self._request_stop)
        signal.signal(signal.SIGTERM, self._request_stop)
        self.stdout.write("Starting web, worker and beat…")
        try:
            for name, command in commands.items():
                # Each child in its own session: Ctrl-C reaches only us, and we stop them in order.
                processes[name] = subprocess.Popen(command, env=env, start_new_session=True)
            heartbeat.delay()  # the first heartbeat without waiting for beat's first tick
            evaluate.delay()  # budgets from the demo history at once, not at the first minute
            failed = self._wait_ready(base, processes)
            if failed is None:  # a child died or Ctrl-C while starting
                exit_code = 0 if self._stopping else 1
            else:
                self._banner(base=base, password=password, demo=not options["no_demo"], failed=failed,
                             seconds=time.monotonic() - began)  # fmt: skip
                exit_code = self._wait(processes)
        finally:
            self._stop_all(processes)
        if exit_code:
            sys.exit(exit_code)

    def _request_stop(self, signum: int, frame: Any) -> None:
        self._stopping = True

    def _wait_ready(self, base: str, processes: dict[str, subprocess.Popen[bytes]]) -> list[str] | None:
        """Wait until ready (web up, database and broker reachable as ``/readyz`` checks them, and the worker ran the
        first heartbeat); returns what still failed at the timeout, or None when a child exited or Ctrl-C came."""
        deadline = time.monotonic() + READY_TIMEOUT
        failed = ["web"]
        while not self._stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    self.stderr.write(f"{name} exited with code {process.returncode} while starting; stopping.")
                    return None
            failed = _readiness(base)
            if not failed or time.monotonic() > deadline:
                return failed
            time.sleep(0.3)
        return None

    def _banner(self, *, base: str, password: str | None, demo: bool, failed: list[str], seconds: float) -> None:
        """The last thing printed: addresses, demo users, the admin password (once). Nothing routine follows."""
        out = self.stdout
        out.write("")
        out.write(RULE)
        if failed:
            out.write(self.style.WARNING(f"Started, but not ready yet after {seconds:.0f} s: {', '.join(failed)} "
                                         "(see /readyz)."))  # fmt: skip
        out.write(
            self.style.SUCCESS(f"SRE control plane running at {base}/  (ready in {seconds:.0f} s; Ctrl-C stops it)")
        )
        out.write(f"  Status page (public)   {base}/status/")
        out.write(f"  API docs               {base}/api/docs/")
        if demo:
            out.write(f"  Demo users             demo-viewer, demo-responder, demo-admin  (password {DEMO_PASSWORD})")
        if password:
            out.write(self.style.WARNING(f"  Admin account 'admin', one-time password: {password}"))
            out.write("  (shown this once; you will be asked to change it at the first sign-in)")
        else:
            out.write("  Admin account 'admin'  (its password was shown at the first start; "
                      "reset it with: manage.py changepassword admin)")  # fmt: skip
        out.write(RULE)
        out.flush()

    def _wait(self, processes: dict[str, subprocess.Popen[bytes]]) -> int:
        while not self._stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    self.stderr.write(f"{name} exited with code {process.returncode}; stopping everything.")
                    return 1
            time.sleep(0.3)
        return 0

    def _stop_all(self, processes: dict[str, subprocess.Popen[bytes]]) -> None:
        self.stdout.write("Stopping web, worker and beat…")
        for process in processes.values():
            if process.poll() is None:
                process.terminate()  # each main process shuts its own children down cleanly
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for process in processes.values():
            _signal_group(process, signal.SIGKILL)  # anything left in the group (worker children)
            process.wait()
        self.stdout.write("Stopped.")


def log_level(*, verbose: bool, environ: Mapping[str, str]) -> str:
    """The children's log level: INFO with ``--verbose``, else ``SRE_LOG_LEVEL`` if set, else WARNING."""
    if verbose:
        return "INFO"
    wanted = (environ.get("SRE_LOG_LEVEL") or "").strip().upper()
    return wanted if wanted in LEVELS else "WARNING"


def child_commands(*, bind: str, web_workers: int, level: str) -> dict[str, list[str]]:
    """The web, worker and beat command lines. At WARNING and above the Celery banners are left out, and so is
    Celery's warning about running as root (containers). The web access log is off unless ``SRE_ACCESS_LOG``
    names a file (``-``: the terminal; ``sre/gunicorn_conf.py`` reads it)."""
    python = sys.executable
    quiet = level != "INFO" and level != "DEBUG"
    web = [python, "-m", "gunicorn", "sre.wsgi:application", "--config", "python:sre.gunicorn_conf",
           "--bind", bind, "--workers", str(web_workers), "--log-level", level.lower()]  # fmt: skip
    celery = [python, *(["-W", "ignore::UserWarning:celery.platforms"] if quiet else []), "-m", "celery", "-A", "sre"]
    if quiet:
        celery.append("--quiet")
    return {
        "web": web,
        "worker": [
            *celery,
            "worker",
            "--loglevel",
            level,
            "--concurrency",
            "2",
            "--queues",  # one machine: this worker takes every queue (production runs a worker per queue)
            ",".join(QUEUES),
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            "worker@%h",
        ],
        "beat": [*celery, "beat", "--loglevel", level, "--pidfile="],
    }


def _readiness(base: str) -> list[str]:
    """What is not ready yet ([] when ready): the web (``/healthz`` does not answer 200 yet), then the checks of
    ``/readyz`` (database, broker) and the worker's first heartbeat (which ``/readyz`` leaves to ``/metrics``), run
    here, not over HTTP, so waiting does not log a 503 a third of a second."""
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=5) as response:  # noqa: S310 - our own address
            if response.status != 200:
                return ["web"]
    except OSError:
        return ["web"]
    failed = [check.name for check in readiness() if not check.ok]
    if "database" not in failed and not check_heartbeat(now=timezone.now()).ok:
        failed.append("heartbeat")
    return failed


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass
