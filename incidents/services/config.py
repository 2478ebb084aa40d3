"""Writes of the configuration admins own: severity labels and descriptions, auto-open policies."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from alerts.domain.matchers import MatcherError, parse_matchers
from incidents.choices import PublicImpact, Severity
from incidents.models import IncidentPolicy, SeverityLevel
from incidents.policy import matchers_forget
from sre.errors import ConflictError, InvalidInputError


def severity_level_save(*, key: str, label: str, description: str = "", public_impact: str = "") -> SeverityLevel:
    """Set the label / description / public impact of one of the fixed severity keys."""
    if key not in Severity.values:
        raise InvalidInputError(f"Unknown severity {key!r}.")
    label = (label or "").strip()[:50]
    if not label:
        raise InvalidInputError("A severity needs a label.", fields={"label": ["Required."]})
    if public_impact and public_impact not in PublicImpact.values:
        raise InvalidInputError("Unknown public impact.", fields={"public_impact": ["Invalid."]})
    level, _ = SeverityLevel.objects.get_or_create(key=key, defaults={"label": label})
    level.label = label
    level.description = description or ""
    if public_impact:
        level.public_impact = public_impact
    level.save()
    return level


DEFAULT_SEVERITIES = (
    ("sev1", "SEV1 · Critical", "Customer-facing outage or data loss on a critical service; all hands.", "critical"),
    ("sev2", "SEV2 · Major", "Major degradation of a critical service, or outage of a non-critical one.", "major"),
    ("sev3", "SEV3 · Minor", "Partial degradation with a workaround; fix during working hours.", "minor"),
    ("sev4", "SEV4 · Low", "No customer impact yet; a risk worth tracking.", "none"),
)
DEFAULT_POLICY = {
    "name": "SLO burn on a tier-1 service",
    "matchers": ["severity=page", "slo=~.+"],
    "max_service_tier": 1,
    "severity": "sev2",
    "enabled": True,
}


def incident_defaults_ensure() -> None:
    """Create the default severity levels and auto-open policy where missing (migration 0002 does the same
    on install; this re-asserts them after a flush, e.g. in tests or ``seed_demo``). Never overwrites."""
    for key, label, description, impact in DEFAULT_SEVERITIES:
        SeverityLevel.objects.get_or_create(
            key=key, defaults={"label": label, "description": description, "public_impact": impact}
        )
    if not IncidentPolicy.objects.exists():
        IncidentPolicy.objects.create(**DEFAULT_POLICY)
        matchers_forget()


POLICY_FIELDS = ("name", "enabled", "position", "matchers", "max_service_tier", "severity")
MAX_POLICY_MATCHERS = 50


def policy_save(*, policy: IncidentPolicy | None, data: dict[str, Any]) -> IncidentPolicy:
    """Create (``policy=None``) or update an auto-open policy from the fields in ``data`` (others keep
    their current or default values). ``matchers`` are Alertmanager matcher strings that must all match a
    firing alert (none: every alert); ``max_service_tier`` is 1–3, or ``None`` for any service."""
    policy = policy or IncidentPolicy()
    values = {field: data.get(field, getattr(policy, field)) for field in POLICY_FIELDS}
    name = str(values["name"] or "").strip()
    if not name:
        raise InvalidInputError("A policy needs a name.", fields={"name": ["Required."]})
    matchers = values["matchers"]
    if not isinstance(matchers, list) or not all(isinstance(m, str) for m in matchers):
        raise InvalidInputError("Matchers are a list of strings.", fields={"matchers": ['e.g. ["severity=page"]']})
    matchers = [m.strip() for m in matchers if m.strip()]
    if len(matchers) > MAX_POLICY_MATCHERS:
        raise InvalidInputError("Too many matchers.", fields={"matchers": [f"At most {MAX_POLICY_MATCHERS}."]})
    try:
        parse_matchers(matchers)
    except MatcherError as exc:
        raise InvalidInputError(str(exc), fields={"matchers": [str(exc)]}) from None
    tier = values["max_service_tier"]
    if tier is not None and tier not in (1, 2, 3):
        raise InvalidInputError("A tier is 1, 2 or 3, or empty for any.", fields={"max_service_tier": ["Invalid."]})
    if values["severity"] not in Severity.values:
        raise InvalidInputError("Unknown severity.", fields={"severity": ["Invalid."]})
    policy.name, policy.matchers, policy.max_service_tier = name[:100], matchers, tier
    policy.severity, policy.enabled = values["severity"], bool(values["enabled"])
    policy.position = int(values["position"] or 0)
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError:
        raise ConflictError(f"A policy named {name!r} exists.", fields={"name": ["Already used."]}) from None
    matchers_forget()
    return policy


def policy_delete(*, policy_id: int) -> None:
    IncidentPolicy.objects.filter(pk=policy_id).delete()
    matchers_forget()
