"""Delivering one ledger entry (email or webhook), with bounded retries for transient failures."""

from __future__ import annotations

import json
import logging
from datetime import datetime

import requests
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction

from sre.errors import InvalidInputError
from sre.outbound import OutboundRefused, outbound_post
from statuspage import metrics
from statuspage.choices import NotificationState, SubscriberKind
from statuspage.models import SubscriberNotification
from statuspage.urlsafety import webhook_url_check

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 6  # the delivery task retries 5 times
WEBHOOK_TIMEOUT = 10


class TransientDeliveryError(Exception):
    """Worth another try later (connection refused, timeout, 5xx, 429, SMTP trouble)."""


def _send_email(notification: SubscriberNotification) -> None:
    payload = notification.payload
    message = EmailMessage(
        subject=payload.get("subject", ""),
        body=payload.get("text", ""),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.subscriber.email],
        headers={"List-Unsubscribe": f"<{payload['unsubscribe']}>"} if payload.get("unsubscribe") else {},
    )
    try:
        message.send(fail_silently=False)
    except OSError as exc:  # smtplib.SMTPException is an OSError
        raise TransientDeliveryError(f"mail: {exc}") from exc


def _send_webhook(notification: SubscriberNotification) -> int:
    subscriber = notification.subscriber
    try:  # the addresses are checked on the connection itself, by the outbound guard
        url = webhook_url_check(subscriber.url, allow_private=subscriber.allow_private, resolve=False)
    except InvalidInputError as exc:
        raise PermissionError(exc.message) from None
    try:
        response = outbound_post(
            url,
            allow_private=subscriber.allow_private,
            data=json.dumps(notification.payload.get("json", {}), allow_nan=False).encode(),
            headers={"User-Agent": "sre-control-plane-statuspage/1", "Content-Type": "application/json"},
            timeout=WEBHOOK_TIMEOUT,
        )
    except OutboundRefused as exc:
        raise PermissionError(f"This webhook URL cannot be used: {exc}.") from None
    except requests.RequestException as exc:
        raise TransientDeliveryError(f"webhook: {exc.__class__.__name__}") from exc
    if response.status_code >= 500 or response.status_code == 429:
        raise TransientDeliveryError(f"webhook answered {response.status_code}")
    if response.status_code >= 300:
        raise PermissionError(f"webhook answered {response.status_code}")
    return response.status_code


def notification_deliver(*, notification_id: int, now: datetime) -> str:
    """Send one pending notification. Returns the state it ends in; raises ``TransientDeliveryError`` when
    a retry should follow (the final attempt records ``failed`` instead). A delivered, failed or vanished
    row is left alone, so running the task twice is harmless."""
    with transaction.atomic():
        notification = (
            SubscriberNotification.objects.select_for_update()
            .select_related("subscriber")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            logger.info("statuspage: notification %s vanished", notification_id)
            return "vanished"
        if notification.state != NotificationState.PENDING:
            return notification.state
        notification.attempts += 1
        notification.save(update_fields=["attempts"])
    subscriber = notification.subscriber
    status = None
    error = ""
    transient = False
    try:
        if subscriber.kind == SubscriberKind.WEBHOOK:
            status = _send_webhook(notification)
        else:
            _send_email(notification)
    except TransientDeliveryError as exc:
        error, transient = str(exc), True
    except PermissionError as exc:
        error = str(exc)
    if not error:
        state = NotificationState.DELIVERED
    elif transient and notification.attempts < MAX_ATTEMPTS:
        SubscriberNotification.objects.filter(pk=notification.pk).update(last_error=error[:2000])
        raise TransientDeliveryError(error)
    else:
        state = NotificationState.FAILED
    SubscriberNotification.objects.filter(pk=notification.pk).update(
        state=state,
        last_error=error[:2000],
        http_status=status,
        delivered_at=now if state == NotificationState.DELIVERED else None,
    )
    if error:
        type(subscriber).objects.filter(pk=subscriber.pk).update(last_error=error[:500])
    metrics.SUBSCRIBER_NOTIFICATIONS.labels(subscriber.kind, state).inc()
    return state


def notification_retry(*, notification_id: int) -> None:
    """An admin sends a failed notification again."""
    from statuspage.tasks import deliver  # cycle: statuspage.tasks imports this module

    updated = SubscriberNotification.objects.filter(pk=notification_id, state=NotificationState.FAILED).update(
        state=NotificationState.PENDING, attempts=0, last_error=""
    )
    if updated:
        transaction.on_commit(lambda: deliver.delay(notification_id))
