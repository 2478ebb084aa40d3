"""Start a real Prometheus (Debian package ``prometheus``) for integration tests."""

from __future__ import annotations

import subprocess
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.servers import free_port, require_binary, stop_process, wait_for


@contextmanager
def prometheus(*, remote_write_url: str | None = None, token: str = "", receiver: bool = False) -> Iterator[str]:
    """A Prometheus scraping itself every second (and remote-writing to ``remote_write_url``); yields its URL."""
    binary = require_binary("prometheus")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="sre-prom-") as tmp:
        config = [
            "global:",
            "  scrape_interval: 1s",
            "  evaluation_interval: 1s",
            "scrape_configs:",
            "  - job_name: prometheus",
            "    static_configs:",
            f"      - targets: ['127.0.0.1:{port}']",
        ]
        if remote_write_url:
            config += [
                "remote_write:",
                f"  - url: {remote_write_url}",
                "    authorization:",
                f"      credentials: {token}",
                "    queue_config:",
                "      batch_send_deadline: 1s",
                "      min_backoff: 100ms",
                "      max_backoff: 1s",
                "    metadata_config:",
                "      send: false",
            ]
        path = Path(tmp) / "prometheus.yml"
        path.write_text("\n".join(config) + "\n")
        command = [
            binary, f"--config.file={path}", f"--storage.tsdb.path={tmp}/data",
            f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=90d",
        ]  # fmt: skip
        if receiver:
            command.append("--web.enable-remote-write-receiver")
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"prometheus exited: {process.stderr.read().decode()[-2000:]}")
            try:
                return urllib.request.urlopen(f"{url}/-/ready", timeout=1).status == 200
            except OSError:
                return False

        try:
            wait_for(ready, timeout=30, what="prometheus to be ready")
            yield url
        finally:
            stop_process(process)
