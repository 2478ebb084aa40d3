"""Delivery to PagerDuty through the official client against the loopback HTTPS stub."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.utils import timezone

from alerts.choices import AttemptOutcome, NotificationState
from alerts.models import DeliveryAttempt, Notification, Receiver
from alerts.services import alert_raise, group_acknowledge, group_resolve
from alerts.services.delivery import notification_deliver

LABELS = {"alertname": "HighErrorRate", "service": "checkout", "slo": "availability", "severity": "warning"}


def fire(status="firing", labels=LABELS):
    return alert_raise(
        labels=labels, annotations={"summary": "5xx up"}, status=status, source="test", now=timezone.now()
    )


def deliver_all(max_rounds=50):
    """Run delivery of every open notification until none is due (time is real; backoff is tiny)."""
    import time

    for _ in range(max_rounds):
        open_ = list(Notification.objects.filter(state__in=["pending", "sending"]).order_by("pk"))
        if not open_:
            return
        for n in open_:
            notification_deliver(notification_id=n.pk)
        time.sleep(0.06)
    raise AssertionError("notifications still open")


def test_trigger_ack_resolve_reach_pagerduty_with_one_dedup_key(pd_route, pd_stub):
    fire()
    deliver_all()
    group = Notification.objects.get().group
    group_acknowledge(group_id=group.pk, actor="alice", now=timezone.now())
    deliver_all()
    group_resolve(group_id=group.pk, actor="alice", now=timezone.now())
    deliver_all()
    bodies = pd_stub.accepted()
    assert [b["event_action"] for b in bodies] == ["trigger", "acknowledge", "resolve"]
    assert {b["dedup_key"] for b in bodies} == {group.dedup_key}
    trigger = bodies[0]
    assert trigger["payload"]["severity"] == "warning"
    assert trigger["payload"]["summary"].startswith("[TRIGGER:1] HighErrorRate: 5xx up")
    hrefs = [link["href"] for link in trigger["links"]]
    assert any(f"/alerts/groups/{group.pk}/" in h for h in hrefs)
    assert any("slo=availability" in h for h in hrefs)
    assert trigger["routing_key"] == "R0UTINGKEY0000000000000000000001"
    assert pd_stub.transitions == [
        (group.dedup_key, "triggered"),
        (group.dedup_key, "acknowledged"),
        (group.dedup_key, "resolved"),
    ]


def test_routing_key_encrypted_at_rest_and_not_logged(pd_route, pd_stub, caplog):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT routing_key FROM alerts_receiver WHERE name = 'pagerduty'")
        (stored,) = cursor.fetchone()
    assert "R0UTINGKEY" not in stored
    assert Receiver.objects.get(name="pagerduty").routing_key == "R0UTINGKEY0000000000000000000001"
    pd_stub.fail_next(500)
    caplog.set_level(logging.DEBUG)
    fire()
    deliver_all()
    assert "R0UTINGKEY0000000000000000000001" not in caplog.text
    assert "R0UTINGKEY" not in "".join(DeliveryAttempt.objects.values_list("error", flat=True))


@pytest.mark.parametrize("status", [429, 500, 503])
def test_transient_status_is_retried_and_ledger_shows_each_attempt(pd_route, pd_stub, status):
    pd_stub.fail_next(status, times=2)
    fire()
    deliver_all()
    attempts = list(DeliveryAttempt.objects.order_by("number").values_list("number", "outcome", "http_status"))
    assert attempts == [(1, "retry", status), (2, "retry", status), (3, "success", 202)]
    assert Notification.objects.get().state == NotificationState.DELIVERED


def test_other_4xx_fails_without_retry(pd_route, pd_stub):
    pd_stub.fail_next(400)
    fire()
    deliver_all()
    (attempt,) = DeliveryAttempt.objects.all()
    assert attempt.outcome == AttemptOutcome.FAILED and attempt.http_status == 400
    notification = Notification.objects.get()
    assert notification.state == NotificationState.FAILED
    assert "400" in notification.last_error


def test_refused_connection_is_network_error_and_retried(pd_route, pd_stub):
    pd_stub.refuse()
    fire()
    notification = Notification.objects.get()
    assert notification_deliver(notification_id=notification.pk) == "retry"
    attempt = DeliveryAttempt.objects.get()
    assert attempt.http_status is None and attempt.error
    pd_stub.restore()
    deliver_all()
    assert Notification.objects.get().state == NotificationState.DELIVERED


def test_attempts_are_bounded(pd_route, pd_stub, settings):
    settings.SRE = {**settings.SRE, "ALERTS_MAX_ATTEMPTS": 3, "ALERTS_BREAKER_THRESHOLD": 100}
    pd_stub.fail_next(503, times=10)
    fire()
    deliver_all()
    assert DeliveryAttempt.objects.count() == 3
    assert Notification.objects.get().state == NotificationState.FAILED


def test_circuit_breaker_opens_after_threshold(pd_route, pd_stub, settings):
    settings.SRE = {**settings.SRE, "ALERTS_BREAKER_THRESHOLD": 2, "ALERTS_BREAKER_COOLDOWN": 3600}
    pd_stub.fail_next(503, times=2)
    fire()
    n = Notification.objects.get()
    notification_deliver(notification_id=n.pk)
    Notification.objects.filter(pk=n.pk).update(next_attempt_at=timezone.now())
    notification_deliver(notification_id=n.pk)
    receiver = Receiver.objects.get(name="pagerduty")
    assert receiver.breaker_open_until is not None
    Notification.objects.filter(pk=n.pk).update(next_attempt_at=timezone.now())
    assert notification_deliver(notification_id=n.pk) == "deferred"
    assert DeliveryAttempt.objects.count() == 2  # the open breaker sent nothing


def test_rate_limit_per_routing_key(pd_route, pd_stub, settings):
    settings.SRE = {**settings.SRE, "ALERTS_PAGERDUTY_RATE": 3}
    for index in range(5):
        fire(labels={**LABELS, "alertname": f"A{index}"})
    results = [notification_deliver(notification_id=n.pk) for n in Notification.objects.order_by("pk")]
    assert results == ["delivered"] * 3 + ["deferred"] * 2
    assert len(pd_stub.accepted()) == 3
    deferred = Notification.objects.filter(state="pending").first()
    assert deferred.next_attempt_at > timezone.now() + dt.timedelta(seconds=50)


def test_rate_limit_zero_means_no_limit(pd_route, pd_stub, settings):
    settings.SRE = {**settings.SRE, "ALERTS_PAGERDUTY_RATE": 0}
    for index in range(5):
        fire(labels={**LABELS, "alertname": f"A{index}"})
    results = [notification_deliver(notification_id=n.pk) for n in Notification.objects.order_by("pk")]
    assert results == ["delivered"] * 5
    assert len(pd_stub.accepted()) == 5


def test_result_after_another_worker_took_over_is_recorded_as_late(pd_route, pd_stub):
    from alerts.senders import SendResult

    fire()
    notification = Notification.objects.get()
    taken_over = []

    def slow_sender(receiver, **kwargs):
        # Our lease runs out mid-request: another worker takes the row over and delivers it.
        later = timezone.now() + dt.timedelta(hours=1)
        taken_over.append(notification_deliver(notification_id=notification.pk, clock=lambda: later))
        return SendResult(ok=True, status=202)

    assert notification_deliver(notification_id=notification.pk, sender=slow_sender) == "done"
    assert taken_over == ["delivered"]
    attempts = list(DeliveryAttempt.objects.order_by("number").values_list("number", "outcome", "error"))
    assert attempts[0][:2] == (1, AttemptOutcome.LOST) and "late result: ok" in attempts[0][2]
    assert attempts[1][:2] == (2, AttemptOutcome.SUCCESS)
    notification.refresh_from_db()
    assert (notification.state, notification.attempts) == (NotificationState.DELIVERED, 2)
    assert len(pd_stub.accepted()) == 1
