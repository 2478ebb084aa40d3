"""Helpers shared by the incidents services: row locking with optimistic version checks, timeline writes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from incidents.models import Incident, TimelineEntry
from incidents.signals import incident_changed
from sre.errors import ConflictError, NotFoundError


class StaleVersionError(ConflictError):
    """The client edited an older version of the incident than the one stored (someone else changed it)."""

    code = "stale"


def incident_locked(*, incident_id: int, version: int | None = None) -> Incident:
    """The incident row, locked for this transaction. With ``version``, raise ``StaleVersionError`` if the
    row has changed since the client read it ("changed by X, reload")."""
    incident = Incident.objects.select_for_update().filter(pk=incident_id).first()
    if incident is None:
        raise NotFoundError("No such incident.")
    if version is not None and int(version) != incident.version:
        who = incident.updated_by or "someone"
        when = timezone.localtime(incident.updated_at).strftime("%H:%M:%S")
        raise StaleVersionError(
            f"This incident was changed by {who} at {when} (version {incident.version}, you had {version}); "
            "reload to see their change, then apply yours again.",
            fields={"version": [f"Current version is {incident.version}."]},
        )
    return incident


def incident_touch(incident: Incident, *, actor: str, now: datetime, fields: list[str] | None = None) -> None:
    """Save ``fields`` and bump the version (every change of an incident goes through here), and tell the
    status page to refresh once the transaction commits."""
    incident.version += 1
    incident.updated_at = now
    incident.updated_by = actor
    update = {"version", "updated_at", "updated_by", *(fields or [])}
    incident.save(update_fields=sorted(update))
    status_page_refresh()


def status_page_refresh() -> None:
    """Tell the apps that follow incidents that one changed: the status page (connected in ``statuspage.apps``)
    syncs and re-renders after this commit (idempotent; beat catches anything missed, e.g. an incident deleted
    in the Django admin)."""
    incident_changed.send(sender=Incident)


def timeline_add(
    incident: Incident,
    *,
    kind: str,
    now: datetime,
    actor: str = "",
    message: str = "",
    data: dict[str, Any] | None = None,
) -> TimelineEntry:
    return TimelineEntry.objects.create(
        incident=incident, at=now, kind=kind, actor=actor, message=message, data=data or {}
    )


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
