"""Subscribers: public sign-up with double opt-in for email, admin-created subscribers, confirmation and
unsubscribe through signed tokens (nothing to store, nothing to guess)."""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from sre.errors import InvalidInputError
from statuspage import conf
from statuspage.choices import NotificationKind, SubscriberKind
from statuspage.models import Component, Subscriber
from statuspage.urlsafety import url_display, webhook_url_check

SALT = "statuspage.subscriber"
CONFIRM_MAX_AGE = 7 * 24 * 3600


def subscriber_token(subscriber: Subscriber, purpose: str) -> str:
    """A signed token for ``confirm`` or ``unsubscribe`` links."""
    return signing.dumps({"s": subscriber.pk, "p": purpose}, salt=SALT, compress=True)


def _from_token(token: str, purpose: str, *, max_age: int | None = None) -> Subscriber:
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise InvalidInputError("This link has expired; subscribe again to get a new one.") from None
    except signing.BadSignature:
        raise InvalidInputError("This link is not valid.") from None
    if not isinstance(data, dict) or data.get("p") != purpose:
        raise InvalidInputError("This link is not valid.")
    subscriber_id = data.get("s")
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first() if subscriber_id is not None else None
    if subscriber is None:
        raise InvalidInputError("This subscription no longer exists.")
    return subscriber


def _components(ids: list) -> list[Component]:
    try:
        wanted = {int(i) for i in ids or []}
    except (TypeError, ValueError):
        raise InvalidInputError("Unknown components.", fields={"components": ["Invalid id."]}) from None
    found = list(Component.objects.filter(pk__in=wanted))
    if len(found) != len(wanted):
        raise InvalidInputError("Unknown components.", fields={"components": ["Unknown component."]})
    return found


def _email(value: str) -> str:
    value = (value or "").strip().lower()
    try:
        validate_email(value)
    except ValidationError:
        raise InvalidInputError("Give a valid email address.", fields={"email": ["Invalid email address."]}) from None
    return value


def _queue_confirmation(subscriber: Subscriber, *, now: datetime) -> None:
    from statuspage.services.notify import notification_queue  # cycle: notify imports this module

    link = conf.public_url(f"subscriptions/confirm/{subscriber_token(subscriber, 'confirm')}/")
    unsubscribe = conf.public_url(f"subscriptions/unsubscribe/{subscriber_token(subscriber, 'unsubscribe')}/")
    name = conf.get("STATUSPAGE_NAME")
    payload = {
        "subject": f"[{name}] Confirm your subscription",
        "text": (
            f"Someone (hopefully you) asked to receive {name} updates at this address.\n\n"
            f"Confirm within 7 days: {link}\n\nIf it was not you, ignore this mail; nothing will be sent.\n"
            f"Forget this address now: {unsubscribe}\n"
        ),
        "unsubscribe": unsubscribe,
    }
    notification_queue(
        subscriber=subscriber,
        kind=NotificationKind.CONFIRM,
        event_key=f"confirm:{int(now.timestamp())}",
        payload=payload,
        now=now,
    )


def subscriber_subscribe(
    *, kind: str, email: str = "", url: str = "", component_ids: list | None = None, now: datetime
) -> Subscriber:
    """Public sign-up. Email: a pending subscriber and a confirmation mail (asking again re-sends it; the
    answer is the same whether the address was known, so the form reveals nothing). Webhook: the URL
    must be public http(s); it is active at once."""
    components = _components(component_ids or [])
    if kind == SubscriberKind.EMAIL:
        address = _email(email)
        with transaction.atomic():
            subscriber, _created = Subscriber.objects.get_or_create(
                kind=SubscriberKind.EMAIL, email=address, defaults={"created_at": now}
            )
            if subscriber.confirmed_at is None:
                if components:
                    subscriber.components.set(components)
                _queue_confirmation(subscriber, now=now)
        return subscriber
    if kind == SubscriberKind.WEBHOOK:
        checked = webhook_url_check(url, allow_private=bool(conf.get("STATUSPAGE_ALLOW_PRIVATE_WEBHOOKS")))
        return _webhook(checked, components=components, allow_private=False, actor="", now=now)
    raise InvalidInputError("Choose email or webhook.", fields={"kind": ["Invalid."]})


def _webhook(url: str, *, components: list, allow_private: bool, actor: str, now: datetime) -> Subscriber:
    digest = hashlib.sha256(url.encode()).hexdigest()
    with transaction.atomic():
        subscriber = Subscriber.objects.filter(kind=SubscriberKind.WEBHOOK, url_digest=digest).first()
        if subscriber is None:
            try:
                with transaction.atomic():
                    subscriber = Subscriber.objects.create(
                        kind=SubscriberKind.WEBHOOK,
                        url=url,
                        url_digest=digest,
                        url_display=url_display(url),
                        confirmed_at=now,
                        allow_private=allow_private,
                        created_at=now,
                        created_by=actor,
                    )
            except IntegrityError:
                subscriber = Subscriber.objects.get(kind=SubscriberKind.WEBHOOK, url_digest=digest)
        elif allow_private and not subscriber.allow_private:
            subscriber.allow_private = True
            subscriber.save(update_fields=["allow_private"])
        subscriber.components.set(components)
    return subscriber


def subscriber_create(
    *,
    kind: str,
    email: str = "",
    url: str = "",
    component_ids: list | None = None,
    allow_private: bool = False,
    confirmed: bool = False,
    actor: str,
    now: datetime,
) -> Subscriber:
    """An admin adds a subscriber. An email address still confirms unless ``confirmed`` (the admin vouches
    for it); ``allow_private`` lets a webhook reach a private or loopback address."""
    components = _components(component_ids or [])
    if kind == SubscriberKind.WEBHOOK:
        checked = webhook_url_check(url, allow_private=allow_private)
        return _webhook(checked, components=components, allow_private=allow_private, actor=actor, now=now)
    if kind != SubscriberKind.EMAIL:
        raise InvalidInputError("Choose email or webhook.", fields={"kind": ["Invalid."]})
    address = _email(email)
    with transaction.atomic():
        subscriber, _ = Subscriber.objects.get_or_create(
            kind=SubscriberKind.EMAIL, email=address, defaults={"created_at": now, "created_by": actor}
        )
        subscriber.components.set(components)
        if confirmed and subscriber.confirmed_at is None:
            subscriber.confirmed_at = now
            subscriber.save(update_fields=["confirmed_at"])
        elif subscriber.confirmed_at is None:
            _queue_confirmation(subscriber, now=now)
    return subscriber


def subscriber_confirm(*, token: str, now: datetime) -> Subscriber:
    """The confirmation link was followed: the subscriber starts receiving updates."""
    subscriber = _from_token(token, "confirm", max_age=CONFIRM_MAX_AGE)
    if subscriber.confirmed_at is None:
        Subscriber.objects.filter(pk=subscriber.pk, confirmed_at__isnull=True).update(confirmed_at=now)
        subscriber.refresh_from_db()
    return subscriber


def subscriber_unsubscribe(*, token: str) -> None:
    """The unsubscribe link (in every mail and webhook) was used: the subscriber and its ledger go."""
    subscriber = _from_token(token, "unsubscribe")
    subscriber.delete()


def subscriber_delete(*, subscriber: Subscriber) -> None:
    subscriber.delete()
