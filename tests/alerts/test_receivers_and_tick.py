"""Webhook (signed) and email receivers, the periodic tick, timing (group_wait / repeat_interval),
inhibition and mute time intervals, and /metrics."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.utils import timezone

from alerts.choices import ReceiverKind
from alerts.models import AlertGroup, DeliveryAttempt, InhibitRule, Notification, TimeInterval
from alerts.services import alert_raise, groups_flush_due
from alerts.services.delivery import notification_deliver, notifications_sweep
from alerts.services.receivers import receiver_save
from tests.alerts.factories import RouteFactory
from tests.support.servers import free_port

T0 = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)


def fire(labels, now=T0, status="firing"):
    return alert_raise(labels=labels, annotations={"summary": "s"}, status=status, source="test", now=now)


@pytest.fixture
def hook_server():
    received: list[tuple[dict, bytes]] = []
    answers: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers, body))
            self.send_response(answers.pop(0) if answers else 204)
            self.end_headers()

    server = HTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received, answers
    server.shutdown()
    server.server_close()


def test_webhook_receiver_signs_body_and_retries_5xx(db, settings, hook_server):
    url, received, answers = hook_server
    settings.SRE = {**settings.SRE, "ALERTS_ALLOW_PRIVATE_TARGETS": True, "ALERTS_BACKOFF_BASE": 0.01}
    receiver = receiver_save(
        receiver=None, data={"name": "hook", "kind": ReceiverKind.WEBHOOK, "url": url}, secret="s3cret"
    )
    RouteFactory(name="root", parent=None, receiver=receiver, group_by=["alertname"], group_wait=0)
    answers.append(502)
    fire({"alertname": "Disk", "host": "a"})
    notification = Notification.objects.get()
    assert notification_deliver(notification_id=notification.pk) == "retry"
    Notification.objects.filter(pk=notification.pk).update(next_attempt_at=timezone.now())
    assert notification_deliver(notification_id=notification.pk) == "delivered"
    headers, body = received[-1]
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-SRE-Signature"] == expected
    payload = json.loads(body)
    assert payload["event"] == "trigger" and payload["alerts"][0]["labels"]["host"] == "a"
    assert payload["link"].endswith(f"/alerts/groups/{notification.group_id}/")
    assert list(DeliveryAttempt.objects.order_by("number").values_list("http_status", flat=True)) == [502, 204]


def test_webhook_to_private_address_is_refused_at_send_time(db, settings):
    receiver = receiver_save(receiver=None, data={"name": "hook", "kind": ReceiverKind.LEDGER, "url": ""}, secret="x")
    receiver.kind, receiver.url = ReceiverKind.WEBHOOK, "http://127.0.0.1:9/x"  # e.g. written before the check
    receiver.save()
    RouteFactory(name="root", parent=None, receiver=receiver, group_by=["alertname"], group_wait=0)
    fire({"alertname": "Disk"})
    assert notification_deliver(notification_id=Notification.objects.get().pk) == "failed"
    assert "not allowed" in DeliveryAttempt.objects.get().error


def test_email_receiver(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    receiver = receiver_save(
        receiver=None,
        data={"name": "mail", "kind": ReceiverKind.EMAIL, "email_to": "oncall@example.com, b@example.com"},
    )
    RouteFactory(name="root", parent=None, receiver=receiver, group_by=["alertname"], group_wait=0)
    fire({"alertname": "Disk", "host": "a"})
    assert notification_deliver(notification_id=Notification.objects.get().pk) == "delivered"
    (message,) = mail.outbox
    assert message.to == ["oncall@example.com", "b@example.com"]
    assert "Disk" in message.subject and "host=a" in message.body


def test_group_wait_then_tick_flushes_and_repeat_interval_repeats(root_route):
    root_route.group_wait, root_route.repeat_interval = 30, 600
    root_route.save()
    fire({"alertname": "Disk", "host": "a"}, now=T0)
    fire({"alertname": "Disk", "host": "b"}, now=T0 + dt.timedelta(seconds=10))
    assert not Notification.objects.exists()  # still in group_wait
    assert groups_flush_due(now=T0 + dt.timedelta(seconds=29)) == 0
    assert groups_flush_due(now=T0 + dt.timedelta(seconds=30)) == 1
    (first,) = Notification.objects.all()
    assert len(first.payload["alerts"]) == 2  # both batched into one notification
    groups_flush_due(now=T0 + dt.timedelta(seconds=300))
    assert Notification.objects.count() == 1
    groups_flush_due(now=T0 + dt.timedelta(seconds=630))
    assert Notification.objects.count() == 2  # repeat_interval passed
    assert groups_flush_due(now=T0 + dt.timedelta(seconds=630)) == 0  # running twice is harmless


def test_inhibition_mutes_target_while_source_fires(root_route):
    InhibitRule.objects.create(
        source_matchers=['severity="critical"'], target_matchers=['severity="warning"'], equal=["cluster"]
    )
    fire({"alertname": "Down", "severity": "critical", "cluster": "eu"})
    fire({"alertname": "Slow", "severity": "warning", "cluster": "eu"})
    fire({"alertname": "Slower", "severity": "warning", "cluster": "us"})
    states = dict(AlertGroup.objects.values_list("group_labels__alertname", "state"))
    assert states == {"Down": "firing", "Slow": "silenced", "Slower": "firing"}
    assert not Notification.objects.filter(payload__group_labels__alertname="Slow").exists()


def test_mute_time_interval_on_route(root_route):
    TimeInterval.objects.create(name="always", entries=[{"times": [{"start_time": "00:00", "end_time": "24:00"}]}])
    RouteFactory(
        parent=root_route, matchers=['team="db"'], mute_time_intervals=["always"], receiver=root_route.receiver
    )
    fire({"alertname": "Disk", "team": "db"})
    group = AlertGroup.objects.get()
    assert group.state == "silenced" and not Notification.objects.exists()


def test_sweep_requeues_orphans_and_tick_task_runs(root_route, django_capture_on_commit_callbacks):
    fire({"alertname": "Disk"})
    notification = Notification.objects.get()
    Notification.objects.filter(pk=notification.pk).update(
        state="sending", lease_until=timezone.now() - dt.timedelta(seconds=1)
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert notifications_sweep(now=timezone.now()) == 1
    assert len([c for c in callbacks if getattr(c, "__name__", "") == "send"]) == 1
    notification.refresh_from_db()
    assert notification.state == "pending"
    from alerts.tasks import alerts_tick

    with django_capture_on_commit_callbacks(execute=True):
        result = alerts_tick()
    assert result["queued"] == 1
    notification.refresh_from_db()
    assert notification.state == "delivered"
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts_tick()["queued"] == 0  # twice is harmless


def test_deliver_task_enqueued_on_commit(root_route, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        fire({"alertname": "Disk"})
    sends = [c for c in callbacks if getattr(c, "__name__", "") == "send"]  # other apps' hooks may be there too
    assert len(sends) == 1
    assert Notification.objects.get().state == "pending"
    sends[0]()  # eager in tests: runs the task body
    assert Notification.objects.get().state == "delivered"
    from alerts.tasks import notification_deliver_task

    assert notification_deliver_task(Notification.objects.get().pk) == "done"  # twice is harmless


def test_metrics_exposed(root_route, client, django_capture_on_commit_callbacks):
    from alerts.services.receivers import metrics_refresh

    with django_capture_on_commit_callbacks(execute=True):
        fire({"alertname": "Disk", "severity": "critical"})
    metrics_refresh(now=timezone.now())
    body = client.get("/metrics").content.decode()
    assert 'sre_alerts_firing{severity="critical"} 1.0' in body
    assert "sre_alert_outbox_due 0.0" in body and "sre_alert_outbox_oldest_due_seconds 0.0" in body
    assert 'sre_alert_notifications_total{outcome="success",receiver="default"}' in body
    assert "sre_alert_delivery_latency_seconds_bucket" in body


def test_the_outbox_backlog_gauges_count_due_unsent_notifications_and_the_oldest_wait(root_route, client):
    from alerts.services.receivers import metrics_refresh

    fire({"alertname": "Disk", "severity": "critical"}, now=T0)  # eager delivery is off the clock: T0 is past
    fire({"alertname": "Cpu", "severity": "warning"}, now=T0)
    Notification.objects.update(state="pending", next_attempt_at=T0)
    Notification.objects.filter(pk=Notification.objects.order_by("pk").last().pk).update(
        next_attempt_at=T0 + dt.timedelta(minutes=5)
    )  # deferred (breaker, rate limit): not due yet
    metrics_refresh(now=T0 + dt.timedelta(seconds=90))
    body = client.get("/metrics").content.decode()
    assert "sre_alert_outbox_due 1.0" in body and "sre_alert_outbox_oldest_due_seconds 90.0" in body
