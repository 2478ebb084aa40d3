"""Building a status page world through the real services (incidents, maintenance, subscribers)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from incidents.services import incident_create, incident_transition, status_update_post, timeline_note_add
from statuspage.services import component_save, group_save, maintenance_save

INTERNAL_MARKERS = (
    "internal-note-7f3a",
    "internal-update-91bc",
    "summary-secret-55d0",
    "commander@corp.example",
    "alertname=HighErrorRate",
)


def public_incident(*, title: str, components, body: str = "We are investigating.", now=None, user=None):
    """An incident with one public update (and internal material that must never leak)."""
    now = now or timezone.now()
    incident = incident_create(
        title=title,
        public_title=title,
        actor="alice",
        now=now - timedelta(minutes=30),
        started_at=now - timedelta(minutes=30),
        components=components,
        summary="summary-secret-55d0 alertname=HighErrorRate",
        commander=user,
    )
    timeline_note_add(
        incident_id=incident.pk, body="internal-note-7f3a", actor="alice", now=now - timedelta(minutes=20)
    )
    status_update_post(
        incident_id=incident.pk,
        body="internal-update-91bc",
        visibility="internal",
        actor="alice",
        now=now - timedelta(minutes=15),
    )
    status_update_post(
        incident_id=incident.pk,
        body=body,
        visibility="public",
        actor="alice",
        now=now - timedelta(minutes=10),
        status="investigating",
    )
    return incident


def resolve(incident, *, body: str = "Fixed.", now=None):
    now = now or timezone.now()
    for target in ("identified", "monitoring"):
        incident_transition(incident_id=incident.pk, target=target, actor="alice", now=now)
    status_update_post(
        incident_id=incident.pk, body=body, visibility="public", actor="alice", now=now, status="resolved"
    )


def world(*, user=None):
    """Group Core (API, Database), ungrouped Website; an open public incident on the API; maintenance on
    the Website upcoming tomorrow and on the Database in progress."""
    now = timezone.now()
    core = group_save(group=None, data={"name": "Core", "position": 1})
    api = component_save(component=None, data={"name": "API", "group": core, "description": "Public REST API"})
    db = component_save(component=None, data={"name": "Database", "group": core, "position": 2})
    web = component_save(component=None, data={"name": "Website"})
    incident = public_incident(title="Elevated API errors", components=[(api, "partial_outage")], user=user)
    upcoming = maintenance_save(
        maintenance=None,
        data={
            "name": "Website deploy",
            "body": "New release.",
            "starts_at": now + timedelta(days=1),
            "ends_at": now + timedelta(days=1, hours=1),
        },
        components=[web],
        actor="bob",
        now=now,
    )
    active = maintenance_save(
        maintenance=None,
        data={"name": "DB failover test", "starts_at": now - timedelta(minutes=5), "ends_at": now + timedelta(hours=1)},
        components=[db],
        actor="bob",
        now=now,
    )
    return {
        "api": api,
        "db": db,
        "web": web,
        "core": core,
        "incident": incident,
        "upcoming": upcoming,
        "active": active,
    }
