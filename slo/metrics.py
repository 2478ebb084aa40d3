"""Prometheus metrics of the slo app (exposed at /metrics)."""

from __future__ import annotations

from prometheus_client import Counter

EVALUATIONS = Counter("sre_slo_evaluations_total", "SLO evaluations stored")
EVALUATION_ERRORS = Counter("sre_slo_evaluation_source_errors_total", "SLO evaluations with a source error")
BURN_ALERTS = Counter("sre_slo_burn_alerts_total", "Burn alerts raised or resolved", ["status"])


def record(stats: dict) -> None:
    EVALUATIONS.inc(stats.get("evaluated", 0))
    EVALUATION_ERRORS.inc(stats.get("errors", 0))
    BURN_ALERTS.labels(status="firing").inc(stats.get("raised", 0))
    BURN_ALERTS.labels(status="resolved").inc(stats.get("resolved", 0))
