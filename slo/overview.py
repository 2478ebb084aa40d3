"""The slo app's panel on the Overview page: SLOs at risk (a burn alert firing, or low on budget), and how many
SLOs have no data yet (never "all healthy" while some cannot be judged)."""

from __future__ import annotations

from typing import Any

from alerts.selectors import firing_alert_counts
from slo.selectors import slo_remaining_budgets

AT_RISK_BELOW = 0.25
SHOWN = 8


def _remaining(value: object) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def overview_panel(*, user: Any) -> dict[str, Any]:
    """Enabled SLOs with a firing burn alert or less than 25% budget left, least budget first (at most 8).

    Firing counts come from the alerts app's one selector (an alert resolved by hand is not firing), not from the
    SLO's own list of conditions that hold. The remaining budgets are one narrow query
    (``slo.selectors.slo_remaining_budgets``)."""
    firing = firing_alert_counts(source="slo", by=("service", "slo"))
    total, no_data, at_risk = 0, 0, []
    for pk, name, display_name, service, remaining_text in slo_remaining_budgets():
        total += 1
        remaining = _remaining(remaining_text)
        count = firing.get((service, name), 0)
        if remaining is None:
            no_data += 1
        if count or (remaining is not None and remaining < AT_RISK_BELOW):
            at_risk.append(
                {"pk": pk, "label": display_name or name, "service": service, "remaining": remaining, "firing": count}
            )
    at_risk.sort(key=lambda s: (s["remaining"] if s["remaining"] is not None else 1.0, s["label"]))
    context = {
        "at_risk": at_risk[:SHOWN],
        "more_at_risk": max(0, len(at_risk) - SHOWN),
        "total": total,
        "no_data": no_data,
        "judged": total - no_data,
        "threshold": AT_RISK_BELOW,
    }
    return {"template": "slo/_overview.html", "context": context}
