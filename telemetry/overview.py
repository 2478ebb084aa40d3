"""The telemetry app's panel on the Overview page: what came in during the last hour."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone

from telemetry.models import LogEntry, MinuteRollup, Series


def overview_panel(*, user: Any) -> dict[str, Any]:
    """Template and context for this app's Overview card (cheap: two indexed range aggregates)."""
    now = timezone.now()
    since = int(now.timestamp()) // 60 * 60 - 3600
    samples = MinuteRollup.objects.filter(start__gte=since).aggregate(n=Sum("samples"), series=Count("series_id"))
    logs = None
    if settings.SRE.get("LOG_STORE") != "elasticsearch" or not settings.ELASTICSEARCH_URL:
        logs = LogEntry.objects.filter(timestamp__gte=now - dt.timedelta(hours=1)).count()
    return {
        "template": "telemetry/_overview.html",
        "context": {
            "samples_last_hour": samples["n"] or 0,
            "series_total": Series.objects.count(),
            "logs_last_hour": logs,
            "prometheus_configured": bool(settings.PROMETHEUS_URL),
            "log_store": settings.SRE.get("LOG_STORE", "database"),
        },
    }
