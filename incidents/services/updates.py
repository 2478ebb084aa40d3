"""Writes of the timeline and status updates: Markdown notes, internal and public updates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from incidents.choices import TimelineKind, UpdateVisibility
from incidents.domain import lifecycle
from incidents.models import IncidentComponent, StatusUpdate, TimelineEntry
from incidents.services.common import incident_locked, incident_touch, timeline_add
from sre.errors import InvalidInputError

MAX_BODY = 50_000


def _check_body(body: str, *, name: str = "body") -> str:
    body = (body or "").strip()
    if not body:
        raise InvalidInputError("Write something first.", fields={name: ["Required."]})
    if len(body) > MAX_BODY:
        raise InvalidInputError(f"At most {MAX_BODY} characters.", fields={name: ["Too long."]})
    return body


def timeline_note_add(
    *, incident_id: int, body: str, actor: str, now: datetime, at: datetime | None = None
) -> TimelineEntry:
    """Add a Markdown note to the timeline (``at`` may backdate it, e.g. "14:02 rolled back", but not before
    the incident started or into the future)."""
    body = _check_body(body)
    with transaction.atomic():
        incident = incident_locked(incident_id=incident_id)
        at = at or now
        if at > now or at < incident.started_at:
            raise InvalidInputError(
                "A note's time must be between the incident start and now.", fields={"at": ["Out of range."]}
            )
        entry = timeline_add(incident, kind=TimelineKind.NOTE, now=at, actor=actor, message=body)
        incident_touch(incident, actor=actor, now=now)
    return entry


def status_update_post(
    *,
    incident_id: int,
    body: str,
    visibility: str,
    actor: str,
    now: datetime,
    status: str | None = None,
    components: list[tuple[Any, str]] | None = None,
    version: int | None = None,
) -> StatusUpdate:
    """Post an update. With ``status`` the incident moves there first (validated like any transition);
    with ``components`` their impact is set first. A public update records the Statuspage status and the
    affected components' statuses at this moment for the status page."""
    from incidents.services.incidents import incident_set_components, incident_transition

    body = _check_body(body)
    if visibility not in UpdateVisibility.values:
        raise InvalidInputError("Visibility is internal or public.", fields={"visibility": ["Invalid."]})
    with transaction.atomic():
        incident = incident_locked(incident_id=incident_id, version=version)
        if status and status != incident.status:
            incident = incident_transition(incident_id=incident_id, target=status, actor=actor, now=now)
        if components is not None:
            incident = incident_set_components(incident_id=incident_id, impacts=components, actor=actor, now=now)
        published = hasattr(incident, "postmortem") and incident.postmortem.state == "published"
        snapshot = [
            {"component_id": ci.component_id, "name": ci.component.name, "status": ci.status}
            for ci in IncidentComponent.objects.filter(incident=incident).select_related("component")
        ]
        update = StatusUpdate.objects.create(
            incident=incident,
            visibility=visibility,
            status=incident.status,
            public_status=lifecycle.public_status(incident.status, postmortem_published=published),
            body=body,
            components=snapshot if visibility == UpdateVisibility.PUBLIC else [],
            created_at=now,
            created_by=actor,
        )
        public = visibility == UpdateVisibility.PUBLIC
        label = "Public update" if public else "Internal update"
        timeline_add(
            incident,
            kind=TimelineKind.UPDATE,
            now=now,
            actor=actor,
            message=f"**{label}** ({update.public_status if public else incident.status}): {body}",
            data={"update_id": update.pk, "visibility": visibility, "components": snapshot},
        )
        incident_touch(incident, actor=actor, now=now)
    return update
