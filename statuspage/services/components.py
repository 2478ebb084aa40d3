"""Components, groups and responders' status overrides."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from incidents.choices import OPEN_STATUSES
from incidents.models import Incident
from sre.errors import ConflictError, InvalidInputError, NotFoundError
from statuspage.choices import ComponentStatus
from statuspage.models import Component, ComponentGroup
from statuspage.selectors import component_states
from statuspage.services.sync import snapshot_request


def _requested() -> None:

    snapshot_request()


def group_save(*, group: ComponentGroup | None, data: dict[str, Any]) -> ComponentGroup:
    """Create or update a group (names are unique)."""
    group = group or ComponentGroup()
    for key in ("name", "description", "position"):
        if key in data:
            setattr(group, key, data[key])
    if not (group.name or "").strip():
        raise InvalidInputError("A group needs a name.", fields={"name": ["Required."]})
    try:
        with transaction.atomic():
            group.save()
    except IntegrityError:
        raise ConflictError(f"A group named {group.name!r} exists.", fields={"name": ["Already used."]}) from None
    _requested()
    return group


def group_delete(*, group: ComponentGroup) -> None:
    """Delete a group; its components stay, ungrouped."""
    group.delete()
    _requested()


def component_save(
    *, component: Component | None, data: dict[str, Any], services: list | None = None, slos: list | None = None
) -> Component:
    """Create or update a component with its linked services and SLOs (names are unique)."""
    component = component or Component()
    for key in ("name", "description", "group", "position", "only_show_if_degraded", "status_from_slo_burn"):
        if key in data:
            setattr(component, key, data[key])
    if not (component.name or "").strip():
        raise InvalidInputError("A component needs a name.", fields={"name": ["Required."]})
    try:
        with transaction.atomic():
            component.save()
            if services is not None:
                component.services.set(services)
            if slos is not None:
                component.slos.set(slos)
    except IntegrityError:
        raise ConflictError(
            f"A component named {component.name!r} exists.", fields={"name": ["Already used."]}
        ) from None
    _requested()
    return component


def component_delete(*, component: Component) -> None:
    component.delete()
    _requested()


def component_override_set(
    *, component_id: int, status: str, reason: str, incident_id: int | None, actor: str, now: datetime
) -> Component:
    """A responder sets the component's public status by hand. With ``incident_id`` (an open incident) the
    override ends when that incident resolves; without, it stays until cleared."""
    if status not in ComponentStatus.values:
        raise InvalidInputError("Unknown component status.", fields={"status": ["Invalid."]})
    incident = None
    if incident_id:
        incident = Incident.objects.filter(pk=incident_id).first()
        if incident is None or not incident.is_open:
            raise InvalidInputError(
                "The override can only be tied to an open incident.", fields={"incident": ["Not an open incident."]}
            )
    with transaction.atomic():
        component = Component.objects.select_for_update().order_by("pk").filter(pk=component_id).first()
        if component is None:
            raise NotFoundError("No such component.")
        component.override_status = status
        component.override_reason = (reason or "").strip()[:300]
        component.override_incident = incident
        component.override_by = actor
        component.override_at = now
        component.save(
            update_fields=[
                "override_status",
                "override_reason",
                "override_incident",
                "override_by",
                "override_at",
                "updated_at",
            ]
        )
    component_statuses_refresh(now=now)
    _requested()
    return component


def component_override_clear(*, component_id: int, now: datetime) -> None:
    """Back to the derived status."""
    Component.objects.filter(pk=component_id).update(
        override_status="", override_reason="", override_incident=None, override_by="", override_at=None
    )
    component_statuses_refresh(now=now)
    _requested()


def overrides_release(*, incident_id: int, now: datetime) -> int:
    """The incident an override waits for is being deleted: those overrides end now and the components go back
    to their derived status (``incidents.services.incident_delete`` asks, through ``incident_deleting``).
    Returns how many."""
    released = Component.objects.filter(override_incident_id=incident_id).update(
        override_status="", override_reason="", override_incident=None, override_by="", override_at=None
    )
    if released:
        component_statuses_refresh(now=now)
        _requested()
    return released


def overrides_expire(*, now: datetime) -> int:
    """Clear overrides whose incident has resolved (or vanished). Returns how many."""
    stale = Component.objects.exclude(override_status="").filter(override_at__isnull=False)
    expired = [
        c.pk
        for c in stale.select_related("override_incident")
        if c.override_incident is not None and c.override_incident.status not in OPEN_STATUSES
    ]
    if expired:
        Component.objects.filter(pk__in=expired).update(
            override_status="", override_reason="", override_incident=None, override_by="", override_at=None
        )
    return len(expired)


def component_statuses_refresh(*, now: datetime) -> list[tuple[Component, str, str]]:
    """Store each component's derived status; returns ``(component, old, new)`` for those that changed."""
    changed = []
    for state in component_states(now=now):
        component = state.component
        if component.status != state.status:
            old = component.status
            Component.objects.filter(pk=component.pk).update(status=state.status, status_changed_at=now)
            changed.append((component, old, state.status))
    return changed
