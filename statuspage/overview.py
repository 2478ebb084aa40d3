"""The status page's panel on the Overview page: what customers see right now."""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from statuspage import snapshot
from statuspage.domain import status as status_domain
from statuspage.models import Component


def overview_panel(*, user: Any) -> dict[str, Any]:
    """Template and context for this app's Overview card (cached statuses: no derivation here)."""
    counts = dict(Component.objects.values_list("status").annotate(n=Count("pk")))
    statuses = [s for s, n in counts.items() for _ in range(n)]
    indicator, description = status_domain.page_status(component_statuses=statuses, incident_impacts=[])
    not_ok = list(Component.objects.exclude(status="operational").order_by("name")[:10])
    return {
        "template": "statuspage/_overview.html",
        "context": {
            "total": sum(counts.values()),
            "indicator": indicator,
            "description": description,
            "not_ok": not_ok,
            "snapshot": snapshot.snapshot_info(),
        },
    }
