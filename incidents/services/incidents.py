"""Writes of incidents: declare, edit, move through the lifecycle, roles, timestamps, components, alert links."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from alerts.choices import GroupState
from alerts.models import AlertGroup
from alerts.selectors import group_with_alerts
from alerts.services import group_acknowledge
from incidents import metrics
from incidents.choices import IncidentSource, IncidentStatus, Severity, TimelineKind
from incidents.domain import lifecycle
from incidents.models import Incident, IncidentAlertGroup, IncidentComponent
from incidents.selectors import incident_open_for_group
from incidents.services.common import incident_locked, incident_touch, iso, status_page_refresh, timeline_add
from slo.models import Service
from sre.domain.timewords import enum_words
from sre.errors import ConflictError, InvalidInputError, NotFoundError
from statuspage.choices import ComponentStatus

logger = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
ROLE_FIELDS = ("commander", "communications_lead", "scribe")
ROLE_LABELS = {"commander": "Commander", "communications_lead": "Communications lead", "scribe": "Scribe"}
EDITABLE_FIELDS = ("title", "public_title", "summary", "severity")


def _check_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise InvalidInputError("An incident needs a title.", fields={"title": ["Required."]})
    return title[:200]


def check_public_title(title: str | None) -> str:
    """The public title as stored: one line without control characters (a pasted tab or escape code),
    stripped, at most 200 characters ("" = not set yet)."""
    return " ".join(_CONTROL.sub(" ", title or "").split())[:200]


def _check_severity(severity: str) -> str:
    if severity not in Severity.values:
        raise InvalidInputError(
            f"Unknown severity {severity!r}; use one of {', '.join(Severity.values)}.",
            fields={"severity": ["Invalid."]},
        )
    return severity


def incident_create(
    *,
    title: str,
    actor: str,
    now: datetime,
    public_title: str = "",
    severity: str = Severity.SEV3,
    summary: str = "",
    services: Iterable[Any] = (),
    components: Iterable[tuple[Any, str]] = (),
    started_at: datetime | None = None,
    detected_at: datetime | None = None,
    commander: Any = None,
    source: str = IncidentSource.MANUAL,
    dedup_key: str = "",
    alert_group_ids: Iterable[int] = (),
) -> Incident:
    """Declare an incident (status triage). Writes the ``created`` timeline entry, links the alert groups
    and records component impact. ``started_at`` defaults to now; ``detected_at`` to ``started_at``.
    With a ``dedup_key`` raises ``IntegrityError`` when an open incident already has it (the policy relies
    on that). ``public_title`` is what the status page will show (may be set later, before the first
    public update)."""
    title = _check_title(title)
    _check_severity(severity)
    started_at = started_at or now
    detected_at = detected_at or started_at
    errors = lifecycle.check_timestamps({"started_at": started_at, "detected_at": detected_at})
    if errors:
        raise InvalidInputError(next(iter(errors.values())), fields={k: [v] for k, v in errors.items()})
    with transaction.atomic():
        incident = Incident.objects.create(
            title=title,
            public_title=check_public_title(public_title),
            summary=summary or "",
            severity=severity,
            status=IncidentStatus.TRIAGE,
            source=source,
            dedup_key=dedup_key,
            commander=commander,
            started_at=started_at,
            detected_at=detected_at,
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
        )
        incident.services.set(list(services))
        timeline_add(
            incident,
            kind=TimelineKind.CREATED,
            now=now,
            actor=actor,
            message=f"Declared {severity.upper()}: {title}",
            data={"source": source, "severity": severity},
        )
        for component, status in components:
            IncidentComponent.objects.create(incident=incident, component=component, status=status, updated_at=now)
        for group_id in alert_group_ids:
            _link(incident, group_id=group_id, actor=actor, now=now)
        status_page_refresh()
    transaction.on_commit(lambda: metrics.INCIDENTS_OPENED.labels(severity=severity, source=source).inc())
    return incident


def incident_create_from_group(
    *, group_id: int, actor: str, now: datetime, severity: str | None = None, title: str = "", public_title: str = ""
) -> Incident:
    """Declare an incident from an alert group, prefilled: title from the alert name and summary, services
    from the ``service`` labels, started at the earliest alert, detected when the group opened, the group
    linked. Raises ``ConflictError`` if the group already belongs to an open incident."""
    group = group_with_alerts(group_id=group_id)
    if group is None:
        raise InvalidInputError("No such alert group.", fields={"group_id": ["Not found."]})
    existing = incident_open_for_group(group_id=group_id)
    if existing is not None:
        raise ConflictError(f"This alert group is already linked to open incident #{existing.pk}: {existing.title}.")
    prefill = group_prefill(group)
    return incident_create(
        title=title or prefill["title"],
        public_title=public_title,  # never the alert text: customers get only what someone wrote for them
        summary=prefill["summary"],
        severity=severity or prefill["severity"],
        services=prefill["services"],
        started_at=prefill["started_at"],
        detected_at=prefill["detected_at"],
        actor=actor,
        now=now,
        source=IncidentSource.ALERT_GROUP,
        alert_group_ids=[group.pk],
    )


def group_prefill(group: Any) -> dict[str, Any]:
    """What a new incident from ``group`` starts with (also shown in the confirmation form)."""
    alerts = list(group.alerts.all())
    labels = dict(group.group_labels or {})
    name = labels.get("alertname") or next((a.labels.get("alertname") for a in alerts if a.labels.get("alertname")), "")
    summary = next((a.annotations.get("summary") for a in alerts if a.annotations.get("summary")), "")
    description = next((a.annotations.get("description") for a in alerts if a.annotations.get("description")), "")
    service_names = {labels.get("service")} | {a.labels.get("service") for a in alerts}
    services = list(Service.objects.filter(name__in=[n for n in service_names if n]))
    alert_severity = labels.get("severity") or next(
        (a.labels.get("severity") for a in alerts if a.labels.get("severity")), ""
    )
    severity = Severity.SEV2 if alert_severity in ("page", "critical") else Severity.SEV3
    if any(s.tier == 1 for s in services) and severity == Severity.SEV3:
        severity = Severity.SEV2
    title = name or str(group)
    if summary:
        title = f"{title}: {summary}"
    elif services:
        title = f"{title} on {', '.join(s.name for s in services)}"
    started = min((a.starts_at for a in alerts), default=group.created_at)
    return {
        "title": title[:200],
        "summary": description or summary,
        "severity": severity,
        "services": services,
        "started_at": min(started, group.created_at),
        "detected_at": group.created_at,
    }


def incident_update(*, incident_id: int, version: int, actor: str, now: datetime, changes: dict[str, Any]) -> Incident:
    """Edit title, public title, summary, severity and services (``changes`` holds only what changes). Refused with
    ``StaleVersionError`` if ``version`` is not the stored one. Each change is a timeline entry."""
    unknown = set(changes) - {*EDITABLE_FIELDS, "services"}
    if unknown:
        raise InvalidInputError(f"Cannot edit {', '.join(sorted(unknown))} here.")
    with transaction.atomic():
        incident = incident_locked(incident_id=incident_id, version=version)
        fields = []
        if "title" in changes:
            changes["title"] = _check_title(changes["title"])
        if "public_title" in changes:
            changes["public_title"] = check_public_title(changes["public_title"])
            if not changes["public_title"] and incident.public_title and incident.updates.filter(visibility="public"):
                raise InvalidInputError(
                    "This incident is on the status page: its public title can change but not be removed.",
                    fields={"public_title": ["Required once public."]},
                )
        if "severity" in changes:
            _check_severity(changes["severity"])
        for name in EDITABLE_FIELDS:
            if name in changes and changes[name] != getattr(incident, name):
                old = getattr(incident, name)
                setattr(incident, name, changes[name])
                fields.append(name)
                kind = TimelineKind.SEVERITY if name == "severity" else TimelineKind.EDIT
                message = (
                    f"Severity {old.upper()} → {changes[name].upper()}"
                    if name == "severity"
                    else f"Edited {name.replace('_', ' ')}"
                )
                timeline_add(
                    incident,
                    kind=kind,
                    now=now,
                    actor=actor,
                    message=message,
                    data={"field": name, "old": old, "new": changes[name]},
                )
        if "services" in changes:
            old = sorted(s.name for s in incident.services.all())
            new = sorted(s.name for s in changes["services"])
            if old != new:
                incident.services.set(list(changes["services"]))
                timeline_add(
                    incident,
                    kind=TimelineKind.EDIT,
                    now=now,
                    actor=actor,
                    message=f"Services: {', '.join(new) or 'none'}",
                    data={"field": "services", "old": old, "new": new},
                )
                fields.append("services")
        if fields:
            incident_touch(incident, actor=actor, now=now, fields=[f for f in fields if f != "services"])
    return incident


def incident_transition(
    *, incident_id: int, target: str, actor: str, now: datetime, version: int | None = None, note: str = ""
) -> Incident:
    """Move the incident to ``target``. An invalid move raises ``ConflictError`` whose ``fields`` carry
    ``allowed_next``. Sets the timestamps the move implies (acknowledged, mitigated, resolved, closed) and
    writes a status entry; a reopen clears resolved/closed."""
    with transaction.atomic():
        incident = incident_locked(incident_id=incident_id, version=version)
        current = incident.status
        try:
            lifecycle.check_transition(current=current, target=target)
        except lifecycle.TransitionError as exc:
            raise ConflictError(str(exc), fields={"allowed_next": list(exc.allowed)}) from exc
        stamps = {name: getattr(incident, name) for name in lifecycle.TIMESTAMP_FIELDS}
        changes = lifecycle.transition_timestamps(current=current, target=target, now=now, stamps=stamps)
        for name, value in changes.items():
            setattr(incident, name, value)
        incident.status = target
        reopen = lifecycle.is_reopen(current=current, target=target)
        extra = []
        if reopen and incident.dedup_key:
            # The policy may have opened a newer incident with the same key meanwhile; that one keeps it.
            clash = Incident.objects.filter(dedup_key=incident.dedup_key, status__in=lifecycle.OPEN).exclude(
                pk=incident.pk
            )
            if clash.exists():
                incident.dedup_key = ""
                extra.append("dedup_key")
        message = f"{'Reopened' if reopen else 'Status'}: {current} → {target}"
        if note:
            message += f" — {note.strip()[:2000]}"
        timeline_add(
            incident,
            kind=TimelineKind.STATUS,
            now=now,
            actor=actor,
            message=message,
            data={
                "old": current,
                "new": target,
                "reopen": reopen,
                "timestamps": {k: iso(v) for k, v in changes.items()},
            },
        )
        incident_touch(incident, actor=actor, now=now, fields=["status", *changes, *extra])
    if target == IncidentStatus.RESOLVED:
        transaction.on_commit(lambda: metrics.INCIDENTS_RESOLVED.labels(severity=incident.severity).inc())
    return incident


def incident_acknowledge(*, incident_id: int, actor: str, now: datetime, user: Any = None) -> Incident:
    """A responder takes the incident: sets acknowledged, moves triage to investigating, makes ``user``
    commander if there is none, and acknowledges the linked alert groups that still page."""
    with transaction.atomic():
        incident = incident_locked(incident_id=incident_id)
        if incident.acknowledged_at is not None:
            raise ConflictError(f"Already acknowledged at {incident.acknowledged_at:%Y-%m-%d %H:%M:%S} UTC.")
        if not lifecycle.is_open(incident.status):
            raise ConflictError(
                "This incident is no longer open.",
                fields={"allowed_next": list(lifecycle.allowed_next(incident.status))},
            )
        incident.acknowledged_at = now
        fields = ["acknowledged_at"]
        timeline_add(incident, kind=TimelineKind.ACKNOWLEDGE, now=now, actor=actor, message="Incident acknowledged")
        if incident.status == IncidentStatus.TRIAGE:
            incident.status = IncidentStatus.INVESTIGATING
            fields.append("status")
            timeline_add(
                incident,
                kind=TimelineKind.STATUS,
                now=now,
                actor=actor,
                message="Status: triage → investigating",
                data={"old": "triage", "new": "investigating", "reopen": False},
            )
        if user is not None and incident.commander_id is None:
            incident.commander = user
            fields.append("commander")
            timeline_add(
                incident,
                kind=TimelineKind.ROLE,
                now=now,
                actor=actor,
                message=f"Commander: {user.get_username()}",
                data={"role": "commander", "old": None, "new": user.get_username()},
            )
        incident_touch(incident, actor=actor, now=now, fields=fields)
        group_ids = IncidentAlertGroup.objects.filter(incident=incident, group__state=GroupState.FIRING).values_list(
            "group_id", flat=True
        )
        for group_id in list(group_ids):
            try:
                group_acknowledge(group_id=group_id, actor=actor, now=now)
            except ConflictError:
                pass  # acknowledged or resolved meanwhile; nothing to do
    return incident


def incident_set_roles(
    *, incident_id: int, roles: dict[str, Any], actor: str, now: datetime, version: int | None = None
) -> Incident:
    """Assign commander / communications lead / scribe (any user, or ``None`` to clear). Only the roles in
    ``roles`` change; each change is a timeline entry."""
    unknown = set(roles) - set(ROLE_FIELDS)
    if unknown:
        raise InvalidInputError(f"Unknown role(s): {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        incident = incident_locked(incident_id=incident_id, version=version)
        changed = []
        for name, user in roles.items():
            if getattr(incident, f"{name}_id") == (user.pk if user else None):
                continue
            old = getattr(incident, name)
            setattr(incident, name, user)
            changed.append(name)
            new_name = user.get_username() if user else None
            old_name = old.get_username() if old else None
            timeline_add(
                incident,
                kind=TimelineKind.ROLE,
                now=now,
                actor=actor,
                message=f"{ROLE_LABELS[name]}: {new_name or 'unassigned'}",
                data={"role": name, "old": old_name, "new": new_name},
            )
        if changed:
            incident_touch(incident, actor=actor, now=now, fields=changed)
    return incident


def incident_set_timestamps(
    *, incident_id: int, values: dict[str, datetime | None], actor: str, now: datetime, version: int | None = None
) -> Incident:
    """Correct timestamps after the fact (e.g. the impact started before the alert). Validated for order;
    each change is an ``edit`` timeline entry with the old and new value (the audit trail)."""
    unknown = set(values) - set(lifecycle.TIMESTAMP_FIELDS)
    if unknown:
        raise InvalidInputError(f"Not a timestamp: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        incident = incident_locked(incident_id=incident_id, version=version)
        stamps = {name: getattr(incident, name) for name in lifecycle.TIMESTAMP_FIELDS}
        changed = {k: v for k, v in values.items() if stamps[k] != v}
        if not changed:
            return incident
        merged = {**stamps, **changed}
        errors = lifecycle.check_timestamps(merged)
        if errors:
            raise InvalidInputError(next(iter(errors.values())), fields={k: [v] for k, v in errors.items()})
        if incident.status in lifecycle.OPEN and merged["resolved_at"] is not None:
            raise InvalidInputError(
                "An open incident has no resolution time; resolve it instead.",
                fields={"resolved_at": ["Incident is open."]},
            )
        for name, value in changed.items():
            timeline_add(
                incident,
                kind=TimelineKind.EDIT,
                now=now,
                actor=actor,
                message=f"{name.replace('_at', '').capitalize()} time changed",
                data={"field": name, "old": iso(stamps[name]), "new": iso(value)},
            )
            setattr(incident, name, value)
        incident_touch(incident, actor=actor, now=now, fields=list(changed))
    return incident


def incident_set_components(
    *, incident_id: int, impacts: list[tuple[Any, str]], actor: str, now: datetime, version: int | None = None
) -> Incident:
    """Set the affected status-page components and their impact (the complete list; others are removed)."""
    for _, status in impacts:
        if status not in ComponentStatus.values:
            raise InvalidInputError(f"Unknown component status {status!r}.", fields={"components": ["Invalid status."]})
    with transaction.atomic():
        incident = incident_locked(incident_id=incident_id, version=version)
        current = {
            ci.component_id: ci
            for ci in IncidentComponent.objects.filter(incident=incident).select_related("component")
        }
        wanted = {component.pk: (component, status) for component, status in impacts}
        lines = []
        for pk, ci in current.items():
            if pk not in wanted:
                ci.delete()
                lines.append(f"{ci.component.name}: removed")
        for pk, (component, status) in wanted.items():
            existing = current.get(pk)
            if existing is None:
                IncidentComponent.objects.create(incident=incident, component=component, status=status, updated_at=now)
                lines.append(f"{component.name}: {enum_words(status).lower()}")
            elif existing.status != status:
                existing.status, existing.updated_at = status, now
                existing.save(update_fields=["status", "updated_at"])
                lines.append(f"{component.name}: {enum_words(status).lower()}")
        if lines:
            timeline_add(
                incident,
                kind=TimelineKind.EDIT,
                now=now,
                actor=actor,
                message="Components — " + "; ".join(lines),
                data={"field": "components", "changes": lines},
            )
            incident_touch(incident, actor=actor, now=now)
    return incident


def _link(incident: Incident, *, group_id: int, actor: str, now: datetime) -> bool:

    group = AlertGroup.objects.filter(pk=group_id).first()
    if group is None:
        raise InvalidInputError(f"No alert group {group_id}.", fields={"group_id": ["Not found."]})
    try:
        with transaction.atomic():
            IncidentAlertGroup.objects.create(incident=incident, group=group, linked_at=now, linked_by=actor)
    except IntegrityError:
        return False
    timeline_add(
        incident,
        kind=TimelineKind.ALERT_LINKED,
        now=now,
        actor=actor,
        message=f"Alert group {group_id} linked: {group}",
        data={"group_id": group_id},
    )
    return True


def incident_link_group(*, incident_id: int, group_id: int, actor: str, now: datetime) -> bool:
    """Link an alert group; returns False if it was already linked (idempotent)."""
    with transaction.atomic():
        incident = incident_locked(incident_id=incident_id)
        linked = _link(incident, group_id=group_id, actor=actor, now=now)
        if linked:
            incident_touch(incident, actor=actor, now=now)
    return linked


def incident_unlink_group(*, incident_id: int, group_id: int, actor: str, now: datetime) -> None:
    with transaction.atomic():
        incident = incident_locked(incident_id=incident_id)
        deleted, _ = IncidentAlertGroup.objects.filter(incident=incident, group_id=group_id).delete()
        if not deleted:
            raise NotFoundError("That alert group is not linked to this incident.")
        timeline_add(
            incident,
            kind=TimelineKind.EDIT,
            now=now,
            actor=actor,
            message=f"Alert group {group_id} unlinked",
            data={"field": "alert_groups", "removed": group_id},
        )
        incident_touch(incident, actor=actor, now=now)
