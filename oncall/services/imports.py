"""Import of on-call configuration from Grafana OnCall or PagerDuty (the documents their APIs return).

The pure domain (``oncall.domain.imports_grafana`` / ``imports_pagerduty``) turns the document into a
plan and lists what it cannot map exactly; this service matches the source's people to ours by email
(case-insensitive, active users only; nobody is ever created), then creates schedules, layers,
overrides and policies through their own services in one transaction. A name that already exists is
skipped (never overwritten) and listed. A dry run does the same and rolls back, so its report says
exactly what would be created."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.functions import Lower

from oncall.domain.imports import (
    NOTIFY_PERSONS,
    NOTIFY_SCHEDULE,
    TIME_WINDOW,
    ImportFormatError,
    ImportPlan,
    PolicyPlan,
    SchedulePlan,
    Unmapped,
    restrictions_json,
)
from oncall.domain.imports_grafana import grafana_plan
from oncall.domain.imports_pagerduty import pagerduty_plan
from oncall.models import EscalationPolicy, Schedule
from oncall.services.policies import policy_save
from oncall.services.schedules import layer_save, override_create, schedule_save
from sre.choices import Role
from sre.errors import InvalidInputError

User = get_user_model()
PARSERS: dict[str, Callable[..., ImportPlan]] = {"grafana": grafana_plan, "pagerduty": pagerduty_plan}
SOURCES = tuple(PARSERS)


@dataclass
class ImportReport:
    """What an import created (or, in a dry run, would create) and what it left out, with reasons."""

    source: str
    dry_run: bool
    created: dict[str, list[str]] = field(
        default_factory=lambda: {"schedules": [], "layers": [], "overrides": [], "policies": []}
    )
    people: dict[str, str] = field(default_factory=dict)  # source user id → our username
    unmapped: list[Unmapped] = field(default_factory=list)

    @property
    def created_any(self) -> bool:
        return any(self.created.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "created": self.created,
            "people": self.people,
            "unmapped": [{"item": u.item, "reason": u.reason} for u in self.unmapped],
        }


class _ImportActor:
    """Who creates overrides when the import runs without a signed-in user (the management command)."""

    is_authenticated = True
    is_active = True
    is_superuser = True
    pk = None
    _sre_role = Role.ADMIN.value

    def __init__(self, source: str) -> None:
        self.source = source

    def get_username(self) -> str:
        return f"import:{self.source}"


def oncall_import(*, source: str, document: Any, dry_run: bool, now: datetime, actor: Any = None) -> ImportReport:
    """Import ``document`` (Grafana OnCall or PagerDuty API JSON) and report. Raises InvalidInputError
    naming the field for an unknown ``source`` or a document of the wrong shape; everything that cannot
    be created exactly is in ``report.unmapped`` instead."""
    if source not in PARSERS:
        raise InvalidInputError(f"source must be one of {', '.join(SOURCES)}.", fields={"source": ["Unknown source."]})
    try:
        plan = PARSERS[source](document=document, now=now)
    except ImportFormatError as exc:
        raise InvalidInputError(f"{exc.field}: {exc.message}", fields={exc.field: [exc.message]}) from None
    report = ImportReport(source=source, dry_run=dry_run, unmapped=list(plan.unmapped))
    ids = _people(plan, report)
    actor = actor or _ImportActor(source)
    with transaction.atomic():
        schedules: dict[str, Schedule] = {}
        for item in plan.schedules:
            created = _schedule(item, ids=ids, actor=actor, report=report)
            if created is not None:
                schedules[item.source_id] = created
        for policy in plan.policies:
            _policy(policy, ids=ids, schedules=schedules, report=report)
        if dry_run:
            transaction.set_rollback(True)
    return report


def _people(plan: ImportPlan, report: ImportReport) -> dict[str, int]:
    """Source user id → our user id, by email; every source user without exactly one match is listed."""
    emails = {p.email.strip().lower() for p in plan.people if p.email.strip()}
    found: dict[str, list[tuple[int, str]]] = {}
    rows = (
        User.objects.filter(is_active=True)
        .annotate(email_lower=Lower("email"))
        .filter(email_lower__in=emails)
        .values_list("email_lower", "pk", "username")
    )
    for email, pk, username in rows:
        found.setdefault(email, []).append((pk, username))
    ids = {}
    for person in plan.people:
        label = f"user {person.source_id} <{person.email or 'no email'}>"
        matches = found.get(person.email.strip().lower(), [])
        if len(matches) == 1:
            ids[person.source_id] = matches[0][0]
            report.people[person.source_id] = matches[0][1]
        elif matches:
            report.unmapped.append(Unmapped(label, "several users here have this email; not matched"))
        else:
            report.unmapped.append(Unmapped(label, "no active user here has this email (people are never created)"))
    return ids


def _missing(people: tuple[str, ...], ids: dict[str, int]) -> list[str]:
    return [p for p in people if p not in ids]


def _schedule(item: SchedulePlan, *, ids: dict[str, int], actor: Any, report: ImportReport) -> Schedule | None:
    label = f'schedule "{item.name}"'
    if Schedule.objects.filter(name=item.name[:100]).exists():
        report.unmapped.append(Unmapped(label, "a schedule with this name exists already; skipped, not overwritten"))
        return None
    data: dict[str, Any] = {"name": item.name[:100], "time_zone": item.time_zone}
    if item.ical_url:
        data["ical_url"] = item.ical_url
    try:
        with transaction.atomic():
            schedule = schedule_save(schedule=None, data=data)
    except InvalidInputError as exc:
        report.unmapped.append(Unmapped(label, exc.message))
        return None
    report.created["schedules"].append(item.name)
    for layer in item.layers:
        missing = _missing(layer.participants, ids)
        if missing:
            report.unmapped.append(Unmapped(layer.item, f"people not matched here: {', '.join(missing)}"))
            continue
        data = {
            "name": layer.name[:100],
            "level": layer.level,
            "rotation": layer.rotation,
            "every": layer.every,
            "start_date": layer.start.date(),
            "handoff_time": layer.start.time(),
            "end_date": layer.end.date() if layer.end else None,
            "restrictions": restrictions_json(layer.restrictions),
            "participants": [ids[p] for p in layer.participants],
        }
        try:
            with transaction.atomic():
                layer_save(schedule=schedule, layer=None, data=data)
        except InvalidInputError as exc:
            report.unmapped.append(Unmapped(layer.item, exc.message))
            continue
        report.created["layers"].append(f"{item.name} / {layer.name or layer.item}")
    for override in item.overrides:
        if override.person not in ids:
            report.unmapped.append(Unmapped(override.item, f"person not matched here: {override.person}"))
            continue
        try:
            with transaction.atomic():
                override_create(
                    schedule=schedule, user_id=ids[override.person], start=override.start, end=override.end, actor=actor
                )
        except InvalidInputError as exc:
            report.unmapped.append(Unmapped(override.item, exc.message))
            continue
        span = f"{override.start:%Y-%m-%d %H:%M}Z–{override.end:%Y-%m-%d %H:%M}Z"
        report.created["overrides"].append(f"{item.name}: {report.people[override.person]} {span}")
    return schedule


def _policy(
    item: PolicyPlan, *, ids: dict[str, int], schedules: dict[str, Schedule], report: ImportReport
) -> EscalationPolicy | None:
    label = f'escalation policy "{item.name}"'
    if EscalationPolicy.objects.filter(name=item.name[:100]).exists():
        report.unmapped.append(Unmapped(label, "a policy with this name exists already; skipped, not overwritten"))
        return None
    steps: list[dict[str, Any]] = []
    for step in item.steps:
        raw: dict[str, Any] = {"kind": step.kind, "important": step.important}
        if step.kind == NOTIFY_PERSONS:
            missing = _missing(step.persons, ids)
            if missing:
                report.unmapped.append(Unmapped(step.item, f"not paged, not matched here: {', '.join(missing)}"))
            persons = [ids[p] for p in step.persons if p in ids]
            if not persons:
                continue
            raw["persons"] = persons
        elif step.kind == NOTIFY_SCHEDULE:
            schedule = schedules.get(step.schedule or "")
            if schedule is None:
                report.unmapped.append(Unmapped(step.item, f"schedule {step.schedule} was not imported"))
                continue
            raw["schedule"] = schedule.pk
        elif step.kind == TIME_WINDOW and step.window is not None:
            weekdays, start, end, time_zone = step.window
            raw["window"] = {
                "weekdays": list(weekdays),
                "start": start.isoformat(),
                "end": end.isoformat(),
                "time_zone": time_zone,
            }
        raw["wait_minutes"] = step.wait_minutes
        raw["repeat_times"] = step.repeat_times
        steps.append(raw)
    try:
        with transaction.atomic():
            policy = policy_save(policy=None, data={"name": item.name[:100], "steps": steps})
    except InvalidInputError as exc:
        report.unmapped.append(Unmapped(label, exc.message))
        return None
    report.created["policies"].append(item.name)
    return policy
