"""The oncall app's panel on the Overview page: who is on call now on each schedule."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from oncall.selectors import oncall_now, schedule_count

SHOWN = 8


def overview_panel(*, user: Any) -> dict[str, Any]:
    """Template and context for this app's Overview card."""
    rows = oncall_now(at=timezone.now(), limit=SHOWN, with_next=False)
    total = schedule_count() if len(rows) == SHOWN else len(rows)
    return {"template": "oncall/_overview.html", "context": {"schedules": rows, "more": total - len(rows)}}
