"""The public view of incidents, for the status page app to render (a read; nothing internal leaks).

An incident is public once it has at least one public status update. Statuses follow Atlassian
Statuspage (investigating|identified|monitoring|resolved|postmortem) and so does ``impact``
(none|minor|major|critical, from the severity level's configured public impact).

    from incidents.public import public_incidents
    for incident in public_incidents(since=now - timedelta(days=14)):
        incident.name, incident.status, incident.impact, incident.components, incident.updates
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from incidents.choices import OPEN_STATUSES, PostmortemState
from incidents.domain.lifecycle import public_status
from incidents.selectors import incidents_public, severity_levels


@dataclass(frozen=True)
class PublicComponent:
    component_id: int
    name: str
    status: str  # statuspage.choices.ComponentStatus value


@dataclass(frozen=True)
class PublicUpdate:
    id: int
    status: str  # Statuspage incident status at the time of the update
    body: str  # Markdown written for customers (render with incidents.markdown.render_markdown)
    created_at: datetime
    components: tuple[PublicComponent, ...]


@dataclass(frozen=True)
class PublicIncident:
    id: int
    name: str
    status: str
    impact: str
    started_at: datetime
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    is_open: bool
    components: tuple[PublicComponent, ...]  # current impact on each affected component
    updates: tuple[PublicUpdate, ...]  # newest first


def _component(item: dict) -> PublicComponent:
    return PublicComponent(int(item.get("component_id") or 0), str(item.get("name", "")), str(item.get("status", "")))


def public_incidents(
    *, since: datetime | None = None, open_only: bool = False, limit: int = 50
) -> list[PublicIncident]:
    """Public incidents, open first then newest first. ``since`` keeps incidents still open or resolved
    after it. Three queries whatever the count (``incidents.selectors.incidents_public``)."""
    levels = severity_levels()
    out = []
    for incident in incidents_public(since=since, open_only=open_only, limit=limit):
        postmortem = getattr(incident, "postmortem", None)
        published = postmortem is not None and postmortem.state == PostmortemState.PUBLISHED
        level = levels.get(incident.severity)
        updates = tuple(
            PublicUpdate(
                id=u.pk,
                status=u.public_status,
                body=u.body,
                created_at=u.created_at,
                components=tuple(_component(c) for c in u.components or []),
            )
            for u in incident.public_updates
        )
        out.append(
            PublicIncident(
                id=incident.pk,
                # Only the title written for customers; an alert-made incident's internal title never shows.
                name=incident.public_title or f"Incident {incident.pk}",
                status=public_status(incident.status, postmortem_published=published),
                impact=level.public_impact if level else "minor",
                started_at=incident.started_at,
                created_at=incident.created_at,
                updated_at=updates[0].created_at if updates else incident.updated_at,
                resolved_at=incident.resolved_at,
                is_open=incident.status in OPEN_STATUSES,
                components=tuple(
                    PublicComponent(ci.component_id, ci.component.name, ci.status)
                    for ci in incident.component_impacts.all()
                ),
                updates=updates,
            )
        )
    return out
