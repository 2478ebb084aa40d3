"""Writes of budget policies (admin): one per service, optionally one per SLO replacing its service's."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from alerts.senders import TargetNotAllowed, check_target
from releases.domain.policy import DEFAULT_RULES, PolicyError, rules_parse, thresholds_dump
from releases.models import BudgetPolicy
from slo.models import SLO, Service
from sre.domain.links import http_url
from sre.errors import ConflictError, InvalidInputError

KEEP = object()  # a secret argument left as KEEP keeps the stored secret
POLICY_FIELDS = (
    "thresholds",
    "freeze_on_exhaustion",
    "release_burn_factor",
    "release_watch_minutes",
    "release_min_bad_events",
    "rollback_webhook_url",
)
URL_FIELD = "rollback_webhook_url"


def _invalid(errors: dict[str, list[str]]) -> InvalidInputError:
    field, messages = next(iter(errors.items()))
    return InvalidInputError(f"Invalid budget policy: {field}: {messages[0]}", fields=errors)


def _url_check(url: Any) -> str:
    if not isinstance(url, str) or len(url) > 500:
        raise _invalid({URL_FIELD: ["An http(s) URL of at most 500 characters, or empty."]})
    url = url.strip()
    if not url:
        return ""
    if not http_url(url):
        raise _invalid({URL_FIELD: ["Enter an absolute http:// or https:// URL."]})
    try:
        check_target(url)  # the outbound guard: a private or loopback target is refused unless allowed
    except TargetNotAllowed as exc:
        raise _invalid({URL_FIELD: [f"Target not allowed: {exc}"]}) from None
    except (UnicodeError, ValueError):
        raise _invalid({URL_FIELD: ["The URL's host is not a valid name."]}) from None
    return url


def policy_save(*, policy: BudgetPolicy | None, data: dict[str, Any], secret: Any = KEEP) -> BudgetPolicy:
    """Create or update a policy. ``data`` holds ``service`` (a Service), ``slo`` (an SLO of that service, or None
    for the service's own policy) and any of ``POLICY_FIELDS`` (missing ones keep their value, or the default);
    ``secret`` is the rollback webhook's signing secret (``KEEP`` keeps it; "" removes it).

    Raises ``InvalidInputError`` naming the field (nothing saved), ``ConflictError`` when the service or SLO
    already has a policy. The rollback webhook belongs to the service's policy only: an SLO's policy with one is
    refused. Audited (``sre.audit``), the secret withheld."""
    service = data.get("service", policy.service if policy else None)
    slo = data.get("slo", policy.slo if policy else None)
    if not isinstance(service, Service):
        raise _invalid({"service": ["Required: an existing service."]})
    if slo is not None and (not isinstance(slo, SLO) or slo.service_id != service.pk):
        raise _invalid({"slo": [f"Not an SLO of {service.name}."]})

    def current(name: str) -> Any:
        if name in data:
            return data[name]
        if policy is not None:
            return getattr(policy, name)
        defaults = {
            "thresholds": thresholds_dump(DEFAULT_RULES.thresholds),
            "freeze_on_exhaustion": DEFAULT_RULES.freeze,
            "release_burn_factor": Decimal(DEFAULT_RULES.factor.numerator) / DEFAULT_RULES.factor.denominator,
            "release_watch_minutes": DEFAULT_RULES.watch_minutes,
            "release_min_bad_events": DEFAULT_RULES.min_bad_events,
            URL_FIELD: "",
        }
        return defaults[name]

    try:
        rules = rules_parse(
            thresholds=current("thresholds"),
            freeze=current("freeze_on_exhaustion"),
            factor=current("release_burn_factor"),
            watch_minutes=current("release_watch_minutes"),
            min_bad_events=current("release_min_bad_events"),
        )
    except PolicyError as exc:
        raise _invalid(exc.errors) from None
    url = _url_check(current(URL_FIELD))
    if slo is not None and url:
        raise _invalid({URL_FIELD: ["The rollback webhook is set on the service's policy, not an SLO's."]})
    if secret is not KEEP and (not isinstance(secret, str) or len(secret) > 500):
        raise _invalid({"rollback_webhook_secret": ["Text of at most 500 characters."]})

    policy = policy or BudgetPolicy()
    policy.service, policy.slo = service, slo
    policy.thresholds = thresholds_dump(rules.thresholds)
    policy.freeze_on_exhaustion = rules.freeze
    policy.release_burn_factor = Decimal(rules.factor.numerator) / Decimal(rules.factor.denominator)
    policy.release_watch_minutes = rules.watch_minutes
    policy.release_min_bad_events = rules.min_bad_events
    policy.rollback_webhook_url = url
    if secret is not KEEP:
        policy.rollback_webhook_secret = secret
    if slo is not None:
        policy.rollback_webhook_secret = ""
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError:
        field, whose = ("slo", slo.name) if slo is not None else ("service", service.name)
        raise ConflictError(
            f"{whose} already has a budget policy; edit that one.", fields={field: ["Taken."]}
        ) from None
    return policy


def policy_delete(*, policy: BudgetPolicy) -> None:
    """Delete a policy: an SLO's falls back to its service's, a service's to the defaults. Audited."""
    policy.delete()
