"""Signed action links in pages: acknowledge, resolve, escalate now, silence 1 h — usable on a phone without
signing in, until they expire, once each.

A link carries ``{"g": group id, "a": action, "n": nonce, "u": user id}`` signed with Django's signer (salted
per purpose) and timestamped; using it stores the nonce in ``UsedLink`` in the same transaction as the action,
so a second use (or a replayed one) finds the nonce and is refused."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse

from alerts.choices import GroupEventKind
from alerts.models import AlertGroup, GroupEvent
from alerts.services import group_acknowledge, group_resolve, group_silence
from alerts.services.notify import base_url
from oncall.choices import EscalationState, LinkAction
from oncall.models import Escalation, UsedLink
from sre.errors import ConflictError, InvalidInputError

SALT = "oncall.action-link.v1"


@dataclass(frozen=True)
class LinkClaim:
    group_id: int
    action: str
    nonce: str
    user_id: int | None


def link_make(*, group_id: int, action: str, user_id: int | None) -> str:
    """An absolute URL that performs ``action`` on the group once."""
    token = signing.dumps({"g": group_id, "a": action, "n": secrets.token_hex(16), "u": user_id}, salt=SALT)
    return base_url() + reverse("oncall:action-link", args=[token])


def links_for(*, group_id: int, user_id: int | None) -> dict[str, str]:
    links = {a.value: link_make(group_id=group_id, action=a.value, user_id=user_id) for a in LinkAction}
    links["group"] = base_url() + reverse("alerts:group", args=[group_id])
    return links


def link_read(token: str) -> LinkClaim:
    """Check the signature and age; raises ``InvalidInputError`` with what is wrong."""
    max_age = timedelta(hours=settings.SRE.get("ONCALL_LINK_HOURS", 24))
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise InvalidInputError("This link has expired. Open the alert group in the app instead.") from None
    except signing.BadSignature:
        raise InvalidInputError("This link is not valid.") from None
    if data.get("a") not in LinkAction.values or not isinstance(data.get("g"), int):
        raise InvalidInputError("This link is not valid.")
    return LinkClaim(group_id=data["g"], action=data["a"], nonce=str(data.get("n", "")), user_id=data.get("u"))


def link_used(claim: LinkClaim) -> bool:
    return UsedLink.objects.filter(nonce=claim.nonce).exists()


def link_use(*, token: str, now: datetime) -> str:
    """Perform the link's action once; returns what happened, in words. Raises ``InvalidInputError`` for a
    bad, expired or used link and ``ConflictError`` when the group's state does not allow the action."""
    # escalation imports dispatch, which imports this module for the links it puts in pages: a real cycle.
    # cycle: escalation imports dispatch, which imports this module
    from oncall.services.escalation import escalation_advance, escalations_stop

    claim = link_read(token)
    user = get_user_model().objects.filter(pk=claim.user_id).first() if claim.user_id else None
    actor = f"{user.get_username()} (link)" if user else "link"
    with transaction.atomic():
        if not AlertGroup.objects.filter(pk=claim.group_id).exists():
            raise InvalidInputError("That alert group no longer exists.")
        try:
            with transaction.atomic():
                UsedLink.objects.create(nonce=claim.nonce, action=claim.action, group_id=claim.group_id, used_at=now)
        except IntegrityError:
            raise InvalidInputError("This link has already been used.") from None
        if claim.action == LinkAction.ACKNOWLEDGE:
            group_acknowledge(group_id=claim.group_id, actor=actor, now=now)
            escalations_stop(
                group_id=claim.group_id, now=now, state=EscalationState.ACKNOWLEDGED, reason=f"Acknowledged by {actor}"
            )
            return "Acknowledged. Escalation stopped; nobody else will be paged for this episode."
        if claim.action == LinkAction.RESOLVE:
            group_resolve(group_id=claim.group_id, actor=actor, now=now)
            escalations_stop(
                group_id=claim.group_id, now=now, state=EscalationState.RESOLVED, reason=f"Resolved by {actor}"
            )
            return "Resolved. Escalation stopped."
        if claim.action == LinkAction.SILENCE:
            group_silence(
                group_id=claim.group_id,
                actor=actor,
                now=now,
                duration=timedelta(hours=1),
                comment="Silenced for 1 hour from a page link",
            )
            escalations_stop(
                group_id=claim.group_id,
                now=now,
                state=EscalationState.SILENCED,
                reason=f"Silenced for 1 hour by {actor}",
            )
            return "Silenced for 1 hour. Escalation stopped."
        escalation = Escalation.objects.filter(group_id=claim.group_id, state=EscalationState.ACTIVE).first()
        if escalation is None:
            raise ConflictError("Nothing is escalating for this group now.")
        GroupEvent.objects.create(
            group_id=claim.group_id, at=now, kind=GroupEventKind.ESCALATION, actor=actor, message="Escalate now"
        )
    escalation_advance(escalation_id=escalation.pk, now=now, force=True)
    return "Escalated: the next step ran now."
