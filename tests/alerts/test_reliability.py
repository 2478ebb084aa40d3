"""Reliability with a real Celery worker: PagerDuty outages (503, 429, refused) and a worker SIGKILLed
mid-delivery. The PagerDuty side is the loopback HTTPS stub applying PagerDuty's dedup semantics."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from alerts.models import AlertGroup, DeliveryAttempt, Notification
from alerts.services import alert_raise, group_acknowledge, group_resolve
from tests.alerts.worker import delivery_worker

pytestmark = pytest.mark.integration

LABELS = {"alertname": "BudgetBurn", "service": "payments-api", "severity": "critical"}


def worker_env(pd_stub, **extra) -> dict[str, str]:
    return {
        "SRE_ALERTS_CA_FILE": str(pd_stub.cert),
        "SRE_ALERTS_ALLOW_PRIVATE_TARGETS": "1",
        "SRE_ALERTS_BACKOFF_BASE": "0.05",
        "SRE_ALERTS_BACKOFF_CAP": "0.4",
        "SRE_ALERTS_BREAKER_THRESHOLD": "4",
        "SRE_ALERTS_BREAKER_COOLDOWN": "0.3",
        "SRE_ALERTS_MAX_ATTEMPTS": "100",
        **extra,
    }


def tick(worker) -> None:
    """What beat does in production: flush due groups and sweep the outbox."""
    from alerts.tasks import alerts_tick

    alerts_tick.delay()


def wait_ticking(worker, condition, *, timeout: float, what: str):
    """Wait, ticking as beat does in production (the broker may drop a message; the outbox sweep recovers)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            attempts = list(
                DeliveryAttempt.objects.order_by("pk").values_list("event", "number", "outcome", "http_status")
            )
            notifications = list(Notification.objects.values_list("event", "state", "attempts", "next_attempt_at"))
            pytest.fail(
                f"timed out after {timeout}s waiting for {what}; attempts={attempts[-8:]} "
                f"notifications={notifications} stub_requests={len(worker_stub_requests(worker))}\n"
                + worker.output()[-3000:]
            )
        tick(worker)
        time.sleep(0.25)


def worker_stub_requests(worker) -> list:
    return getattr(worker, "stub_requests", [])


def refused() -> int:
    """Attempts the receiver refused (no HTTP answer), each to be retried."""
    return DeliveryAttempt.objects.filter(http_status__isnull=True, outcome="retry").count()


def all_delivered() -> bool:
    return not Notification.objects.exclude(state="delivered").exists()


def test_outage_503_then_429_then_refused_delivers_each_change_once_in_order(pd_tree, pd_stub):
    pd_stub.fail_next(503, times=3)
    pd_stub.fail_next(429, times=3)
    pd_stub.fail_next(503, times=1000)  # still down until the test switches to refusing connections
    with delivery_worker(worker_env(pd_stub)) as worker:
        alert_raise(labels=LABELS, annotations={}, status="firing", source="test", now=timezone.now())
        group = AlertGroup.objects.get()
        wait_ticking(worker, lambda: len(pd_stub.requests) >= 1, timeout=30, what="first (503) attempt")
        group_acknowledge(group_id=group.pk, actor="oncall", now=timezone.now())
        wait_ticking(worker, lambda: len(pd_stub.requests) >= 6, timeout=60, what="the 503 and 429 answers")
        pd_stub.refuse()
        pd_stub.clear_failures()  # after the refusing stretch it answers normally
        refused_before = refused()
        wait_ticking(
            worker, lambda: refused() > refused_before, timeout=60, what="an attempt against the refusing receiver"
        )
        group_resolve(group_id=group.pk, actor="oncall", now=timezone.now())
        refused_at_resolve = refused()
        wait_ticking(worker, lambda: refused() > refused_at_resolve, timeout=60, what="a refusal after the resolve")
        pd_stub.restore()
        wait_ticking(worker, all_delivered, timeout=60, what="every change delivered")
    accepted = pd_stub.accepted()
    assert [b["event_action"] for b in accepted] == ["trigger", "acknowledge", "resolve"]
    assert {b["dedup_key"] for b in accepted} == {group.dedup_key}
    assert pd_stub.transitions == [
        (group.dedup_key, "triggered"),
        (group.dedup_key, "acknowledged"),
        (group.dedup_key, "resolved"),
    ]
    trigger_attempts = list(
        DeliveryAttempt.objects.filter(event="trigger").order_by("number").values_list("http_status", "outcome")
    )
    statuses = [status for status, _ in trigger_attempts]
    assert statuses[:6] == [503, 503, 503, 429, 429, 429]
    # Refused connections are in the ledger too (on whichever change was being sent at the time).
    assert DeliveryAttempt.objects.filter(http_status__isnull=True, outcome="retry").exists()
    assert trigger_attempts[-1] == (202, "success")
    assert [
        n for (n,) in DeliveryAttempt.objects.filter(event="trigger").order_by("number").values_list("number")
    ] == list(range(1, len(trigger_attempts) + 1))


def test_worker_sigkilled_mid_delivery_loses_nothing_and_pagerduty_sees_one_incident(pd_tree, pd_stub):
    env = worker_env(pd_stub, SRE_ALERTS_LEASE_MARGIN="0.5")
    pd_stub.hold_next()
    with delivery_worker(env) as worker:
        alert_raise(labels=LABELS, annotations={}, status="firing", source="test", now=timezone.now())
        deadline = time.monotonic() + 30
        while not pd_stub.held.wait(1) and time.monotonic() < deadline:
            tick(worker)  # the outbox sweep re-queues anything the broker lost
        assert pd_stub.held.is_set(), "the worker never reached PagerDuty"
        worker.kill()  # mid-request: the ledger row is in flight, nothing recorded after it
        pd_stub.release()
        attempt = DeliveryAttempt.objects.get()
        assert attempt.outcome == "in_flight"
        worker.start()
        wait_ticking(worker, all_delivered, timeout=60, what="the trigger lost with its worker")
        resolve_and_check_one_incident(worker, pd_stub)


def resolve_and_check_one_incident(worker, pd_stub) -> None:
    """After a trigger whose first attempt was lost with its process: resolve the group, and check the ledger
    (lost, then success) and what PagerDuty saw. The trigger may have reached PagerDuty twice (once from the
    killed process), but with one dedup key: PagerDuty's dedup leaves one incident, triggered and resolved once."""
    group = AlertGroup.objects.get()
    group_resolve(group_id=group.pk, actor="oncall", now=timezone.now())
    wait_ticking(worker, all_delivered, timeout=60, what="the resolve")
    outcomes = list(
        DeliveryAttempt.objects.filter(event="trigger").order_by("number").values_list("outcome", flat=True)
    )
    assert outcomes == ["lost", "success"]
    assert pd_stub.transitions == [(group.dedup_key, "triggered"), (group.dedup_key, "resolved")]
    assert {b["dedup_key"] for b in pd_stub.accepted()} == {group.dedup_key}
