"""Writes of the alerts app. Every state change goes through one of these functions.

The public seam for other apps: ``alert_raise`` (internal intake: SLO burn alerts, restore drills),
``group_acknowledge`` / ``group_resolve``; reads go through ``alerts.selectors`` (``group_with_alerts``).
"""

from alerts.services.actions import alert_resolve, group_acknowledge, group_resolve, group_silence
from alerts.services.intake import AlertInput, alert_raise, alerts_ingest
from alerts.services.notify import group_flush, groups_flush_due

__all__ = [
    "AlertInput",
    "alert_raise",
    "alert_resolve",
    "alerts_ingest",
    "group_acknowledge",
    "group_flush",
    "group_resolve",
    "group_silence",
    "groups_flush_due",
]
