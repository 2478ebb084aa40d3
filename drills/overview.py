"""The drills app's panel on the Overview page: each target's last drill result."""

from __future__ import annotations

from typing import Any

from drills.choices import RunStatus
from drills.selectors import recent_results


def overview_panel(*, user: Any) -> dict[str, Any]:
    """Template and context for this app's Overview card."""
    targets = recent_results(limit=8)
    failing = sum(1 for t in targets if t.last_status in (RunStatus.FAILED, RunStatus.ERROR))
    return {"template": "drills/_overview.html", "context": {"targets": targets, "failing": failing}}
