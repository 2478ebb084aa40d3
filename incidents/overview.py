"""The incidents app's panel on the Overview page: open incidents and overdue action items."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from incidents.selectors import action_items_overdue, incidents_open, incidents_open_count

SHOWN = 10


def overview_panel(*, user: Any) -> dict[str, Any]:
    """Template and context for this app's Overview card (the ten most severe open incidents, and how many)."""
    shown = incidents_open(limit=SHOWN)
    total = len(shown) if len(shown) < SHOWN else incidents_open_count()
    return {
        "template": "incidents/_overview.html",
        "context": {
            "open_incidents": shown,
            "open_total": total,
            "overdue_items": action_items_overdue(today=timezone.localdate(), limit=SHOWN),
        },
    }
