"""Receivers: create/update with secrets handled safely, and "send test notification"."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction

from alerts import metrics
from alerts.choices import NotificationEvent, ReceiverKind
from alerts.models import Notification, Receiver
from alerts.selectors import alerts_firing_by_severity, outbox_backlog
from alerts.senders import TargetNotAllowed, check_target
from alerts.services.notify import schedule_delivery
from sre.errors import ConflictError, InvalidInputError

KEEP = object()


def routing_key_digest(key: str) -> str:
    """HMAC of a routing key (never the key): groups receivers sharing a key for the rate limit."""
    if not key:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), b"pd-routing-key:" + key.encode(), hashlib.sha256).hexdigest()


def receiver_save(
    *, receiver: Receiver | None, data: dict[str, Any], routing_key: Any = KEEP, secret: Any = KEEP
) -> Receiver:
    """Create or update a receiver. ``routing_key``/``secret`` left as ``KEEP`` keep the stored value
    (the API never shows them, so an edit without them must not erase them)."""
    receiver = receiver or Receiver()
    for key, value in data.items():
        setattr(receiver, key, value)
    if routing_key is not KEEP:
        receiver.routing_key = routing_key or ""
        receiver.routing_key_digest = routing_key_digest(receiver.routing_key)
    if secret is not KEEP:
        receiver.secret = secret or ""
    _validate(receiver)
    if Receiver.objects.filter(name=receiver.name).exclude(pk=receiver.pk).exists():
        raise ConflictError(f"A receiver named {receiver.name!r} exists already.", fields={"name": ["Taken."]})
    receiver.save()
    return receiver


def _validate(receiver: Receiver) -> None:
    if not receiver.name.strip():
        raise InvalidInputError("Name is required.", fields={"name": ["Required."]})
    if receiver.kind not in ReceiverKind.values:
        raise InvalidInputError("Unknown kind.", fields={"kind": ["Invalid."]})
    if receiver.kind == ReceiverKind.PAGERDUTY:
        if not receiver.routing_key:
            raise InvalidInputError("A PagerDuty receiver needs a routing key.", fields={"routing_key": ["Required."]})
        if receiver.url and not receiver.url.startswith("https://"):
            raise InvalidInputError("The PagerDuty base URL must be https://.", fields={"url": ["Must be https."]})
    if receiver.kind == ReceiverKind.WEBHOOK and not receiver.url:
        raise InvalidInputError("A webhook receiver needs a URL.", fields={"url": ["Required."]})
    if receiver.url:
        try:
            check_target(receiver.url)
        except TargetNotAllowed as exc:
            raise InvalidInputError(f"URL not allowed: {exc}.", fields={"url": [str(exc)]}) from None
    if receiver.kind == ReceiverKind.EMAIL and not receiver.email_to.strip():
        raise InvalidInputError("An email receiver needs at least one address.", fields={"email_to": ["Required."]})
    if not 0.5 <= float(receiver.timeout_seconds) <= 60:
        raise InvalidInputError("Timeout must be 0.5–60 seconds.", fields={"timeout_seconds": ["Out of range."]})


def receiver_delete(*, receiver: Receiver) -> None:
    if receiver.routes.exists():
        raise ConflictError("Routes still send to this receiver; change them first.")
    receiver.delete()


def receiver_test(*, receiver: Receiver, actor: str, now: datetime) -> Notification:
    """Queue a test notification (goes through the outbox and ledger like any other)."""
    payload = {
        "version": "1",
        "event": "test",
        "title": f"[TEST] Test notification from the SRE control plane ({actor})",
        "group_labels": {"alertname": "TestNotification"},
        "common_labels": {"alertname": "TestNotification", "severity": "info"},
        "severity": "info",
        "link": f"{settings.SRE.get('BASE_URL', '')}/alerts/receivers/",
        "links": [],
        "alerts": [],
    }
    with transaction.atomic():
        notification = Notification.objects.create(
            receiver=receiver,
            group=None,
            event=NotificationEvent.TEST,
            dedup_key=f"sre-test-{receiver.pk}-{int(now.timestamp() * 1000)}",
            payload=payload,
            payload_hash=hashlib.sha256(repr(sorted(payload.items())).encode()).hexdigest(),
            next_attempt_at=now,
            created_at=now,
            requested_by=actor,
        )
        schedule_delivery(notification.pk)
    return notification


def metrics_refresh(*, now: datetime) -> None:
    """The gauges the alerts tick keeps current: firing alerts by severity, and the outbox's backlog (what the
    control plane's own alert rules watch: deploy/prometheus/sre-control-plane-rules.yml)."""
    counts = alerts_firing_by_severity()
    for severity in set(counts) | {"critical", "warning", "info"}:
        metrics.ALERTS_FIRING.labels(severity=severity).set(counts.get(severity, 0))
    due, oldest = outbox_backlog(now=now)
    metrics.OUTBOX_DUE.set(due)
    metrics.OUTBOX_OLDEST_DUE.set(oldest)
