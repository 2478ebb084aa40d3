"""Writes about people: teams, contact methods (verified by a test message), notification rules and the
secret iCal feed token."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.text import slugify

from oncall import senders
from oncall.choices import ContactKind, DeliveryState, RuleKind
from oncall.models import ContactMethod, EscalationStep, NotificationRule, PersonSettings, Team
from oncall.services.dispatch import notification_create, notification_deliver
from sre.errors import ConflictError, InvalidInputError

User = get_user_model()


def team_save(*, team: Team | None, data: dict[str, Any]) -> Team:
    """Create or update a team; ``members`` (user ids) replaces the member list when given."""
    team = team or Team()
    for name in ("name", "description"):
        if name in data:
            setattr(team, name, data[name])
    team.slug = data.get("slug") or team.slug or slugify(team.name)
    if not team.slug:
        raise InvalidInputError("A team needs a name.", fields={"name": ["Required."]})
    clash = Team.objects.exclude(pk=team.pk).filter(slug=team.slug).exists()
    if clash or Team.objects.exclude(pk=team.pk).filter(name=team.name).exists():
        raise InvalidInputError("A team with that name already exists.", fields={"name": ["Already used."]})
    with transaction.atomic():
        team.save()
        if "members" in data:
            team.members.set(User.objects.filter(pk__in=[int(m) for m in data["members"]]))
    return team


def team_delete(*, team: Team) -> None:
    names = sorted(set(EscalationStep.objects.filter(team=team).values_list("policy__name", flat=True)))
    if names:
        raise ConflictError(f"Escalation policies page this team: {', '.join(names)}. Change them first.")
    team.delete()


def contact_method_create(*, user: Any, kind: str, address: str, label: str = "", secret: str = "") -> ContactMethod:
    """Add a contact method (unverified until a test reaches it)."""
    if kind not in ContactKind.values:
        raise InvalidInputError(
            f"Unknown kind {kind!r}.", fields={"kind": [f"One of {', '.join(ContactKind.values)}."]}
        )
    normalised = senders.contact_address_check(kind=kind, address=address)
    return ContactMethod.objects.create(user=user, kind=kind, address=normalised, label=label[:100], secret=secret)


def contact_method_delete(*, method: ContactMethod) -> None:
    """Delete a method; the rules that used it go with it (the person's chain is then shorter)."""
    method.delete()


def contact_method_test(*, method: ContactMethod, now: datetime) -> ContactMethod:
    """Send a test message now; success marks the method verified, failure is recorded on it."""
    row = notification_create(
        page=None,
        group_id=None,
        method_id=method.pk,
        now=now,
        user_id=method.user_id,
        title="Test from the SRE control plane",
        test=True,
    )
    notification_deliver(notification_id=row.pk, now=now)
    row.refresh_from_db()
    method.refresh_from_db()
    method.last_test_at = now
    method.last_test_result = "Delivered" if row.state == DeliveryState.DELIVERED else f"Failed: {row.detail}"[:500]
    if row.state == DeliveryState.DELIVERED:
        method.verified_at = method.verified_at or now
    method.save(update_fields=["last_test_at", "last_test_result", "verified_at"])
    return method


def rules_replace(*, user: Any, important: bool, rules: list[dict[str, Any]]) -> list[NotificationRule]:
    """Replace one of the person's chains: ``[{"kind": "notify", "contact_method": id} | {"kind": "wait",
    "wait_minutes": n}]``; methods must be the person's own."""
    own = set(ContactMethod.objects.filter(user=user).values_list("pk", flat=True))
    built = []
    for position, rule in enumerate(rules):
        kind = rule.get("kind")
        if kind == RuleKind.NOTIFY:
            method_id = rule.get("contact_method")
            if method_id not in own:
                raise InvalidInputError(
                    f"Rule {position + 1}: not one of your contact methods.",
                    fields={"rules": [f"{position}: contact_method"]},
                )
            built.append(
                NotificationRule(
                    user=user, important=important, position=position, kind=kind, contact_method_id=method_id
                )
            )
        elif kind == RuleKind.WAIT:
            minutes = rule.get("wait_minutes")
            if not isinstance(minutes, int) or not 1 <= minutes <= 1440:
                raise InvalidInputError(
                    f"Rule {position + 1}: wait 1–1440 minutes.", fields={"rules": [f"{position}: wait_minutes"]}
                )
            built.append(
                NotificationRule(user=user, important=important, position=position, kind=kind, wait_minutes=minutes)
            )
        else:
            raise InvalidInputError(
                f"Rule {position + 1}: kind must be notify or wait.", fields={"rules": [f"{position}: kind"]}
            )
    with transaction.atomic():
        NotificationRule.objects.filter(user=user, important=important).delete()
        NotificationRule.objects.bulk_create(built)
    return built


def feed_token_create(*, user: Any) -> str:
    """A new secret for the person's iCal feed URL (the old one stops working); returned once."""
    token = secrets.token_urlsafe(24)
    PersonSettings.objects.update_or_create(user=user, defaults={"feed_token_digest": feed_digest(token)})
    return token


def feed_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
