"""A Celery worker serves its own task metrics on SRE_WORKER_METRICS_PORT (a worker per container or machine cannot
share the web's metrics folder), adding up its pool processes through PROMETHEUS_MULTIPROC_DIR."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.celery_worker import celery_worker
from tests.support.servers import free_port, wait_for

pytestmark = pytest.mark.integration


def _task_counts(port: int) -> dict[tuple[str, str], float] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
    except (urllib.error.URLError, OSError):
        return None
    return {
        (sample.labels["task"], sample.labels["state"]): sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "sre_celery_tasks"
        for sample in family.samples
        if sample.name == "sre_celery_tasks_total"
    }


def test_a_worker_serves_its_task_counts_on_its_own_port(transactional_db, tmp_path) -> None:
    port = free_port()
    folder = tmp_path / "metrics"
    folder.mkdir()
    env = {"SRE_WORKER_METRICS_PORT": str(port), "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    with celery_worker(broker_url="filesystem://", extra_env=env) as producer:
        wait_for(lambda: _task_counts(port) is not None, timeout=60, what="the worker's metrics")
        assert _task_counts(port) == {}  # nothing ran yet
        producer.send_task("sre.heartbeat")
        producer.send_task("sre.heartbeat")
        wait_for(lambda: (_task_counts(port) or {}).get(("sre.heartbeat", "success")) == 2.0, timeout=60,
                 what="two heartbeats counted")  # fmt: skip
    assert list(folder.iterdir())  # counted through the multiprocess folder, as a prefork pool needs
