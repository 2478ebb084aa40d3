"""Response metrics read from the incidents (a read): MTTA, MTTM, MTTR and counts per month, by severity and
by service. The maths is in ``incidents.domain.response``."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from incidents.domain.response import IncidentTimes, month_range, response_metrics
from incidents.models import Incident
from incidents.selectors import severity_levels

MAX_MONTHS = 36


def incident_times(*, since: datetime) -> list[IncidentTimes]:
    """The timestamps of every incident started since ``since`` (two flat queries, no model instances)."""
    rows = list(
        Incident.objects.filter(started_at__gte=since)
        .order_by("started_at")
        .values_list("pk", "severity", "started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at")
    )
    names: dict[int, list[str]] = defaultdict(list)
    links = Incident.services.through.objects.filter(incident__started_at__gte=since)
    for incident_id, name in links.values_list("incident_id", "service__name"):
        names[incident_id].append(name)
    return [
        IncidentTimes(
            severity=severity,
            services=tuple(names.get(pk, ())),
            started_at=started.astimezone(UTC),
            detected_at=detected,
            acknowledged_at=acknowledged,
            mitigated_at=mitigated,
            resolved_at=resolved,
        )
        for pk, severity, started, detected, acknowledged, mitigated, resolved in rows
    ]


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
