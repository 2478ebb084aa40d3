"""Subscribers: double opt-in email, unsubscribe links, webhook SSRF rules, rate limit, notifications."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from statuspage.models import Subscriber, SubscriberNotification
from statuspage.services import subscriber_create, sync_run
from tests.statuspage.helpers import public_incident, resolve
from tests.statuspage.receiver import webhook_receiver

pytestmark = pytest.mark.django_db


def _link(text: str, kind: str) -> str:
    return re.search(rf"http://status\.test(/status/subscriptions/{kind}/[^/\s]+/)", text).group(1)


def test_email_double_opt_in_and_unsubscribe(django_capture_on_commit_callbacks) -> None:
    from statuspage.models import Component

    api = Component.objects.create(name="API")
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/status/subscribe/", {"kind": "email", "email": "Ann@Example.com"})
    assert response.status_code == 200 and b"Check your inbox" in response.content
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "ann@example.com" and subscriber.confirmed_at is None
    [confirmation] = mail.outbox
    assert confirmation.to == ["ann@example.com"]
    assert "/status/subscriptions/unsubscribe/" in confirmation.body  # every mail, this one too
    assert "List-Unsubscribe" in confirmation.extra_headers
    confirm_path = _link(confirmation.body, "confirm")

    # Not confirmed yet: an incident does not reach the address.
    with django_capture_on_commit_callbacks(execute=True):
        public_incident(title="Outage one", components=[(api, "major_outage")])
        sync_run(now=timezone.now())
    assert len(mail.outbox) == 1

    assert client.get(confirm_path).status_code == 200  # a button; GET changes nothing
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is None
    assert client.post(confirm_path).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is not None

    with django_capture_on_commit_callbacks(execute=True):
        incident = public_incident(title="Outage two", components=[(api, "partial_outage")], body="Looking into it.")
        sync_run(now=timezone.now())
        resolve(incident, body="All good now.")
        sync_run(now=timezone.now())
    subjects = [m.subject for m in mail.outbox[1:]]
    assert subjects == ["[System status] New incident: Outage two", "[System status] Resolved: Outage two"]
    for message in mail.outbox[1:]:
        assert "Unsubscribe: http://status.test/status/subscriptions/unsubscribe/" in message.body
        assert message.extra_headers["List-Unsubscribe"].startswith(
            "<http://status.test/status/subscriptions/unsubscribe/"
        )
    assert SubscriberNotification.objects.filter(state="delivered").count() == 3

    unsubscribe = _link(mail.outbox[-1].body, "unsubscribe")
    assert client.post(unsubscribe).status_code == 200
    assert not Subscriber.objects.exists()
    assert client.post(unsubscribe).status_code == 400  # used twice: a clear message, no 500


def test_resubscribing_resends_without_revealing(django_capture_on_commit_callbacks) -> None:
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post("/status/subscribe/", {"kind": "email", "email": "bo@example.com"})
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post("/status/subscribe/", {"kind": "email", "email": "bo@example.com"})
    assert first.content == second.content
    assert Subscriber.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "email", "email": "not-an-address"}, "email"),
        ({"kind": "email", "email": ""}, "email"),
        ({"kind": "webhook", "url": "ftp://example.com/x"}, "url"),
        ({"kind": "webhook", "url": "http://127.0.0.1:8080/hook"}, "url"),
        ({"kind": "webhook", "url": "http://localhost/hook"}, "url"),
        ({"kind": "webhook", "url": "http://10.1.2.3/hook"}, "url"),
        ({"kind": "webhook", "url": "http://192.168.0.10/hook"}, "url"),
        ({"kind": "webhook", "url": "http://169.254.169.254/latest/meta-data"}, "url"),
        ({"kind": "webhook", "url": "http://[::1]/hook"}, "url"),
        ({"kind": "webhook", "url": "http://[::ffff:127.0.0.1]/hook"}, "url"),
        ({"kind": "webhook", "url": "http://user:pw@93.184.216.34/hook"}, "url"),
        ({"kind": "webhook", "url": "http://x" + "a" * 3000}, "url"),
        ({"kind": "carrier-pigeon"}, "kind"),
        ({"kind": "email", "email": "a@example.com", "components": ["999999"]}, "components"),
        ({"kind": "email", "email": "a@example.com", "components": ["abc"]}, "components"),
    ],
)
def test_bad_subscriptions_are_refused(data, field) -> None:
    response = Client().post("/status/subscribe/", data)
    assert response.status_code == 400
    assert not Subscriber.objects.exists()


def test_public_webhook_to_public_address_is_accepted() -> None:
    response = Client().post("/status/subscribe/", {"kind": "webhook", "url": "https://93.184.216.34/statuspage"})
    assert response.status_code == 200
    subscriber = Subscriber.objects.get()
    assert subscriber.confirmed_at is not None and subscriber.url_display == "https://93.184.216.34"
    raw = Subscriber.objects.filter(pk=subscriber.pk).values_list("url", flat=True)
    assert subscriber.url == "https://93.184.216.34/statuspage"
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("select url from statuspage_subscriber")
        assert "93.184.216.34" not in cursor.fetchone()[0]  # encrypted at rest
    assert list(raw)


def test_subscribe_is_rate_limited(settings) -> None:
    settings.SRE = {**settings.SRE, "STATUSPAGE_SUBSCRIBE_RATE": 2}
    client = Client()
    codes = [
        client.post("/status/subscribe/", {"kind": "email", "email": f"r{i}@example.com"}).status_code for i in range(4)
    ]
    assert codes == [200, 200, 429, 429]
    assert Subscriber.objects.count() == 2


def test_tampered_tokens_are_refused() -> None:
    client = Client()
    assert client.post("/status/subscriptions/confirm/garbage/").status_code == 400
    assert client.post("/status/subscriptions/unsubscribe/" + "x" * 3 + "/").status_code == 400
    assert client.post("/status/api/v2/summary.json").status_code == 405  # read-only documents


def test_webhook_subscriber_gets_statuspage_payload(django_capture_on_commit_callbacks) -> None:
    """Done-when: a public incident update reaches a webhook subscriber in Statuspage's webhook shape."""
    from statuspage.models import Component

    api = Component.objects.create(name="API")
    other = Component.objects.create(name="Billing")
    with webhook_receiver() as receiver:
        subscriber_create(
            kind="webhook",
            url=receiver["url"],
            allow_private=True,
            component_ids=[api.pk],
            actor="admin",
            now=timezone.now(),
        )
        subscriber_create(
            kind="webhook",
            url=receiver["url"] + "?billing",
            allow_private=True,
            component_ids=[other.pk],
            actor="admin",
            now=timezone.now(),
        )
        with django_capture_on_commit_callbacks(execute=True):
            incident = public_incident(title="API down", components=[(api, "major_outage")], body="Investigating API.")
            sync_run(now=timezone.now())
        with django_capture_on_commit_callbacks(execute=True):
            sync_run(now=timezone.now())  # a second run sends nothing again
        assert len(receiver["requests"]) == 1
        [request] = receiver["requests"]
    payload = request["json"]
    assert request["path"] == "/hook"
    assert set(payload) == {"meta", "page", "incident"}
    assert payload["meta"]["unsubscribe"].startswith("http://status.test/status/subscriptions/unsubscribe/")
    assert payload["page"] == {
        "id": "status",
        "status_indicator": "critical",
        "status_description": "Major Service Outage",
    }
    assert payload["incident"]["id"] == str(incident.pk)
    assert payload["incident"]["incident_updates"][0]["body"] == "Investigating API."
    notification = SubscriberNotification.objects.get()
    assert notification.state == "delivered" and notification.http_status == 200 and notification.attempts == 1


def test_failing_webhook_retries_then_is_recorded_failed(django_capture_on_commit_callbacks) -> None:
    from statuspage.services.delivery import MAX_ATTEMPTS, TransientDeliveryError, notification_deliver
    from statuspage.services.notify import notification_queue

    with webhook_receiver(status=503) as receiver:
        subscriber = subscriber_create(
            kind="webhook", url=receiver["url"], allow_private=True, actor="admin", now=timezone.now()
        )
        notification = notification_queue(
            subscriber=subscriber, kind="incident", event_key="update:1", payload={"json": {"x": 1}}, now=timezone.now()
        )
        for _ in range(MAX_ATTEMPTS - 1):
            with pytest.raises(TransientDeliveryError):
                notification_deliver(notification_id=notification.pk, now=timezone.now())
        assert notification_deliver(notification_id=notification.pk, now=timezone.now()) == "failed"
        assert notification_deliver(notification_id=notification.pk, now=timezone.now()) == "failed"  # idempotent
        assert len(receiver["requests"]) == MAX_ATTEMPTS
    notification.refresh_from_db()
    assert notification.state == "failed" and "503" in notification.last_error
    assert (
        notification_queue(subscriber=subscriber, kind="incident", event_key="update:1", payload={}, now=timezone.now())
        is None
    )  # the ledger never sends an event twice


def test_webhook_to_private_address_is_refused_at_send_time() -> None:
    """A subscriber whose address is private (not allowed) is not called even if it got into the table."""
    from statuspage.services.delivery import notification_deliver
    from statuspage.services.notify import notification_queue

    with webhook_receiver() as receiver:
        subscriber = subscriber_create(
            kind="webhook", url=receiver["url"], allow_private=True, actor="admin", now=timezone.now()
        )
        Subscriber.objects.filter(pk=subscriber.pk).update(allow_private=False)
        subscriber.refresh_from_db()
        notification = notification_queue(
            subscriber=subscriber, kind="incident", event_key="e", payload={"json": {}}, now=timezone.now()
        )
        assert notification_deliver(notification_id=notification.pk, now=timezone.now()) == "failed"
        assert receiver["requests"] == []
