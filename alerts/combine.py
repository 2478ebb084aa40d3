"""Group commit for alert intake in a web process: webhooks that arrive together share one transaction.

Why: an intake transaction costs a fixed set of round trips and statements (the connection check, BEGIN, the
configuration version with the alert locks, the inserts, the batch write, COMMIT) whatever the number of alerts
in it. Measured in-process on PostgreSQL, four 10-alert webhooks written in one transaction took 37% less of the
web worker's CPU per webhook than four transactions, and 40% less wall time. So when webhooks overlap, the ones
that arrive while a transaction is being written go into the next one together.

How, and what it keeps:
- A request that finds no intake transaction running in its process starts one at once with its own webhook:
  at low load nothing waits. Requests arriving meanwhile queue; when the running transaction ends, the next
  queued request writes everything queued (up to ``ALERTS_MAX_BATCH`` alerts) in one ``alerts_store`` call.
- Each request answers only after the transaction holding its alerts has committed, with its own alerts:
  an accepted webhook is never lost, and a client sees exactly what it would see alone.
- Each webhook is validated alone before it queues (``alerts_validate``): a bad one gets its 400 by itself.
- Only webhooks of one source go together, and a webhook sharing an alert (fingerprint) with one queued before
  it waits for the next transaction: one alert's deliveries are applied one at a time, in arrival order, so
  repeated and resolving deliveries count as they would alone.
- If a shared transaction fails, each of its webhooks is written again alone, so one webhook's failure (a
  deadlock, a constraint) is never another's.
- Webhooks into the same alert group in one transaction are flushed together: the group notifies once with all
  of them, as Alertmanager batches a group's alerts within ``group_wait``.

Who combines: a process serving ``sre/wsgi.py`` (each gunicorn worker) calls ``combine_in_process`` unless
``ALERTS_COMBINE`` is off; everywhere else (Celery, tests, commands) ``alerts_ingest_shared`` is
``alerts_ingest``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone

from alerts import metrics
from alerts.models import Alert
from alerts.services.intake import AlertInput, alert_fingerprint, alerts_store, alerts_validate

logger = logging.getLogger(__name__)

_enabled = False
_cond = threading.Condition()
_pending: list[_Webhook] = []
_busy = False


@dataclass(eq=False)
class _Webhook:
    """One request's alerts, queued; ``done`` once ``result`` or ``error`` is set."""

    items: list[AlertInput]
    source: str
    fingerprints: frozenset[str]
    result: list[Alert] | None = None
    error: BaseException | None = None
    done: bool = False


def combine_in_process() -> None:
    """Let this process's concurrent webhooks share transactions (called once by ``sre/wsgi.py``)."""
    global _enabled
    _enabled = True


def combine_stop() -> None:
    """Back to one transaction per webhook (tests)."""
    global _enabled
    _enabled = False


def alerts_ingest_shared(*, items: list[AlertInput], source: str) -> list[Alert]:
    """``alerts_ingest`` of one webhook, in a transaction shared with the webhooks that arrive with it in this
    process (see the module). Returns this webhook's alerts once they are committed; raises what storing it
    raised (``InvalidInputError`` before anything is queued)."""
    alerts_validate(items=items)
    if not _enabled:
        return alerts_store(items=items, source=source, now=timezone.now())
    webhook = _Webhook(items, source, frozenset(alert_fingerprint(item) for item in items))
    global _busy
    with _cond:
        _pending.append(webhook)
        while not webhook.done:
            if _busy:
                _cond.wait()
                continue
            _busy = True
            batch = _take()
            _cond.release()
            try:
                _write(batch)
            finally:
                _cond.acquire()
                _busy = False
                _cond.notify_all()
    if webhook.error is not None:
        raise webhook.error
    assert webhook.result is not None
    return webhook.result


def _take() -> list[_Webhook]:
    """The next transaction's webhooks, taken off the queue: the first queued, then every later one of the same
    source that shares no fingerprint with any webhook queued before it, up to ``ALERTS_MAX_BATCH`` alerts."""
    first = _pending[0]
    limit = int(settings.SRE.get("ALERTS_MAX_BATCH", 1000))
    batch, count, claimed = [first], len(first.items), set(first.fingerprints)
    for webhook in _pending[1:]:
        fits = webhook.source == first.source and count + len(webhook.items) <= limit
        if fits and not (webhook.fingerprints & claimed):
            batch.append(webhook)
            count += len(webhook.items)
        claimed |= webhook.fingerprints  # a later webhook sharing these must wait for this one
    for webhook in batch:
        _pending.remove(webhook)
    return batch


def _write(batch: list[_Webhook]) -> None:
    """Store the batch in one transaction, or each webhook alone if that fails; every webhook ends ``done``."""
    metrics.INTAKE_WEBHOOKS_PER_TRANSACTION.observe(len(batch))
    try:
        if len(batch) == 1:
            _write_alone(batch[0])
            return
        items = [item for webhook in batch for item in webhook.items]
        try:
            alerts = alerts_store(items=items, source=batch[0].source, now=timezone.now())
        except Exception:  # whichever webhook caused it, the others must not share its fate
            logger.warning("A shared intake transaction of %s webhooks failed; writing each alone", len(batch),
                           exc_info=True)  # fmt: skip
            for webhook in batch:
                # The failure may have broken this thread's connection (a server restart): as at a request's
                # end, drop it if so, or every webhook of the batch would fail on it.
                connection.close_if_unusable_or_obsolete()
                _write_alone(webhook)
            return
        start = 0
        for webhook in batch:
            webhook.result = alerts[start : start + len(webhook.items)]
            webhook.done = True
            start += len(webhook.items)
    finally:
        for webhook in batch:
            if not webhook.done:  # interrupted (the process is going down): the request fails, nothing is half-kept
                webhook.error = webhook.error or RuntimeError("intake was interrupted")
                webhook.done = True


def _write_alone(webhook: _Webhook) -> None:
    try:
        webhook.result = alerts_store(items=webhook.items, source=webhook.source, now=timezone.now())
    except Exception as exc:  # noqa: BLE001 - handed to the request that sent it, which raises it
        webhook.error = exc
    webhook.done = True
