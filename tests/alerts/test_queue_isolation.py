"""A page goes out on a worker that consumes only the ``delivery`` queue while a drill waits on ``drills``
(sre/queues.py): a 24-hour drill on the drills workers can never sit in front of a page."""

from __future__ import annotations

import pytest
from django.utils import timezone

from alerts.services import alert_raise
from drills.tasks import drill_run
from sre.celery import app
from sre.queues import DELIVERY, DRILLS
from tests.alerts.test_reliability import LABELS, wait_ticking, worker_env
from tests.alerts.worker import delivery_worker

pytestmark = pytest.mark.integration


def _waiting(queue: str) -> int:
    with app.connection_for_write() as connection:
        return connection.default_channel.queue_declare(queue=queue, passive=True).message_count


def _purge(*queues: str) -> None:
    """Messages other tests left on the shared broker (tasks enqueued with no worker running) are not this test's."""
    with app.connection_for_write() as connection:
        for queue in queues:
            connection.default_channel.queue_declare(queue=queue, durable=True, auto_delete=False)
            connection.default_channel.queue_purge(queue)


def test_a_page_is_delivered_by_a_delivery_only_worker_while_a_drill_waits_on_its_own_queue(pd_tree, pd_stub):
    _purge(DELIVERY, DRILLS)
    with delivery_worker(worker_env(pd_stub), queues=(DELIVERY,)) as worker:
        drill_run.delay(987_654)  # queued first: on one shared queue and one busy worker the page would wait
        assert _waiting(DRILLS) == 1
        alert_raise(labels=LABELS, annotations={}, status="firing", source="test", now=timezone.now())
        wait_ticking(worker, lambda: len(pd_stub.accepted()) == 1, timeout=60, what="the page")
        assert _waiting(DRILLS) == 1  # untouched: only a drills worker takes it
    assert [body["event_action"] for body in pd_stub.accepted()] == ["trigger"]
