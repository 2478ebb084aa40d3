"""Queueing subscriber notifications into the ledger and fanning events out to subscribers.

A notification row is written in the caller's transaction and its delivery task enqueued on commit; the
``(subscriber, event_key)`` unique constraint makes a repeated fan-out a no-op."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, transaction

from statuspage import conf, public_serializers
from statuspage.choices import NotificationKind, SubscriberKind
from statuspage.models import Subscriber, SubscriberNotification
from statuspage.selectors import subscribers_for
from statuspage.selectors.page import PageData, PublicMaintenance
from statuspage.services.subscribers import subscriber_token
from statuspage.tasks import deliver

logger = logging.getLogger(__name__)
WEBHOOK_DOCS = "https://support.atlassian.com/statuspage/docs/enable-webhook-notifications/"


def notification_queue(
    *, subscriber: Subscriber, kind: str, event_key: str, payload: dict, now: datetime
) -> SubscriberNotification | None:
    """Add one message to the ledger (None if this event was already queued for the subscriber)."""
    try:
        with transaction.atomic():
            notification = SubscriberNotification.objects.create(
                subscriber=subscriber, kind=kind, event_key=event_key[:100], payload=payload, created_at=now
            )
    except IntegrityError:
        return None

    transaction.on_commit(lambda: deliver.delay(notification.pk))
    return notification


def _unsubscribe_link(subscriber: Subscriber) -> str:

    return conf.public_url(f"subscriptions/unsubscribe/{subscriber_token(subscriber, 'unsubscribe')}/")


def _meta(subscriber: Subscriber, now: datetime) -> dict:
    return {
        "unsubscribe": _unsubscribe_link(subscriber),
        "documentation": WEBHOOK_DOCS,
        "generated_at": public_serializers.ts(now),
    }


def _page(data: PageData) -> dict:
    return {
        "id": public_serializers.PAGE_ID,
        "status_indicator": data.indicator,
        "status_description": data.description,
    }


def _mail(subscriber: Subscriber, *, subject: str, lines: list[str], link: str) -> dict:
    name = conf.get("STATUSPAGE_NAME")
    text = "\n".join(lines) + f"\n\nMore: {link}\n\n--\nYou receive this because you subscribed to {name}.\n"
    text += f"Unsubscribe: {_unsubscribe_link(subscriber)}\n"
    return {"subject": f"[{name}] {subject}"[:250], "text": text, "unsubscribe": _unsubscribe_link(subscriber)}


def announce_incident(*, data: PageData, incident, update, event: str, now: datetime) -> int:
    """Tell the subscribers of the incident's components about a public update. ``event`` is create,
    update or resolve. Returns how many notifications were queued."""
    document = public_serializers.incident_json(incident, data)
    component_ids = {c.component_id for c in incident.components}
    verb = {"create": "New incident", "resolve": "Resolved", "update": "Update"}.get(event, "Update")
    queued = 0
    for subscriber in subscribers_for(component_ids=component_ids):
        if subscriber.kind == SubscriberKind.WEBHOOK:
            payload = {"json": {"meta": _meta(subscriber, now), "page": _page(data), "incident": document}}
        else:
            payload = _mail(
                subscriber,
                subject=f"{verb}: {incident.name}",
                lines=[f"{incident.name} - {update.status.title()}", "", update.body],
                link=document["shortlink"],
            )
        if notification_queue(
            subscriber=subscriber,
            kind=NotificationKind.INCIDENT,
            event_key=f"update:{update.id}",
            payload=payload,
            now=now,
        ):
            queued += 1
    return queued


def announce_maintenance(
    *, data: PageData, maintenance: PublicMaintenance, kind: str, event_id: int, now: datetime
) -> int:
    """Tell subscribers of the components that a maintenance started or ended."""
    document = public_serializers.maintenance_json(maintenance, data)
    if kind == "end":
        document["status"] = "completed"
    component_ids = {pk for pk, _, _ in maintenance.components}
    queued = 0
    for subscriber in subscribers_for(component_ids=component_ids):
        if subscriber.kind == SubscriberKind.WEBHOOK:
            payload = {"json": {"meta": _meta(subscriber, now), "page": _page(data), "incident": document}}
        else:
            when = f"{maintenance.scheduled_for:%Y-%m-%d %H:%M} - {maintenance.scheduled_until:%Y-%m-%d %H:%M} UTC"
            state = "has started" if kind == "start" else "has been completed"
            payload = _mail(
                subscriber,
                subject=f"Maintenance {'started' if kind == 'start' else 'completed'}: {maintenance.name}",
                lines=[f"Scheduled maintenance {maintenance.name} {state}.", when, "", maintenance.body],
                link=document["shortlink"],
            )
        if notification_queue(
            subscriber=subscriber,
            kind=NotificationKind.MAINTENANCE,
            event_key=f"maintenance:{event_id}",
            payload=payload,
            now=now,
        ):
            queued += 1
    return queued
