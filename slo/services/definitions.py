"""Writes of the slo app's definitions: services and SLOs, validated here (the form and the API give the same
messages); deleting an SLO resolves its firing burn alerts."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.db import IntegrityError, transaction

from slo.choices import BudgetingMethod, CalendarUnit, MissingGood, SliKind, WindowKind
from slo.domain.exact import decimal_str
from slo.domain.spec import SpecError, policy_default, policy_dump, policy_validate, sli_validate, target_validate
from slo.domain.windows import (
    zone,
)
from slo.models import SLO, Service
from slo.selectors.buckets import latency_threshold_check
from slo.services.evaluation import alert_set
from sre.domain.links import http_url
from sre.errors import ConflictError, InvalidInputError

SLUG = re.compile(r"[-a-zA-Z0-9_]{1,100}")
SERVICE_FIELDS = ("name", "owner_team", "tier", "description", "links")
SLO_FIELDS = (
    "service",
    "name",
    "display_name",
    "description",
    "target",
    "window_kind",
    "window_days",
    "calendar_unit",
    "timezone",
    "budgeting_method",
    "timeslice_target",
    "sli_kind",
    "sli",
    "missing_good",
    "alert_policy",
    "enabled",
)


def _invalid(exc: SpecError) -> InvalidInputError:
    return InvalidInputError(f"Invalid SLO: {exc}", fields=exc.errors)


def service_save(*, service: Service | None, data: dict) -> Service:
    """Create or update a service. ``links`` must be a list of {"title", "url"} with http(s) URLs."""
    links = data.get("links", service.links if service else [])
    if not isinstance(links, list) or any(
        not isinstance(x, dict) or set(x) - {"title", "url"} or not http_url(x.get("url")) for x in links
    ):
        raise InvalidInputError("links: a list of {title, url} with http(s) URLs.", fields={"links": ["Invalid."]})
    name = data.get("name", service.name if service else "")
    if not isinstance(name, str) or not SLUG.fullmatch(name):
        raise InvalidInputError(
            f"Invalid service name {name!r}: a slug (a-z, 0-9, -, _) of at most 100 characters.",
            fields={"name": ["Must be a slug of at most 100 characters."]},
        )
    if len(str(data.get("owner_team", ""))) > 100:
        raise InvalidInputError("owner_team: at most 100 characters.", fields={"owner_team": ["Too long."]})
    service = service or Service()
    for key in SERVICE_FIELDS:
        if key in data:
            setattr(service, key, data[key])
    try:
        with transaction.atomic():
            service.save()
    except IntegrityError:
        raise ConflictError(f"A service named {service.name!r} exists.", fields={"name": ["Taken."]}) from None
    return service


def service_delete(*, service: Service) -> None:
    """Delete a service and (cascade) its SLOs and their history."""
    service.delete()


def slo_clean(data: dict, *, instance: SLO | None = None) -> dict:
    """Validate and normalise SLO fields (merged over ``instance``); raises ``InvalidInputError``."""
    merged = {key: getattr(instance, key) for key in SLO_FIELDS if instance is not None}
    merged.update({k: v for k, v in data.items() if k in SLO_FIELDS})
    errors: dict[str, list[str]] = {}
    if not isinstance(merged.get("name"), str) or not SLUG.fullmatch(merged.get("name", "")):
        errors["name"] = ["A slug (letters, digits, - and _) of at most 100 characters."]
    for key, limit in (("display_name", 200), ("description", 20000)):
        if not isinstance(merged.get(key, ""), str) or len(merged.get(key, "")) > limit:
            errors[key] = [f"Text of at most {limit} characters."]
    try:
        merged["target"] = Decimal(decimal_str(target_validate(merged.get("target", "0.999"))))
    except SpecError as exc:
        errors.update(exc.errors)
    if merged.get("budgeting_method", BudgetingMethod.OCCURRENCES) not in BudgetingMethod.values:
        errors["budgeting_method"] = ["Occurrences or Timeslices."]
    try:
        ts = target_validate(merged.get("timeslice_target", "0.99"), field="timeslice_target")
        merged["timeslice_target"] = Decimal(decimal_str(ts))
    except SpecError as exc:
        errors.update(exc.errors)
    if merged.get("window_kind", WindowKind.ROLLING) not in WindowKind.values:
        errors["window_kind"] = ["rolling or calendar."]
    if merged.get("calendar_unit", CalendarUnit.MONTH) not in CalendarUnit.values:
        errors["calendar_unit"] = ["week or month."]
    if merged.get("missing_good", MissingGood.NO_DATA) not in MissingGood.values:
        errors["missing_good"] = ["no_data or bad."]
    days = merged.get("window_days", 30)
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 90:
        errors["window_days"] = ["Whole days from 1 to 90."]
    try:
        zone(str(merged.get("timezone", "UTC")))
    except ValueError as exc:
        errors["timezone"] = [str(exc)]
    try:
        merged["sli"] = sli_validate(merged.get("sli_kind", SliKind.RATIO), merged.get("sli", {}))
    except SpecError as exc:
        errors.update(exc.errors)
    else:  # a latency threshold must be a bucket of the stored histogram (422 listing them)
        same_kind = instance is not None and instance.sli_kind == merged.get("sli_kind")
        latency_threshold_check(
            kind=merged.get("sli_kind", ""),
            sli=merged["sli"],
            previous=instance.sli if instance is not None and same_kind else None,
        )
    try:
        merged["alert_policy"] = policy_dump(policy_validate(merged.get("alert_policy", policy_default())))
    except SpecError as exc:
        errors.update(exc.errors)
    if errors:
        first = next(iter(errors.items()))
        raise InvalidInputError(f"Invalid SLO: {first[0]}: {' '.join(first[1])}", fields=errors)
    return merged


def slo_save(*, slo: SLO | None, data: dict) -> SLO:
    """Create or update an SLO after validating its SLI and policy. A changed definition clears the
    cached status (the next evaluation recomputes it); firing burn alerts stay until re-evaluated."""
    merged = slo_clean(data, instance=slo)
    slo = slo or SLO()
    for key, value in merged.items():
        setattr(slo, key, value)
    slo.status, slo.status_at = {}, None
    try:
        with transaction.atomic():
            slo.save()
    except IntegrityError:
        raise ConflictError(
            f"An SLO named {slo.name!r} exists in service {slo.service.name!r}.", fields={"name": ["Taken."]}
        ) from None
    return slo


def slo_delete(*, slo: SLO, now: dt.datetime) -> None:
    """Delete an SLO and its history; its firing burn alerts are resolved first."""
    with transaction.atomic():
        for labels in slo.burn_alerts:
            alert_set(labels=labels, annotations={"summary": f"SLO {slo.name} was deleted"}, firing=False, now=now)
        slo.delete()
