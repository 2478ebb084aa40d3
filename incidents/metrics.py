"""The incidents app's Prometheus metrics (exposed at /metrics with the project's own)."""

from __future__ import annotations

from prometheus_client import Counter

INCIDENTS_OPENED = Counter(
    "sre_incidents_opened_total", "Incidents declared, by severity and source.", ["severity", "source"]
)
INCIDENTS_RESOLVED = Counter("sre_incidents_resolved_total", "Incidents resolved, by severity.", ["severity"])
POLICY_EVALUATIONS = Counter(
    "sre_incident_policy_evaluations_total", "Auto-open policy evaluations of alert groups, by outcome.", ["outcome"]
)
