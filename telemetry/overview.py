"""The telemetry app's panel on the Overview page: what came in during the last hour."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone

from telemetry.selectors import ingest_since


def overview_panel(*, user: Any) -> dict[str, Any]:
    """Template and context for this app's Overview card (cheap: two indexed range aggregates)."""
    now = timezone.now()
    since = int(now.timestamp()) // 60 * 60 - 3600
    in_database = settings.SRE.get("LOG_STORE") != "elasticsearch" or not settings.ELASTICSEARCH_URL
    counts = ingest_since(since=since, logs_since=now - dt.timedelta(hours=1) if in_database else None)
    return {
        "template": "telemetry/_overview.html",
        "context": {
            "samples_last_hour": counts["samples"],
            "series_total": counts["series_total"],
            "logs_last_hour": counts["logs"],
            "prometheus_configured": bool(settings.PROMETHEUS_URL),
            "log_store": settings.SRE.get("LOG_STORE", "database"),
        },
    }
