"""The web process's own delivery threads (alerts.relay): a notification is sent from the process that wrote it,
right after commit, without the broker; a web worker SIGKILLed mid-delivery loses nothing (the outbox sweep
hands the row to Celery once its lease expires), and PagerDuty sees one incident."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.utils import timezone

from alerts import metrics, relay
from alerts.models import AlertGroup, DeliveryAttempt, Notification
from alerts.services import alert_raise, group_resolve
from sre.choices import Role
from sre.services import api_token_create, user_set_role
from tests.alerts.test_reliability import all_delivered, resolve_and_check_one_incident, wait_ticking, worker_env
from tests.alerts.worker import delivery_worker
from tests.sre.factories import UserFactory
from tests.support import celery_worker as worker_support
from tests.support.servers import free_port, stop_process, wait_for

ROOT = Path(__file__).resolve().parents[2]
LABELS = {"alertname": "RelayBurn", "service": "payments-api", "severity": "critical"}


def test_committed_notification_is_delivered_by_the_relay_thread_not_celery(pd_tree, pd_stub, relaying):
    accepted_before = metrics.RELAY_SUBMITTED.labels(outcome="accepted")._value.get()
    alert_raise(labels=LABELS, annotations={}, status="firing", source="test", now=timezone.now())
    wait_for(all_delivered, timeout=30, what="the trigger delivered by a relay thread")
    attempt = DeliveryAttempt.objects.get()
    assert attempt.outcome == "success" and attempt.worker.endswith(f":{os.getpid()}")
    assert relaying == []  # nothing went through the broker
    assert [b["event_action"] for b in pd_stub.accepted()] == ["trigger"]
    assert metrics.RELAY_SUBMITTED.labels(outcome="accepted")._value.get() == accepted_before + 1


def test_new_group_is_claimed_in_the_intake_transaction(pd_tree, pd_stub, relaying, claims):
    """The trigger of a new group is claimed with the alerts (no second transaction to claim it): committed
    in flight with its ledger row, and the relay thread sends it without calling ``_claim``."""
    pd_stub.hold_next()
    alert_raise(labels=LABELS, annotations={}, status="firing", source="test", now=timezone.now())
    trigger = Notification.objects.get()
    assert (trigger.state, trigger.attempts) == ("sending", 1)
    assert DeliveryAttempt.objects.get().outcome == "in_flight"
    assert pd_stub.held.wait(30)
    pd_stub.release()
    wait_for(all_delivered, timeout=30, what="the trigger")
    assert claims == []
    assert list(DeliveryAttempt.objects.values_list("number", "outcome")) == [(1, "success")]


def test_open_breaker_is_not_claimed_with_the_alerts(pd_tree, pd_stub, relaying):
    """With the receiver's breaker open the row is written pending and claimed the usual way (deferred)."""
    from alerts.models import Receiver

    Receiver.objects.filter(pk=pd_tree.receiver_id).update(
        breaker_failures=5, breaker_open_until=timezone.now() + dt.timedelta(minutes=5)
    )
    alert_raise(labels=LABELS, annotations={}, status="firing", source="test", now=timezone.now())
    wait_for(lambda: Notification.objects.get().last_error, timeout=30, what="the relay thread's claim")
    trigger = Notification.objects.get()
    assert (trigger.state, trigger.attempts, trigger.last_error) == ("pending", 0, "deferred: circuit breaker open")
    assert not DeliveryAttempt.objects.exists() and not pd_stub.requests


def test_claim_that_waited_too_long_is_released_and_claimed_anew(pd_tree, pd_stub, relaying, settings):
    """A claimed attempt the relay could not start within half the lease margin is not sent on that claim
    (its lease could run out mid-request): the ledger records it as not sent, and a new claim sends it."""
    settings.SRE = {**settings.SRE, "ALERTS_LEASE_MARGIN": 0.0001}  # every claim is "too old" by the time it runs
    alert_raise(labels=LABELS, annotations={}, status="firing", source="test", now=timezone.now())
    wait_for(all_delivered, timeout=30, what="the trigger")
    attempts = list(DeliveryAttempt.objects.order_by("number").values_list("outcome", "error"))
    assert attempts == [("lost", "not sent: waited too long in the relay queue"), ("success", "")]
    assert [b["event_action"] for b in pd_stub.accepted()] == ["trigger"]


def test_relay_thread_survives_a_failing_delivery_and_leaves_the_row_to_the_sweep(
    pd_tree, pd_stub, relaying, monkeypatch, settings
):
    import alerts.services.delivery as delivery

    # One relay thread, so the deliveries below prove it outlived the error; the claim's lease: 2 s + 0.5 s.
    settings.SRE = {**settings.SRE, "ALERTS_RELAY_THREADS": 1, "ALERTS_LEASE_MARGIN": 0.5}
    real = delivery.notification_send_claimed
    calls: list[int] = []

    def broken_once(notification, *args, **kwargs):
        calls.append(notification.pk)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return real(notification, *args, **kwargs)

    monkeypatch.setattr(delivery, "notification_send_claimed", broken_once)
    alert_raise(labels=LABELS, annotations={}, status="firing", source="test", now=timezone.now())
    wait_for(lambda: calls, timeout=30, what="the failing attempt")
    trigger = Notification.objects.get()
    assert trigger.state == "sending" and trigger.attempts == 1  # claimed with the alert, leased: not lost
    group = AlertGroup.objects.get()
    group_resolve(group_id=group.pk, actor="oncall", now=timezone.now())
    assert not pd_stub.accepted()  # the resolve waits for the trigger (same dedup key, in order)
    from alerts.services.delivery import notifications_sweep

    wait_for(lambda: timezone.now() > Notification.objects.get(pk=trigger.pk).lease_until, timeout=10,
             what="the lease to run out")  # fmt: skip
    notifications_sweep(now=timezone.now())  # what beat does: the trigger is taken back and handed on again
    wait_for(all_delivered, timeout=30, what="the trigger, then the resolve")
    assert [b["event_action"] for b in pd_stub.accepted()] == ["trigger", "resolve"]
    outcomes = DeliveryAttempt.objects.filter(notification=trigger).order_by("number").values_list("outcome", flat=True)
    assert list(outcomes) == ["lost", "success"]
    assert relaying == []


def test_relay_not_enabled_or_full_falls_back_to_celery(settings):
    assert relay.relay_submit(1) is False  # this process does not relay
    settings.SRE = {**settings.SRE, "ALERTS_RELAY_QUEUE": 1, "ALERTS_RELAY_THREADS": 1}
    relay.relay_in_process()
    try:
        work = relay._ensure_started()
        work.put_nowait(None)  # stop the only thread, so the queue stays full
        relay._threads[0].join(timeout=5)
        full_before = metrics.RELAY_SUBMITTED.labels(outcome="full")._value.get()
        assert relay.relay_submit(1) is True
        assert relay.relay_submit(2) is False  # full: the caller sends it to Celery
        assert metrics.RELAY_SUBMITTED.labels(outcome="full")._value.get() == full_before + 1
        assert metrics.RELAY_QUEUE._value.get() == 1  # what /metrics shows as waiting
    finally:
        relay.relay_stop(timeout=0.1)


def _children(master: int) -> list[int]:
    try:
        return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    except OSError:
        return []


@pytest.mark.integration
def test_web_worker_sigkilled_mid_delivery_loses_nothing_and_pagerduty_sees_one_incident(pd_tree, pd_stub):
    user = UserFactory()
    user_set_role(user=user, role=Role.VIEWER)
    _, token = api_token_create(user=user, name="am", scopes=["ingest"], expires_at=None, now=timezone.now())
    env_extra = worker_env(pd_stub, SRE_ALERTS_LEASE_MARGIN="0.5")
    port = free_port()
    pd_stub.hold_next()
    with tempfile.TemporaryDirectory(prefix="sre-relay-") as var:
        env = {**os.environ, **env_extra, "DATABASE_URL": worker_support.test_database_url(), "SRE_VAR_DIR": var,
               "SECRET_KEY": settings.SECRET_KEY, "GUNICORN_THREADS": "2"}  # fmt: skip
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        command = [sys.executable, "-m", "gunicorn", "sre.wsgi:application", "--config", "python:sre.gunicorn_conf",
                   "--bind", f"127.0.0.1:{port}", "--workers", "1"]  # fmt: skip
        master = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: _children(master.pid), timeout=30, what="a gunicorn worker")
            body = {"version": "4", "groupKey": "{}:{alertname=\"RelayBurn\"}", "status": "firing", "receiver": "pd",
                    "groupLabels": {"alertname": "RelayBurn"}, "commonLabels": LABELS, "commonAnnotations": {},
                    "externalURL": "http://am", "truncatedAlerts": 0,
                    "alerts": [{"status": "firing", "labels": LABELS, "annotations": {},
                                "startsAt": "2026-01-01T00:00:00Z", "endsAt": "0001-01-01T00:00:00Z"}]}  # fmt: skip
            wait_for(lambda: _post(port, token, body), timeout=30, what="the webhook accepted")
            assert pd_stub.held.wait(30), "the web worker never reached PagerDuty"
            (worker_pid,) = _children(master.pid)
            os.kill(worker_pid, signal.SIGKILL)  # mid-request: the attempt is in flight, nothing recorded after it
            pd_stub.release()
            attempt = DeliveryAttempt.objects.get()
            assert attempt.outcome == "in_flight" and attempt.worker.endswith(f":{worker_pid}")
        finally:
            stop_process(master)
    with delivery_worker(env_extra) as worker:
        wait_ticking(worker, all_delivered, timeout=60, what="the sweep to hand the trigger to Celery")
        resolve_and_check_one_incident(worker, pd_stub)


def _post(port: int, token: str, body: dict) -> bool:
    try:
        response = httpx.post(f"http://127.0.0.1:{port}/api/v1/alerts/alertmanager", content=json.dumps(body),
                              headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                              timeout=10)  # fmt: skip
    except httpx.HTTPError:
        return False
    assert response.status_code == 200, response.text
    return True


@pytest.mark.integration
def test_concurrent_batches_claiming_for_two_receivers_never_deadlock(pd_tree, pd_stub, relaying, settings):
    """Batches that notify two PagerDuty receivers, their groups in random order, from 6 threads at once:
    every batch commits (each claim locks its receiver's set; without one global order two batches can wait
    on each other) and every trigger is delivered once."""
    import random
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from alerts.choices import ReceiverKind
    from alerts.services import AlertInput, alerts_ingest
    from alerts.services.receivers import receiver_save
    from tests.alerts.factories import RouteFactory

    settings.SRE = {**settings.SRE, "ALERTS_PAGERDUTY_RATE": 100_000}
    second = receiver_save(receiver=None, data={"name": "pd-b", "kind": ReceiverKind.PAGERDUTY, "url": pd_stub.url,
                                                "timeout_seconds": 2}, routing_key="ROUTINGKEY-B")  # fmt: skip
    RouteFactory(parent=pd_tree, receiver=second, matchers=["team=b"], group_by=["alertname"], group_wait=0,
                 group_interval=1, repeat_interval=3600)  # fmt: skip
    RouteFactory(parent=pd_tree, receiver=pd_tree.receiver, matchers=["team=a"], group_by=["alertname"],
                 group_wait=0, group_interval=1, repeat_interval=3600)  # fmt: skip

    def batch(index: int) -> None:
        items = [AlertInput(labels={"alertname": f"Race{index}-{team}", "team": team}) for team in "ab" * 3]
        random.shuffle(items)
        try:
            alerts_ingest(items=items, source="test", now=timezone.now())
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(batch, range(60)))  # an exception (a deadlock) in any batch is raised here
    wait_for(all_delivered, timeout=60, what="every trigger")
    assert Notification.objects.count() == 120 == len(pd_stub.accepted())
