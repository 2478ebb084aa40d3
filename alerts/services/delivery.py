"""Outbox delivery: one attempt per call, recorded in the ledger before and after the request leaves.

Guarantees: per (receiver, dedup_key) notifications go out in the order they were written; a notification
is never sent while another worker holds its lease; transient failures (429, 5xx, network) are retried with
bounded exponential backoff and jitter, other failures are final; each receiver has a circuit breaker; at
most ``ALERTS_PAGERDUTY_RATE`` events per minute go to one PagerDuty routing key.
"""

from __future__ import annotations

import copy
import logging
import os
import random
import socket
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from alerts import metrics, sql
from alerts.choices import AttemptOutcome, GroupEventKind, NotificationState, ReceiverKind
from alerts.domain import delivery as rules
from alerts.models import DeliveryAttempt, GroupEvent, Notification, Receiver
from alerts.senders import SendResult, send
from alerts.services.notify import schedule_delivery

logger = logging.getLogger(__name__)
OPEN = (NotificationState.PENDING, NotificationState.SENDING)


def tunable(name: str, default: Any) -> Any:
    return settings.SRE.get(name, default)


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def notification_deliver(
    *, notification_id: int, clock: Callable[[], datetime] = timezone.now, sender: Callable[..., SendResult] = send
) -> str:
    """Try to deliver one notification once. Returns what happened (for logs and tests):
    ``delivered``, ``retry``, ``failed``, ``blocked`` (an earlier one of the same key is still open),
    ``deferred`` (breaker open / rate limited / not due), ``leased`` (another worker has it) or ``done``."""
    claim = _claim(notification_id, now=clock())
    if isinstance(claim, str):
        return claim
    notification, receiver, attempt = claim
    return notification_send_claimed(notification, receiver, attempt.pk, clock=clock, sender=sender)


def notification_send_claimed(
    notification: Notification,
    receiver: Receiver,
    attempt_id: int,
    *,
    clock: Callable[[], datetime] = timezone.now,
    sender: Callable[..., SendResult] = send,
) -> str:
    """Make the attempt a claim started (``_claim``, or ``notification_claim_new`` in the writer's
    transaction) and record its result."""
    started = time.perf_counter()
    result = sender(receiver, event=notification.event, payload=notification.payload, dedup_key=notification.dedup_key)
    latency_ms = (time.perf_counter() - started) * 1000
    return _complete(notification, receiver, attempt_id, result=result, latency_ms=latency_ms, now=clock())


def notification_claim_new(
    notification: Notification, receiver: Receiver, *, now: datetime, new_group: bool
) -> Receiver | None:
    """The relay's fast path: claim a notification inside the transaction that writes it (before it is saved),
    so the thread that sends it needs no transaction of its own to claim it.

    The checks are ``_claim``'s: nothing earlier of the same key still open (not asked for a group this
    transaction created: it has no notifications yet), the breaker closed, the rate limit not reached, taken
    under the same receiver locks. On success ``notification`` is marked in flight (the caller saves it, then
    calls ``attempt_start``) and a copy of the receiver with its breaker state as read is returned; None means
    wait: the row is written pending and claimed the usual way.

    On PostgreSQL the intake does not serialise on the receiver: a closed breaker is read without a lock (its
    only writer racing us opens it one attempt late, as an attempt in flight would), and the rate limit is
    checked under the routing key's shared lock, deep enough that every connection sending at once stays
    within it (``rules.shared_rate_depth``). Closer to the limit, or when the limit is too small for that, the
    receivers are locked as ``_claim`` locks them."""
    digest = receiver.routing_key_digest if receiver.kind == ReceiverKind.PAGERDUTY else ""
    if not new_group and sql.open_notification_exists(receiver_id=receiver.pk, dedup_key=notification.dedup_key):
        return None
    state = _breaker_unlocked(receiver, digest, now=now)
    if state == "lock":
        breaker = dict(_lock_receivers(receiver, digest))
        if receiver.pk not in breaker or (digest and _rate_wait(digest, now=now) > 0):
            return None
        state = breaker[receiver.pk]
    if isinstance(state, str) or state[1] is not None:  # "wait" (a "lock" became the locked state above)
        return None  # gone, near the rate limit, or the breaker is open or half-open: ``_claim`` decides
    fresh = copy.copy(receiver)
    fresh.breaker_failures, fresh.breaker_open_until = state
    notification.attempts = 1
    notification.state = NotificationState.SENDING
    notification.lease_until = _lease_until(receiver, now=now)
    return fresh


def _breaker_unlocked(receiver: Receiver, digest: str, *, now: datetime) -> tuple[int, datetime | None] | str:
    """``notification_claim_new`` on PostgreSQL: the breaker state (failures, open until) read without locking
    the receivers, when the rate limit allows a shared claim (see there); ``wait`` when the claim must wait
    (receiver gone, or too close to the limit); ``lock`` when the receivers must be locked instead."""
    if connection.vendor != "postgresql":
        return "lock"
    depth, limit = 0, _rate_limit()
    if not limit:
        digest = ""  # no limit: nothing to count, no lock to share
    if digest:
        shared = rules.shared_rate_depth(limit=limit, concurrency=sql.max_connections())
        if shared is None:
            return "lock"
        depth = shared
        sql.rate_key_share(digest)
    state = sql.receiver_state(pk=receiver.pk, digest=digest, since=now - timedelta(seconds=60), depth=depth)
    if state is None or state[2]:
        return "wait"  # gone, or near the limit: ``_claim`` decides under the exclusive lock
    return state[0], state[1]


def notification_release(notification: Notification, attempt_id: int, *, reason: str) -> bool:
    """Give back an attempt claimed but not made (the relay could not send it in time): the attempt is
    recorded as lost with the reason and the row is pending again. False when another worker took it over."""
    with transaction.atomic():
        released = Notification.objects.filter(
            pk=notification.pk, attempts=notification.attempts, state=NotificationState.SENDING
        ).update(state=NotificationState.PENDING, lease_until=None, last_error=f"released: {reason}")
        if released:
            DeliveryAttempt.objects.filter(pk=attempt_id, outcome=AttemptOutcome.IN_FLIGHT).update(
                outcome=AttemptOutcome.LOST, error=f"not sent: {reason}"
            )
    return bool(released)


def _lease_until(receiver: Receiver, *, now: datetime) -> datetime:
    return now + timedelta(seconds=receiver.timeout_seconds + tunable("ALERTS_LEASE_MARGIN", 30))


def attempt_start(notification: Notification, receiver: Receiver, *, now: datetime) -> DeliveryAttempt:
    """The ledger row of the attempt just claimed (``notification.attempts`` is its number), in flight."""
    attempt = attempt_new(notification, receiver, now=now)
    sql.insert_rows([attempt])
    return attempt


def attempt_new(notification: Notification, receiver: Receiver, *, now: datetime) -> DeliveryAttempt:
    """``attempt_start``'s row, not yet written (its notification may not be written yet either)."""
    return DeliveryAttempt(
        notification=notification,
        receiver=receiver,
        group_id=notification.group_id,
        number=notification.attempts,
        event=notification.event,
        dedup_key=notification.dedup_key,
        payload_hash=notification.payload_hash,
        routing_key_digest=receiver.routing_key_digest if receiver.kind == ReceiverKind.PAGERDUTY else "",
        started_at=now,
        worker=_worker_name(),
        requested_by=notification.requested_by,
    )


def _claim(notification_id: int, *, now: datetime) -> str | tuple[Notification, Receiver, DeliveryAttempt]:
    with transaction.atomic():
        # One query: the row (locked), its receiver, and whether an earlier one of the same key is still open.
        earlier_open = Notification.objects.filter(
            receiver_id=OuterRef("receiver_id"), dedup_key=OuterRef("dedup_key"), state__in=OPEN, pk__lt=OuterRef("pk")
        )
        notification = (
            Notification.objects.select_for_update(of=("self",), no_key=True)
            .select_related("receiver")
            .annotate(blocked=Exists(earlier_open))
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            logger.info("Notification %s vanished; nothing to deliver", notification_id)
            return "done"
        if notification.state not in OPEN:
            return "done"
        if (
            notification.state == NotificationState.SENDING
            and notification.lease_until
            and notification.lease_until > now
        ):
            return "leased"
        if notification.next_attempt_at > now:
            return "deferred"
        if notification.blocked:
            return "blocked"
        receiver = notification.receiver
        if receiver.breaker_open_until is not None:
            # Read the breaker again under lock, locking the receiver's whole lock set the way everyone does.
            digest = receiver.routing_key_digest if receiver.kind == ReceiverKind.PAGERDUTY else ""
            fresh = dict(_lock_receivers(receiver, digest))
            if receiver.pk in fresh:
                receiver.breaker_failures, receiver.breaker_open_until = fresh[receiver.pk]
        if notification.attempts:
            # A previous attempt still "in flight" means its worker died mid-request: record that.
            DeliveryAttempt.objects.filter(notification=notification, outcome=AttemptOutcome.IN_FLIGHT).update(
                outcome=AttemptOutcome.LOST, error="worker died before recording the result"
            )
        breaker = rules.Breaker(failures=receiver.breaker_failures, open_until=receiver.breaker_open_until)
        if not rules.breaker_allows(breaker, now=now) and breaker.open_until is not None:  # not allowed: it is set
            _defer(notification, until=breaker.open_until, now=now, reason="circuit breaker open")
            return "deferred"
        if receiver.breaker_open_until is not None:
            # Half-open: this attempt is the one trial; others wait another cool-down.
            receiver.breaker_open_until = now + timedelta(seconds=tunable("ALERTS_BREAKER_COOLDOWN", 30))
            receiver.save(update_fields=["breaker_open_until"])
        if receiver.kind == ReceiverKind.PAGERDUTY and receiver.routing_key_digest:
            wait = _rate_limit_wait(receiver, now=now)
            if wait > 0:
                _defer(notification, until=now + timedelta(seconds=wait), now=now, reason="rate limit")
                return "deferred"
        notification.attempts += 1
        notification.state = NotificationState.SENDING
        notification.lease_until = _lease_until(receiver, now=now)
        notification.save(update_fields=["attempts", "state", "lease_until"])
        attempt = attempt_start(notification, receiver, now=now)
    return notification, receiver, attempt


def _rate_limit_wait(receiver: Receiver, *, now: datetime) -> float:
    """Seconds until the key may take another event, with every receiver sharing the key locked (so two
    receivers cannot both take the last slot)."""
    _lock_receivers(receiver, receiver.routing_key_digest)
    return _rate_wait(receiver.routing_key_digest, now=now)


def _lock_receivers(receiver: Receiver, digest: str) -> list[tuple[int, tuple[int, datetime | None]]]:
    """Lock the receiver's lock set: itself and every receiver sharing its routing key, in pk order; returns
    their breaker states (failures, open until) by pk. A transaction that locks several sets takes them in
    ``receiver_lock_rank`` order, so no two transactions can wait on each other."""
    rows = sql.receivers_lock(pk=receiver.pk, digest=digest)
    if digest and connection.vendor == "postgresql":
        sql.rate_key_lock(digest)  # and wait for the claims that share the key (``notification_claim_new``)
    return [(pk, (failures, open_until)) for pk, failures, open_until in rows]


def receiver_lock_rank(receiver: Receiver | None, receivers: Iterable[Receiver]) -> int:
    """``rules.lock_rank`` of the receiver's lock set (0 without a receiver)."""
    if receiver is None:
        return 0
    digest = receiver.routing_key_digest if receiver.kind == ReceiverKind.PAGERDUTY else ""
    return rules.lock_rank(pk=receiver.pk, digest=digest, receivers=((r.pk, r.routing_key_digest) for r in receivers))


def _rate_limit() -> int:
    """Events a minute per PagerDuty routing key (``ALERTS_PAGERDUTY_RATE``); 0: no limit."""
    return max(0, int(tunable("ALERTS_PAGERDUTY_RATE", 100)))


def _rate_wait(digest: str, *, now: datetime) -> float:
    """Only the ``limit``-th most recent attempt inside the window matters (a sliding window is full exactly
    when that one exists), so one row is read, not the whole window: the cost grows with the limit, not with
    the traffic."""
    limit = _rate_limit()
    if not limit:
        return 0.0
    window = 60.0
    nth = sql.nth_recent_attempt(digest=digest, since=now - timedelta(seconds=window), n=limit)
    return rules.rate_limit_wait_nth(nth_most_recent=nth, now=now, window=window)


def _defer(notification: Notification, *, until: datetime, now: datetime, reason: str) -> None:
    notification.state = NotificationState.PENDING
    notification.next_attempt_at = until
    notification.lease_until = None
    notification.last_error = f"deferred: {reason}"
    notification.save(update_fields=["state", "next_attempt_at", "lease_until", "last_error"])
    schedule_delivery(notification.pk, countdown=max(0.05, (until - now).total_seconds()))


def _complete(
    notification: Notification,
    receiver: Receiver,
    attempt_id: int,
    *,
    result: SendResult,
    latency_ms: float,
    now: datetime,
) -> str:
    """Record the result of the attempt ``_claim`` started (``notification`` and ``receiver`` as claimed).

    The attempt is still ours only while the row's ``attempts`` is the number we claimed: a worker that took
    over after our lease expired raised it (and marked our attempt lost). Both writes are conditional, so
    nothing is read again here."""
    number = notification.attempts
    transient = not result.ok and rules.is_transient(status=result.status, network_error=result.network_error)
    if result.ok:
        outcome = AttemptOutcome.SUCCESS
    elif transient and number < tunable("ALERTS_MAX_ATTEMPTS", 12):
        outcome = AttemptOutcome.RETRY
    else:
        outcome = AttemptOutcome.FAILED
    breaker = rules.breaker_after(
        rules.Breaker(failures=receiver.breaker_failures, open_until=receiver.breaker_open_until),
        success=result.ok or not transient,
        now=now,
        threshold=tunable("ALERTS_BREAKER_THRESHOLD", 5),
        cooldown=tunable("ALERTS_BREAKER_COOLDOWN", 30),
    )
    delay = 0.0
    if outcome == AttemptOutcome.RETRY:
        delay = rules.backoff_seconds(
            attempt=number,
            base=tunable("ALERTS_BACKOFF_BASE", 2.0),
            cap=tunable("ALERTS_BACKOFF_CAP", 300.0),
            jitter=random.random(),
        )
        if breaker.open_until is not None:
            delay = max(delay, (breaker.open_until - now).total_seconds())
    last_error = "" if result.ok else result.error or f"HTTP {result.status}"
    record = rules.AttemptRecord(
        state={
            AttemptOutcome.SUCCESS: NotificationState.DELIVERED,
            AttemptOutcome.RETRY: NotificationState.PENDING,
        }.get(outcome, NotificationState.FAILED),
        last_error=last_error,
        delivered_at=now if result.ok else None,
        next_attempt_at=now + timedelta(seconds=delay) if outcome == AttemptOutcome.RETRY else None,
        outcome=outcome,
        http_status=result.status,
        latency_ms=round(latency_ms, 3),
        error=result.error[:2000],
        # The timeline names each final outcome (a retry is only in the ledger).
        event_kind="" if outcome == AttemptOutcome.RETRY else
        (GroupEventKind.DELIVERED if result.ok else GroupEventKind.DELIVERY_FAILED),
        event_message=f"{notification.event} → {receiver.name}" + ("" if result.ok else f": {last_error[:200]}"),
        final=outcome != AttemptOutcome.RETRY,
    )  # fmt: skip
    if connection.vendor == "postgresql":
        taken, following = sql.attempt_complete_pg(
            record, notification_id=notification.pk, number=number, attempt_id=attempt_id,
            group_id=notification.group_id, now=now,
        )  # fmt: skip
    else:
        taken, following = _record_orm(notification, attempt_id, record, now=now)
    if not taken:
        # Another worker took over (or the row vanished): keep its record, add ours as a late result.
        attempt = DeliveryAttempt.objects.filter(pk=attempt_id).first()
        if attempt is not None:
            attempt.error = (attempt.error + "; late result: " + ("ok" if result.ok else result.error))[:2000]
            attempt.save(update_fields=["error"])
        return "done"
    if (breaker.failures, breaker.open_until) != (receiver.breaker_failures, receiver.breaker_open_until):
        # Only failures and recoveries write the receiver row (the common success path does not).
        Receiver.objects.filter(pk=receiver.pk).update(
            breaker_failures=breaker.failures, breaker_open_until=breaker.open_until
        )
    if outcome == AttemptOutcome.SUCCESS and notification.ingested_at:
        metrics.DELIVERY_LATENCY.labels(kind=receiver.kind).observe(
            max(0.0, (now - notification.ingested_at).total_seconds())
        )
    metrics.NOTIFICATIONS.labels(receiver=receiver.name, outcome=outcome).inc()
    if outcome == AttemptOutcome.RETRY:
        schedule_delivery(notification.pk, countdown=delay)
    elif following:
        schedule_delivery(following)
    return "delivered" if result.ok else str(outcome)


def _record_orm(
    notification: Notification, attempt_id: int, record: rules.AttemptRecord, *, now: datetime
) -> tuple[bool, int | None]:
    """Other backends: ``sql.attempt_complete_pg``'s writes in one transaction. Both return whether the attempt
    was still ours (the row's ``attempts`` is the number we claimed; both writes are conditional, nothing is
    read again) and the next pending notification of the same key, if any, once this one is final."""
    changes: dict[str, Any] = {"state": record.state, "last_error": record.last_error, "lease_until": None}
    if record.delivered_at is not None:
        changes["delivered_at"] = record.delivered_at
    if record.next_attempt_at is not None:
        changes["next_attempt_at"] = record.next_attempt_at
    with transaction.atomic():
        if not Notification.objects.filter(pk=notification.pk, attempts=notification.attempts).update(**changes):
            return False, None
        DeliveryAttempt.objects.filter(pk=attempt_id, outcome=AttemptOutcome.IN_FLIGHT).update(
            http_status=record.http_status, latency_ms=record.latency_ms, error=record.error, outcome=record.outcome
        )
        if notification.group_id and record.event_kind:
            GroupEvent.objects.create(
                group_id=notification.group_id, at=now, kind=record.event_kind, message=record.event_message
            )
        return True, _next_in_key(notification) if record.final else None


def _next_in_key(notification: Notification) -> int | None:
    return (
        Notification.objects.filter(
            receiver_id=notification.receiver_id,
            dedup_key=notification.dedup_key,
            state=NotificationState.PENDING,
            pk__gt=notification.pk,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


def notifications_sweep(*, now: datetime, limit: int = 500) -> int:
    """The outbox relay's safety net: re-queue due pending notifications (first of each key) and take back
    those whose worker died mid-delivery (lease expired). Returns how many were queued."""
    with transaction.atomic():
        stale = Notification.objects.select_for_update(no_key=True).filter(
            state=NotificationState.SENDING, lease_until__lt=now
        )
        for notification in stale:
            notification.state = NotificationState.PENDING
            notification.next_attempt_at = now
            notification.save(update_fields=["state", "next_attempt_at"])
        due = (
            Notification.objects.filter(state=NotificationState.PENDING, next_attempt_at__lte=now)
            .order_by("pk")
            .values_list("pk", "receiver_id", "dedup_key")[: limit * 4]
        )
        seen: set[tuple[int, str]] = set()
        queued = 0
        for pk, receiver_id, dedup_key in due:
            if (receiver_id, dedup_key) in seen:
                continue
            seen.add((receiver_id, dedup_key))
            schedule_delivery(pk)
            queued += 1
            if queued >= limit:
                break
    return queued
