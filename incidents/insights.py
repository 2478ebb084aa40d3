"""Response metrics of the incidents: MTTA, MTTM, MTTR and counts per month, by severity and by service. The
timestamps are read by ``incidents.selectors.incident_times``; the maths is in ``incidents.domain.response``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from incidents.domain.response import month_range, response_metrics
from incidents.selectors import incident_times, severity_levels

MAX_MONTHS = 36


def response_report(*, now: datetime, months: int = 12) -> dict[str, Any]:
    """Metrics for the last ``months`` calendar months (UTC), every month present even when empty."""
    months = max(1, min(int(months), MAX_MONTHS))
    labels = month_range(end=now.astimezone(UTC), months=months)
    first = datetime(int(labels[0][:4]), int(labels[0][5:]), 1, tzinfo=UTC)
    tables = response_metrics(incident_times(since=first))
    levels = severity_levels()
    return {
        "months": labels,
        "severities": {key: level.label for key, level in levels.items()},
        "by_severity": tables["by_severity"],
        "by_service": tables["by_service"],
        "overall": tables["overall"],
    }
