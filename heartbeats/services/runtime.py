"""Writing a check's runtime fields from a domain ``Status`` (shared by pings, the check pass and the commands)."""

from __future__ import annotations

from heartbeats.domain.state import Status
from heartbeats.models import Check

STATUS_FIELDS = (
    "state",
    "state_changed_at",
    "last_ping_at",
    "last_start_at",
    "next_due_at",
    "alert_at",
    "alert_wanted",
)


def status_apply(check: Check, status: Status) -> list[str]:
    """Set the check's runtime fields to ``status`` and return the names of those that changed (plus
    ``alert_synced`` when the alert wanted no longer matches the one firing)."""
    changed = [name for name in STATUS_FIELDS if getattr(check, name) != getattr(status, name)]
    for name in changed:
        setattr(check, name, getattr(status, name))
    synced = check.alert_wanted == (check.alert_labels or {}).get("alertname", "")
    if synced != check.alert_synced:
        check.alert_synced = synced
        changed.append("alert_synced")
    return changed
