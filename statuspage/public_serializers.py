"""Statuspage v2-compatible JSON of the public page (``/status/api/v2/*.json``).

Field names and values are Atlassian Statuspage's. Built only from ``selectors.page.PageData`` (public data);
these are plain functions rather than DRF serializers because the output is rendered to snapshot files
and never takes input."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from statuspage.selectors.page import PageData, PublicComponentRow, PublicGroupRow, PublicMaintenance

PAGE_ID = "status"
LIST_LIMIT = 50


def ts(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds, as Statuspage writes them."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def page_json(data: PageData) -> dict:
    return {
        "id": PAGE_ID,
        "name": data.name,
        "url": data.url.rstrip("/"),
        "time_zone": data.time_zone,
        "updated_at": ts(data.updated_at),
    }


def status_json(data: PageData) -> dict:
    return {"indicator": data.indicator, "description": data.description}


def group_id(pk: int | None) -> str | None:
    return None if pk is None else f"g{pk}"


def component_json(row: PublicComponentRow) -> dict:
    return {
        "id": str(row.id),
        "name": row.name,
        "status": row.status,
        "created_at": ts(row.created_at),
        "updated_at": ts(row.updated_at),
        "position": row.position,
        "description": row.description or None,
        "showcase": not row.only_show_if_degraded,
        "start_date": row.created_at.date().isoformat() if row.created_at else None,
        "group_id": group_id(row.group_id),
        "page_id": PAGE_ID,
        "group": False,
        "only_show_if_degraded": row.only_show_if_degraded,
    }


def group_json(group: PublicGroupRow) -> dict:
    return {
        "id": group_id(group.id),
        "name": group.name,
        "status": group.status,
        "created_at": ts(group.created_at),
        "updated_at": ts(group.updated_at),
        "position": group.position,
        "description": group.description or None,
        "showcase": False,
        "start_date": None,
        "group_id": None,
        "page_id": PAGE_ID,
        "group": True,
        "only_show_if_degraded": False,
        "components": [str(c.id) for c in group.components],
    }


def components_list(data: PageData) -> list[dict]:
    """Components and groups in page order (Statuspage lists groups as components with ``group: true``)."""
    out = []
    for group in data.groups:
        out.append(group_json(group))
        out.extend(component_json(c) for c in group.components)
    out.extend(component_json(c) for c in data.ungrouped)
    return out


def _affected(update, previous: dict[int, str]) -> list[dict] | None:
    if not update.components:
        return None
    return [
        {
            "code": str(c.component_id),
            "name": c.name,
            "old_status": previous.get(c.component_id, "operational"),
            "new_status": c.status,
        }
        for c in update.components
    ]


def incident_json(incident, data: PageData) -> dict:
    """One incident (``incidents.public.PublicIncident``) with its public updates, newest first."""
    updates = []
    previous: dict[int, str] = {}
    for update in reversed(incident.updates):  # oldest first, to know each component's old status
        updates.append(
            {
                "id": str(update.id),
                "status": update.status,
                "body": update.body,
                "incident_id": str(incident.id),
                "created_at": ts(update.created_at),
                "updated_at": ts(update.created_at),
                "display_at": ts(update.created_at),
                "affected_components": _affected(update, previous),
                "deliver_notifications": True,
                "custom_tweet": None,
                "tweet_id": None,
            }
        )
        previous.update({c.component_id: c.status for c in update.components})
    updates.reverse()
    monitoring = [u.created_at for u in incident.updates if u.status == "monitoring"]
    rows = {c.id: c for c in data.components}
    return {
        "id": str(incident.id),
        "name": incident.name,
        "status": incident.status,
        "created_at": ts(incident.created_at),
        "updated_at": ts(incident.updated_at),
        "monitoring_at": ts(min(monitoring)) if monitoring else None,
        "resolved_at": ts(incident.resolved_at),
        "impact": incident.impact,
        "shortlink": f"{data.url.rstrip('/')}/incidents/{incident.id}/",
        "started_at": ts(incident.started_at),
        "page_id": PAGE_ID,
        "incident_updates": updates,
        "components": [component_json(rows[c.component_id]) for c in incident.components if c.component_id in rows],
    }


def maintenance_json(maintenance: PublicMaintenance, data: PageData) -> dict:
    rows = {c.id: c for c in data.components}
    key = f"{maintenance.id}-{int(maintenance.scheduled_for.timestamp())}"
    updates = [
        {
            "id": f"{key}-scheduled",
            "status": "scheduled",
            "body": maintenance.body or f"{maintenance.name} is scheduled.",
            "incident_id": key,
            "created_at": ts(maintenance.created_at),
            "updated_at": ts(maintenance.updated_at),
            "display_at": ts(maintenance.created_at),
            "affected_components": [
                {"code": str(pk), "name": name, "old_status": "operational", "new_status": "under_maintenance"}
                for pk, name, _ in maintenance.components
            ]
            or None,
            "deliver_notifications": True,
            "custom_tweet": None,
            "tweet_id": None,
        }
    ]
    for kind, at in maintenance.events:
        status = "in_progress" if kind == "start" else "completed"
        updates.append(
            {
                "id": f"{key}-{kind}",
                "status": status,
                "body": "Maintenance is in progress." if kind == "start" else "Maintenance has been completed.",
                "incident_id": key,
                "created_at": ts(at),
                "updated_at": ts(at),
                "display_at": ts(at),
                "affected_components": None,
                "deliver_notifications": True,
                "custom_tweet": None,
                "tweet_id": None,
            }
        )
    updates.sort(key=lambda u: u["created_at"], reverse=True)
    return {
        "id": key,
        "name": maintenance.name,
        "status": maintenance.status,
        "created_at": ts(maintenance.created_at),
        "updated_at": ts(maintenance.updated_at),
        "monitoring_at": None,
        "resolved_at": ts(maintenance.scheduled_until) if maintenance.status == "completed" else None,
        "impact": "maintenance",
        "shortlink": f"{data.url.rstrip('/')}/#maintenance-{maintenance.id}",
        "started_at": ts(maintenance.scheduled_for),
        "page_id": PAGE_ID,
        "incident_updates": updates,
        "components": [component_json(rows[pk]) for pk, _, _ in maintenance.components if pk in rows],
        "scheduled_for": ts(maintenance.scheduled_for),
        "scheduled_until": ts(maintenance.scheduled_until),
    }


def documents(data: PageData) -> dict[str, dict]:
    """Every JSON document by its path under ``/status/``."""
    page = page_json(data)
    status = status_json(data)
    components = components_list(data)
    unresolved = [incident_json(i, data) for i in data.unresolved]
    recent = [incident_json(i, data) for i in data.incidents[:LIST_LIMIT]]
    maint_all = sorted(data.maintenances, key=lambda m: m.scheduled_for, reverse=True)[:LIST_LIMIT]
    upcoming = [m for m in data.maintenances if m.status == "scheduled"]
    active = [m for m in data.maintenances if m.status in ("in_progress", "verifying")]
    return {
        "api/v2/summary.json": {
            "page": page,
            "components": components,
            "incidents": unresolved,
            "scheduled_maintenances": [maintenance_json(m, data) for m in active + upcoming],
            "status": status,
        },
        "api/v2/status.json": {"page": page, "status": status},
        "api/v2/components.json": {"page": page, "components": components},
        "api/v2/incidents.json": {"page": page, "incidents": recent},
        "api/v2/incidents/unresolved.json": {"page": page, "incidents": unresolved},
        "api/v2/scheduled-maintenances.json": {
            "page": page,
            "scheduled_maintenances": [maintenance_json(m, data) for m in maint_all],
        },
        "api/v2/scheduled-maintenances/upcoming.json": {
            "page": page,
            "scheduled_maintenances": [maintenance_json(m, data) for m in upcoming],
        },
        "api/v2/scheduled-maintenances/active.json": {
            "page": page,
            "scheduled_maintenances": [maintenance_json(m, data) for m in active],
        },
    }


def dumps(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
