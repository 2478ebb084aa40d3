"""Writes of the timeline and status updates: Markdown notes, internal and public updates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from incidents.choices import IncidentStatus, TimelineKind, UpdateVisibility
from incidents.domain import lifecycle
from incidents.models import IncidentComponent, StatusUpdate, TimelineEntry
from incidents.services.common import incident_locked, incident_touch, timeline_add
from incidents.services.incidents import check_public_title, incident_set_components, incident_transition
from sre.domain.timewords import enum_words
from sre.errors import ConflictError, InvalidInputError

MAX_BODY = 50_000
PUBLIC_TITLE_NEEDED = (
    "Give the incident a public title before its first public update: customers see it on the status page "
    "instead of the internal title."
)
FINAL_UPDATE_NEEDED = (
    "Customers were told about this incident: write the final public update (it is posted as resolved), "
    "or confirm resolving without one."
)


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
    public_title: str | None = None,
) -> StatusUpdate:
    """Post an update. With ``status`` the incident moves there first (validated like any transition);
    with ``components`` their impact is set first. A public update records the Statuspage status and the
    affected components' statuses at this moment for the status page.

    A public update needs the incident's public title (``public_title`` sets or changes it in the same
    step); without one it is refused with ``InvalidInputError`` on ``public_title`` and nothing changes."""
    body = _check_body(body)
    if visibility not in UpdateVisibility.values:
        raise InvalidInputError("Visibility is internal or public.", fields={"visibility": ["Invalid."]})
    with transaction.atomic():
        incident = incident_locked(incident_id=incident_id, version=version)
        if visibility == UpdateVisibility.PUBLIC:
            wanted = check_public_title(public_title)
            if not wanted and not incident.public_title:
                raise InvalidInputError(
                    PUBLIC_TITLE_NEEDED, fields={"public_title": ["Required before a public update."]}
                )
            if wanted and wanted != incident.public_title:
                old, incident.public_title = incident.public_title, wanted
                timeline_add(
                    incident,
                    kind=TimelineKind.EDIT,
                    now=now,
                    actor=actor,
                    message="Edited public title",
                    data={"field": "public_title", "old": old, "new": wanted},
                )
                incident_touch(incident, actor=actor, now=now, fields=["public_title"])
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
            message=f"**{label}** ({enum_words(update.public_status if public else incident.status).lower()}): {body}",
            data={"update_id": update.pk, "visibility": visibility, "components": snapshot},
        )
        incident_touch(incident, actor=actor, now=now)
    return update


def incident_resolve(
    *,
    incident_id: int,
    actor: str,
    now: datetime,
    public_body: str = "",
    public_title: str | None = None,
    confirm_without_public: bool = False,
    version: int | None = None,
    note: str = "",
) -> StatusUpdate | None:
    """Resolve the incident, with its final public update when ``public_body`` is given (posted as
    resolved, so customers read it with the resolution; the public-title rule applies). When customers
    were told about the incident (it has public updates) and no final text is given, refused with
    ``ConflictError`` on ``public_body`` unless ``confirm_without_public``. ``note`` goes on the timeline entry of
    the resolution either way. Returns the update posted."""
    public_body = (public_body or "").strip()
    with transaction.atomic():
        incident = incident_locked(incident_id=incident_id, version=version)
        if public_body:
            if note and incident.status != IncidentStatus.RESOLVED:  # the note goes on the resolution entry
                incident_transition(
                    incident_id=incident.pk, target=IncidentStatus.RESOLVED, actor=actor, now=now, note=note
                )
            return status_update_post(
                incident_id=incident.pk,
                body=public_body,
                visibility=UpdateVisibility.PUBLIC,
                status=IncidentStatus.RESOLVED,
                public_title=public_title,
                actor=actor,
                now=now,
            )
        told = StatusUpdate.objects.filter(incident=incident, visibility=UpdateVisibility.PUBLIC).exists()
        if told and not confirm_without_public:
            raise ConflictError(FINAL_UPDATE_NEEDED, fields={"public_body": ["Write the final public update."]})
        incident_transition(incident_id=incident.pk, target=IncidentStatus.RESOLVED, actor=actor, now=now, note=note)
    return None
