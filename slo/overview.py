"""The slo app's panel on the Overview page: SLOs at risk (burning or low on budget)."""

from __future__ import annotations

from typing import Any

from slo.selectors import slo_list

AT_RISK_BELOW = 0.25


def overview_panel(*, user: Any) -> dict[str, Any]:
    """SLOs with a firing burn alert or less than 25% budget left, least budget first (at most 8)."""
    slos = list(slo_list(enabled=True))
    at_risk, no_data = [], 0
    for s in slos:
        s.remaining = (s.status.get("error_budget") or {}).get("remaining_ratio")
        s.firing = len(s.burn_alerts)
        if s.remaining is None:
            no_data += 1
        if s.firing or (s.remaining is not None and s.remaining < AT_RISK_BELOW):
            at_risk.append(s)
    at_risk.sort(key=lambda s: (s.remaining if s.remaining is not None else 1.0, s.name))
    context = {"at_risk": at_risk[:8], "total": len(slos), "no_data": no_data, "threshold": AT_RISK_BELOW}
    return {"template": "slo/_overview.html", "context": context}
