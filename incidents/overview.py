"""The incidents app's panel on the Overview page: open incidents and overdue action items."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from incidents.selectors import action_items_overdue, incidents_open


def overview_panel(*, user: Any) -> dict[str, Any]:
    """Template and context for this app's Overview card."""
    return {
        "template": "incidents/_overview.html",
        "context": {
            "open_incidents": incidents_open(limit=10),
            "overdue_items": action_items_overdue(today=timezone.localdate(), limit=10),
        },
    }
