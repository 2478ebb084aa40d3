"""A real Celery worker process runs a task end to end, on each broker the control plane supports."""

from __future__ import annotations

import pytest
import redis
from kombu import Connection

from sre.models import Heartbeat
from tests.support.celery_worker import celery_worker
from tests.support.servers import unavailable, wait_for

BROKERS = {
    "filesystem": "filesystem://",
    "redis": "redis://127.0.0.1:6379/15",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//",
}


def _reachable(url: str) -> bool:
    if url.startswith("redis"):
        try:
            return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
        except redis.RedisError:
            return False
    if url.startswith("amqp"):
        try:
            with Connection(url, connect_timeout=2) as conn:
                conn.ensure_connection(max_retries=1)
            return True
        except Exception:  # noqa: BLE001
            return False
    return True


@pytest.mark.integration
@pytest.mark.parametrize("broker", list(BROKERS))
def test_worker_runs_heartbeat_task_end_to_end(broker: str, transactional_db) -> None:
    url = BROKERS[broker]
    if not _reachable(url):
        unavailable(f"{broker} broker at {url} is not reachable")
    assert not Heartbeat.objects.exists()
    with celery_worker(broker_url=url) as producer:
        producer.send_task("sre.heartbeat")
        beat = wait_for(lambda: Heartbeat.objects.filter(name="worker").first(), timeout=60, what="heartbeat row")
        assert beat.beats == 1
        producer.send_task("sre.heartbeat")
        wait_for(lambda: Heartbeat.objects.get(name="worker").beats == 2, timeout=30, what="second heartbeat")
