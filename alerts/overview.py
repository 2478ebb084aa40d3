"""The alerts app's panel on the Overview page: firing groups."""

from __future__ import annotations

from typing import Any

from alerts.selectors import alert_count, firing_groups, groups_open_count_by_state


def overview_panel(*, user: Any) -> dict[str, Any]:
    """Template and context for this app's Overview card."""
    counts = groups_open_count_by_state()
    return {
        "template": "alerts/_overview.html",
        "context": {
            "groups": firing_groups(limit=8),
            "counts": counts,
            "total_alerts": alert_count() if not counts else None,
        },
    }
