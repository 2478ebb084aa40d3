"""``manage.py serve`` (what ``make run`` calls): migrate, bootstrap the admin, seed the demo, then run
gunicorn, one Celery worker and Celery beat until Ctrl-C, and stop every process it started."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from sre.demo.services import DEMO_PASSWORD, demo_seed
from sre.services import admin_bootstrap

STOP_GRACE_SECONDS = 10


class Command(BaseCommand):
    help = "Run the whole control plane (web, worker, beat) on this machine until interrupted."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--web-workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
        parser.add_argument("--no-demo", action="store_true", help="Do not load the demo users and services.")

    def handle(self, *args: Any, **options: Any) -> None:
        self._stopping = False
        self.stdout.write("Migrating the database…")
        call_command("migrate", interactive=False, verbosity=0)
        password = admin_bootstrap()
        if password:
            self.stdout.write(self.style.WARNING(f"Created admin account 'admin' with one-time password: {password}"))
        if not options["no_demo"]:
            demo = demo_seed(password=DEMO_PASSWORD)
            for username in demo.users:
                self.stdout.write(f"Demo user {username} / {DEMO_PASSWORD}")
        call_command("collectstatic", interactive=False, verbosity=0)

        env = os.environ.copy()
        metrics_dir = settings.VAR_DIR / "prometheus-multiproc"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        python = sys.executable
        bind = f"{options['host']}:{options['port']}"
        # Links in pages sent out (PagerDuty, webhooks, email, status page mail) point at where this runs, unless
        # SRE_BASE_URL says otherwise (behind a proxy).
        shown = "127.0.0.1" if options["host"] in ("0.0.0.0", "::", "") else options["host"]  # noqa: S104
        env.setdefault("SRE_BASE_URL", f"http://{shown}:{options['port']}")
        commands = {
            "web": [
                python,
                "-m",
                "gunicorn",
                "sre.wsgi:application",
                "--config",
                "python:sre.gunicorn_conf",
                "--bind",
                bind,
                "--workers",
                str(options["web_workers"]),
            ],
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "sre",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
                "--without-gossip",
                "--without-mingle",
                "--hostname",
                "worker@%h",
            ],
            "beat": [python, "-m", "celery", "-A", "sre", "beat", "--loglevel", "INFO", "--pidfile="],
        }
        processes: dict[str, subprocess.Popen[bytes]] = {}
        signal.signal(signal.SIGINT, self._request_stop)
        signal.signal(signal.SIGTERM, self._request_stop)
        try:
            for name, command in commands.items():
                # Each child in its own session: Ctrl-C reaches only us, and we stop them in order.
                processes[name] = subprocess.Popen(command, env=env, start_new_session=True)
            from sre.tasks import heartbeat

            heartbeat.delay()  # the first heartbeat without waiting for beat's first tick
            self.stdout.write(self.style.SUCCESS(f"SRE control plane running at http://{bind}/  (Ctrl-C stops it)"))
            exit_code = self._wait(processes)
        finally:
            self._stop_all(processes)
        if exit_code:
            sys.exit(exit_code)

    def _request_stop(self, signum: int, frame: Any) -> None:
        self._stopping = True

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


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass
