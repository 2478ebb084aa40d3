"""The real Alertmanager as an oracle for the differential tests (``test_am_differential_*``).

``amtool config routes test`` answers which receivers a label set routes to, in order; a running
``prometheus-alertmanager`` answers with which group labels each matched route groups an alert
(``/api/v2/alerts/groups``) and, at the current instant, whether a route's mute/active time intervals let a
notification out (a webhook arrives, or its debug log says why not).
"""

from __future__ import annotations

import json
import subprocess
import threading
import urllib.parse
import urllib.request
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.servers import free_port, require_binary, stop_process, wait_for

MUTED_LOG = "Notifications not sent, route is within mute time"
INACTIVE_LOG = "Notifications not sent, route is not within active time"


def om_escape(value: str) -> str:
    """OpenMetrics escaping, the one Alertmanager's matcher parser undoes (``\\\\``, ``\\n``, ``\\"``)."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def amtool_receivers(amtool: str, config: Path, labels: Mapping[str, str]) -> list[str]:
    """``amtool config routes test``: the receivers of the routes ``labels`` match, in tree order."""
    args = [f'{name}="{om_escape(value)}"' for name, value in labels.items()]
    done = subprocess.run(
        [amtool, "config", "routes", "test", f"--config.file={config}", *args],
        capture_output=True,
        text=True,
        timeout=20,
    )
    if done.returncode != 0:
        pytest.fail(f"amtool failed ({done.returncode}) for {labels}: {done.stdout} {done.stderr}")
    line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    return line.split(",") if line else []


class Alertmanager:
    """One ``prometheus-alertmanager`` on a free loopback port, storage under ``folder``, stderr collected."""

    def __init__(self, folder: Path, config_text: str, *, debug: bool = False, tz: str = "UTC") -> None:
        binary = require_binary("prometheus-alertmanager", "alertmanager")
        self.config = folder / "alertmanager.yml"
        self.config.write_text(config_text)
        self.log: list[str] = []
        for _attempt in range(3):  # a free port can be taken by another test's server before we bind it
            if self._start(binary, folder, debug=debug, tz=tz):
                return
        pytest.fail("alertmanager did not start: " + "".join(self.log[-20:]))

    def _start(self, binary: str, folder: Path, *, debug: bool, tz: str) -> bool:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [
                binary,
                f"--config.file={self.config}",
                f"--storage.path={folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
                f"--web.external-url={self.base}",
                f"--log.level={'debug' if debug else 'warn'}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={"TZ": tz, "PATH": "/usr/bin:/bin"},  # TZ is what ``location: Local`` means to it
        )
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()

        def ready() -> str | None:
            if self.process.poll() is not None:
                return "exited"
            try:
                ok = urllib.request.urlopen(self.base + "/-/ready", timeout=1).status == 200
            except OSError:
                return None
            # Answered: but by ours only if it is still running (else another server holds the port).
            return "ready" if ok and self.process.poll() is None else None

        if wait_for(ready, timeout=20, what="alertmanager ready") == "ready":
            return True
        self._reader.join(timeout=5)
        return False

    def _read_log(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)

    def count_log(self, text: str) -> int:
        return sum(text in line for line in list(self.log))

    def reload(self, config_text: str) -> None:
        self.config.write_text(config_text)
        request = urllib.request.Request(self.base + "/-/reload", data=b"", method="POST")
        try:
            urllib.request.urlopen(request, timeout=10)
        except urllib.error.HTTPError as exc:
            pytest.fail(f"alertmanager refused the configuration: {exc.read().decode()}\n{config_text}")

    def post_alerts(self, alerts: list[dict]) -> None:
        request = urllib.request.Request(
            self.base + "/api/v2/alerts", data=json.dumps(alerts).encode(), headers={"Content-Type": "application/json"}
        )
        assert urllib.request.urlopen(request, timeout=10).status == 200

    def groups(self, matcher: str) -> list[dict]:
        query = urllib.parse.urlencode({"filter": matcher})
        with urllib.request.urlopen(f"{self.base}/api/v2/alerts/groups?{query}", timeout=10) as response:
            return json.load(response)

    def alerts(self, matcher: str) -> list[dict]:
        """``/api/v2/alerts`` (each with ``status.inhibitedBy``, computed at the request)."""
        query = urllib.parse.urlencode({"filter": matcher})
        with urllib.request.urlopen(f"{self.base}/api/v2/alerts?{query}", timeout=10) as response:
            return json.load(response)

    def stop(self) -> None:
        stop_process(self.process)


class WebhookSink:
    """A loopback HTTP server that records the path of every webhook Alertmanager posts to it."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                sink.paths.append(self.path)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
