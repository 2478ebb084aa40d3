"""The status page's panel on the Overview page: what customers see right now."""

from __future__ import annotations

from typing import Any

from statuspage import snapshot
from statuspage.domain import status as status_domain
from statuspage.selectors import component_statuses

SHOWN = 10


def overview_panel(*, user: Any) -> dict[str, Any]:
    """Template and context for this app's Overview card (cached statuses: no derivation here)."""
    components = component_statuses()
    statuses = [c["status"] for c in components]
    indicator, description = status_domain.page_status(component_statuses=statuses, incident_impacts=[])
    not_ok = [c for c in components if c["status"] != "operational"][:SHOWN]
    return {
        "template": "statuspage/_overview.html",
        "context": {
            "total": len(components),
            "indicator": indicator,
            "description": description,
            "not_ok": not_ok,
            "snapshot": snapshot.snapshot_info(),
        },
    }
