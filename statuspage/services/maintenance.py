"""Scheduled maintenance: saving it (with the alerts maintenance window that mutes matching alerts and may
leave the time out of SLO budgets), ending it early, and the start/end transitions that change component
status and notify subscribers."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from alerts.domain.matchers import MatcherError, parse_matchers
from alerts.services.silences import maintenance_window_delete, maintenance_window_save
from sre.errors import ConflictError, InvalidInputError, NotFoundError
from statuspage.choices import Recurrence
from statuspage.domain import occurrences as occ
from statuspage.models import MaintenanceEvent, ScheduledMaintenance
from statuspage.services.sync import snapshot_request

FIELDS = (
    "name",
    "body",
    "starts_at",
    "ends_at",
    "recurrence",
    "recurrence_until",
    "set_component_status",
    "mute_alerts",
    "extra_matchers",
    "exclude_from_slo",
    "notify_subscribers",
)


def _validate(data: dict[str, Any]) -> None:

    errors: dict[str, list[str]] = {}
    if not str(data.get("name") or "").strip():
        errors["name"] = ["Required."]
    starts, ends = data.get("starts_at"), data.get("ends_at")
    if not starts or not ends:
        errors["starts_at"] = ["Start and end are required."]
    elif ends <= starts:
        errors["ends_at"] = ["Must be after the start."]
    elif ends - starts > timedelta(days=31):
        errors["ends_at"] = ["A maintenance lasts at most 31 days."]
    if data.get("recurrence", "none") not in Recurrence.values:
        errors["recurrence"] = ["Invalid."]
    until = data.get("recurrence_until")
    if until and starts and until < starts:
        errors["recurrence_until"] = ["Must be after the first start."]
    matchers = data.get("extra_matchers") or []
    if not isinstance(matchers, list) or not all(isinstance(m, str) for m in matchers):
        errors["extra_matchers"] = ["A list of matcher strings."]
    else:
        try:
            parse_matchers(matchers)
        except MatcherError as exc:
            errors["extra_matchers"] = [str(exc)]
    if data.get("exclude_from_slo") and not data.get("mute_alerts", True):
        errors["exclude_from_slo"] = ["Excluding from SLO budgets uses the alert window: keep muting on."]
    if errors:
        first = next(iter(errors.values()))[0]
        raise InvalidInputError(f"Check the maintenance: {first}", fields=errors)


def _window_matchers(maintenance: ScheduledMaintenance) -> list[str]:
    services = sorted({s.name for c in maintenance.components.all() for s in c.services.all()})
    matchers = list(maintenance.extra_matchers or [])
    if services:
        matchers.append(f"service=~{json.dumps('|'.join(services))}")
    return matchers


def _sync_alert_window(maintenance: ScheduledMaintenance, *, routes: list | None, now: datetime) -> None:
    """Create, update or remove the alerts window that mutes the maintenance's alerts."""
    matchers = _window_matchers(maintenance)
    window = maintenance.alert_window
    wanted = maintenance.mute_alerts and (matchers or routes) and not maintenance.cancelled_at
    if not wanted:
        if window is not None:
            maintenance.alert_window = None
            maintenance.save(update_fields=["alert_window"])
            maintenance_window_delete(window=window, now=now)
        return
    data = {
        "name": f"Status page: {maintenance.name}"[:200],
        "description": f"Scheduled maintenance {maintenance.pk} of the status page.",
        "starts_at": maintenance.starts_at,
        "ends_at": maintenance.ends_at,
        "recurrence": maintenance.recurrence,
        "recurrence_until": maintenance.recurrence_until,
        "matchers": matchers,
        "exclude_from_slo": maintenance.exclude_from_slo,
        "created_by": maintenance.created_by,
    }
    window = maintenance_window_save(window=window, data=data, routes=routes or [], now=now)
    if maintenance.alert_window_id != window.pk:
        maintenance.alert_window = window
        maintenance.save(update_fields=["alert_window"])


def maintenance_save(
    *,
    maintenance: ScheduledMaintenance | None,
    data: dict[str, Any],
    components: list | None,
    actor: str,
    now: datetime,
    routes: list | None = None,
) -> ScheduledMaintenance:
    """Create or update a maintenance and its alerts window. A finished (completed/cancelled) maintenance
    cannot be edited."""
    merged = {key: getattr(maintenance, key) for key in FIELDS} if maintenance else {}
    merged.update({k: v for k, v in data.items() if k in FIELDS})
    merged.setdefault("recurrence", "none")
    if merged.get("recurrence") == "none":
        merged["recurrence_until"] = None
    _validate(merged)
    if maintenance and (maintenance.cancelled_at or maintenance.completed_at):
        raise ConflictError("This maintenance is over; schedule a new one.")
    with transaction.atomic():
        maintenance = maintenance or ScheduledMaintenance(created_by=actor)
        for key, value in merged.items():
            setattr(maintenance, key, value)
        maintenance.name = maintenance.name.strip()
        maintenance.save()
        if components is not None:
            maintenance.components.set(components)
        _sync_alert_window(maintenance, routes=routes, now=now)
    _after_change(now=now)
    return maintenance


def _after_change(*, now: datetime) -> None:

    snapshot_request(sync=True)


def _end(maintenance_id: int, *, field: str, now: datetime) -> ScheduledMaintenance:

    with transaction.atomic():
        maintenance = ScheduledMaintenance.objects.select_for_update().filter(pk=maintenance_id).first()
        if maintenance is None:
            raise NotFoundError("No such maintenance.")
        if maintenance.cancelled_at or maintenance.completed_at:
            raise ConflictError("This maintenance is already over.")
        setattr(maintenance, field, now)
        maintenance.save(update_fields=[field, "updated_at"])
        window = maintenance.alert_window
        if window is not None:
            if window.starts_at < now:
                # Keep the part that happened (history, SLO exclusion); stop muting from now on.
                data = {
                    "recurrence": "none",
                    "recurrence_until": None,
                    "ends_at": now,
                    "starts_at": window.starts_at,
                    "matchers": window.matchers,
                }
                current = occ.current_or_next(
                    starts_at=window.starts_at,
                    ends_at=window.ends_at,
                    recurrence=window.recurrence,
                    until=window.recurrence_until,
                    now=now,
                )
                if current and current[0] < now:
                    data["starts_at"] = current[0]
                maintenance_window_save(window=window, data=data, routes=list(window.routes.all()), now=now)
            else:
                maintenance.alert_window = None
                maintenance.save(update_fields=["alert_window"])
                maintenance_window_delete(window=window, now=now)
    _after_change(now=now)
    return maintenance


def maintenance_complete(*, maintenance_id: int, now: datetime) -> ScheduledMaintenance:
    """The work is done early: the components go back to their derived status and subscribers hear of
    the end (if it had started)."""
    return _end(maintenance_id, field="completed_at", now=now)


def maintenance_cancel(*, maintenance_id: int, now: datetime) -> ScheduledMaintenance:
    """Called off: it leaves the upcoming list; alerts are no longer muted."""
    return _end(maintenance_id, field="cancelled_at", now=now)


def maintenance_set_verifying(*, maintenance_id: int, verifying: bool, now: datetime) -> None:
    ScheduledMaintenance.objects.filter(pk=maintenance_id).update(verifying=verifying, updated_at=now)
    _after_change(now=now)


def maintenance_delete(*, maintenance: ScheduledMaintenance, now: datetime | None = None) -> None:
    """Delete a maintenance and its alerts window (through ``alerts.services.silences.maintenance_window_delete``,
    so what the window muted is re-evaluated at once); the status page re-renders after the commit."""
    now = now or timezone.now()
    with transaction.atomic():
        window = maintenance.alert_window
        maintenance.delete()
        if window is not None:
            maintenance_window_delete(window=window, now=now)

    snapshot_request()


def _record(maintenance: ScheduledMaintenance, start: datetime, kind: str, now: datetime) -> MaintenanceEvent | None:
    try:
        with transaction.atomic():
            return MaintenanceEvent.objects.create(maintenance=maintenance, occurrence_start=start, kind=kind, at=now)
    except IntegrityError:
        return None


def maintenance_transitions(*, now: datetime) -> list[MaintenanceEvent]:
    """Record the starts and ends that happened since the last run (each once: the unique constraint on
    ``MaintenanceEvent``). An occurrence missed entirely while nothing ran gets no events; an end is only
    recorded for an occurrence whose start was."""
    created: list[MaintenanceEvent] = []
    horizon = now - timedelta(days=2)
    qs = ScheduledMaintenance.objects.filter(starts_at__lte=now).exclude(recurrence="none", ends_at__lt=horizon)
    for maintenance in qs.prefetch_related("events"):
        stop = min(x for x in (now, maintenance.cancelled_at, maintenance.completed_at) if x is not None)
        started = {e.occurrence_start for e in maintenance.events.all() if e.kind == "start"}
        ended = {e.occurrence_start for e in maintenance.events.all() if e.kind == "end"}
        spans = occ.occurrences(
            starts_at=maintenance.starts_at,
            ends_at=maintenance.ends_at,
            recurrence=maintenance.recurrence,
            until=maintenance.recurrence_until,
            start=horizon,
            end=now + timedelta(seconds=1),
        )
        for start, end in spans:
            if start > now:
                continue
            over = end <= now or stop < now
            if start not in started and not over and start <= stop:
                event = _record(maintenance, start, "start", now)
                if event:
                    created.append(event)
                    started.add(start)
            if start in started and start not in ended and over:
                event = _record(maintenance, start, "end", now)
                if event:
                    created.append(event)
    return created
