"""A real Alertmanager (Debian package prometheus-alertmanager) delivers its webhook to our live server."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import tempfile
import urllib.request
from pathlib import Path

import pytest

from alerts.models import Alert, AlertGroup, Notification
from tests.support.servers import free_port, require_binary, stop_process, wait_for

pytestmark = pytest.mark.integration

CONFIG = """
route:
  receiver: sre
  group_by: ['alertname']
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: sre
    webhook_configs:
      - url: {url}
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {token}
"""


def start_alertmanager(folder: Path, *, webhook_url: str, token: str) -> tuple[subprocess.Popen, str]:
    binary = require_binary("prometheus-alertmanager", "alertmanager")
    (folder / "am.yml").write_text(CONFIG.format(url=webhook_url, token=token))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={folder / 'am.yml'}",
            f"--storage.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            f"--web.external-url={base}",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )

    def ready() -> bool:
        try:
            return urllib.request.urlopen(base + "/-/ready", timeout=1).status == 200
        except OSError:
            return process.poll() is not None and pytest.fail(process.stderr.read().decode())

    wait_for(ready, timeout=20, what="alertmanager ready")
    return process, base


def am_post(base: str, alerts: list[dict]) -> None:
    request = urllib.request.Request(
        base + "/api/v2/alerts", data=json.dumps(alerts).encode(), headers={"Content-Type": "application/json"}
    )
    assert urllib.request.urlopen(request, timeout=5).status == 200


def test_real_alertmanager_webhook_reaches_us(transactional_db, live_server, token_client, root_route):
    client = token_client(role="viewer", scopes=("ingest",))
    labels = {"alertname": "DiskFull", "instance": "db1:9100", "severity": "critical"}
    with tempfile.TemporaryDirectory() as folder:
        process, base = start_alertmanager(
            Path(folder), webhook_url=f"{live_server.url}/api/v1/alerts/alertmanager", token=client.token
        )
        try:
            starts = dt.datetime.now(dt.UTC)
            alert = {"labels": labels, "annotations": {"summary": "disk 95%"}, "startsAt": starts.isoformat()}
            am_post(base, [{**alert, "generatorURL": "http://prometheus:9090/graph"}])
            stored = wait_for(
                lambda: Alert.objects.filter(labels__instance="db1:9100").first(),
                timeout=30,
                what="the firing alert to arrive from Alertmanager",
            )
            assert stored.status == "firing" and stored.source == "alertmanager"
            assert stored.annotations == {"summary": "disk 95%"}
            assert stored.generator_url == "http://prometheus:9090/graph"
            group = AlertGroup.objects.get()
            assert group.group_labels == {"alertname": "DiskFull"}
            wait_for(
                lambda: Notification.objects.filter(event="trigger", state="delivered").exists(),
                timeout=10,
                what="the trigger to reach the ledger",
            )
            ends = dt.datetime.now(dt.UTC)
            am_post(base, [{**alert, "endsAt": ends.isoformat()}])
            wait_for(
                lambda: Alert.objects.get(pk=stored.pk).status == "resolved",
                timeout=30,
                what="the resolved alert to arrive from Alertmanager",
            )
            # Our group_interval (60 s) batches the resolve; flush it now as the tick would later.
            from alerts.services import groups_flush_due

            groups_flush_due(now=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=61))
            assert AlertGroup.objects.get().state == "resolved"
            events = list(Notification.objects.order_by("pk").values_list("event", flat=True))
            assert events == ["trigger", "resolve"]  # Alertmanager's repeats did not page twice
        finally:
            stop_process(process)
