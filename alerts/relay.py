"""The outbox relay's fast path in the web process: deliver a notification from a thread of the process that
wrote it, right after its transaction commits, instead of through the broker and a Celery worker.

Why: at 100 new groups a second the broker hop (publish, a prefork worker picking the message up, its own
database round trips) cost as much CPU as the intake itself, and the delivery could not keep up. Alertmanager
delivers from the process that received the alert; so do we, and keep the outbox's guarantees:

- The outbox row is committed before the thread sees it, and it is claimed under a lock, so a row is never
  sent twice, whoever else (the sweep, a Celery worker) picks it up as well. Usually the claim is made in the
  very transaction that writes the row (``notification_claim_new``: the same checks as ``_claim``), so the
  thread only sends and records; a claim that waited in the queue longer than half the lease margin is
  released (the ledger says it was not sent) and claimed anew, so no lease can run out mid-request.
- A process that dies with rows queued here or in flight loses nothing: a queued row is ``pending`` or holds
  a lease, and ``alerts.tick``'s sweep hands it to Celery (a lease once it has run out: the attempt is then
  recorded as lost, since it may or may not have left).
- Retries with a delay and deliveries deferred by the breaker or the rate limit go through Celery
  (``apply_async(countdown=…)``): a thread must not sleep on them.
- The queue is bounded (``ALERTS_RELAY_QUEUE``); past it, ids go to Celery as before.

Who relays in-process: a process serving ``sre/wsgi.py`` (each gunicorn worker) calls ``relay_in_process``;
any other process (Celery, tests, management commands) enqueues a Celery task as before.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
from contextvars import Context
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection

from alerts import metrics
from alerts.services import delivery
from sre.observability.context import carried_context

logger = logging.getLogger(__name__)

CONNECTION_CHECK_INTERVAL = 1.0  # seconds between a relay thread's checks of its database connection

# (notification, receiver copy, attempt id, time.monotonic() of the claim)
Claimed = tuple[Any, Any, int, float]
# (notification id, its claim, the submitter's request id and trace: ``sre.observability.context.carried_context``)
Item = tuple[int, Claimed | None, Context] | None

_enabled = False
_queue: queue.Queue[Item] | None = None
_threads: list[threading.Thread] = []
_lock = threading.Lock()


def relay_in_process() -> None:
    """Deliver this process's new notifications from its own threads (called once by ``sre/wsgi.py``)."""
    global _enabled
    _enabled = True


def relay_has_room() -> bool:
    """Whether this process relays and its queue has room now (checked before claiming in a transaction)."""
    if not _enabled:
        return False
    work = _ensure_started()
    return work.qsize() < work.maxsize


def relay_submit(notification_id: int, *, claimed: Claimed | None = None) -> bool:
    """Queue a committed notification for delivery by this process; False when this process does not
    relay (or its queue is full): the caller sends it to Celery instead. ``claimed`` is the claim made in the
    writing transaction (``notification_claim_new``): the thread then sends without claiming again."""
    if not _enabled:
        return False
    work = _ensure_started()
    try:
        work.put_nowait((notification_id, claimed, carried_context()))
    except queue.Full:
        metrics.RELAY_SUBMITTED.labels(outcome="full").inc()
        return False
    metrics.RELAY_SUBMITTED.labels(outcome="accepted").inc()
    metrics.RELAY_QUEUE.set(work.qsize())
    return True


def _ensure_started() -> queue.Queue[Item]:
    """Threads start on first use, in the process that uses them (gunicorn forks workers after import)."""
    global _queue
    if _queue is not None:
        return _queue
    with _lock:
        if _queue is None:
            work: queue.Queue[Item] = queue.Queue(maxsize=int(settings.SRE.get("ALERTS_RELAY_QUEUE", 1000)))
            for index in range(int(settings.SRE.get("ALERTS_RELAY_THREADS", 4))):
                thread = threading.Thread(target=_run, args=(work,), name=f"alerts-relay-{index}", daemon=True)
                thread.start()
                _threads.append(thread)
            atexit.register(relay_stop)
            _queue = work
    return _queue


def _run(work: queue.Queue[Item]) -> None:
    checked = 0.0
    while True:
        item = work.get()
        if item is None:
            break
        notification_id, claimed, context = item
        metrics.RELAY_QUEUE.set(work.qsize())
        if connection.errors_occurred or time.monotonic() - checked > CONNECTION_CHECK_INTERVAL:
            # As around a request: a broken or too old connection is replaced. Not before every delivery:
            # with health checks on, each check costs a ``SELECT 1`` round trip.
            try:
                close_old_connections()
            except Exception:  # the delivery below meets the broken connection and leaves the row to the sweep
                logger.warning("Relay thread could not renew its database connection", exc_info=True)
            checked = time.monotonic()
        # In the submitting request's context: its request id in the log lines, its trace as the parent.
        context.run(_deliver, notification_id, claimed)
    connection.close()


def _deliver(notification_id: int, claimed: Claimed | None) -> None:
    try:
        if claimed is None:
            delivery.notification_deliver(notification_id=notification_id)
            return
        notification, receiver, attempt_id, claimed_at = claimed
        if time.monotonic() - claimed_at < delivery.tunable("ALERTS_LEASE_MARGIN", 30) / 2:
            delivery.notification_send_claimed(notification, receiver, attempt_id)
        elif delivery.notification_release(notification, attempt_id, reason="waited too long in the relay queue"):
            # Its lease could run out while it is sent (and another worker take it): claim it anew.
            delivery.notification_deliver(notification_id=notification_id)
    except Exception:  # the row stays pending or leased; the sweep hands it to Celery.
        logger.warning("In-process delivery of notification %s failed; the sweep will retry it",
                       notification_id, exc_info=True)  # fmt: skip


def relay_stop(timeout: float = 5.0) -> None:
    """Stop this process's relay threads, letting them finish what they hold (bounded; at exit, and in
    tests). Anything still queued stays ``pending`` in the outbox and is found by the sweep."""
    global _queue, _enabled
    with _lock:
        work, threads = _queue, list(_threads)
        _queue, _enabled = None, False
        _threads.clear()
    if work is None:
        return
    for _ in threads:
        try:
            work.put_nowait(None)
        except queue.Full:
            break
    for thread in threads:
        thread.join(timeout=timeout / max(1, len(threads)))
