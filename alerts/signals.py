"""Keeps ``ConfigVersion`` current: every write to the configuration that intake caches gives it a new value.

Signals rather than calls in the services on purpose: routes, receivers, silences and maintenance windows are
also written by the admin, by other apps (the status page's scheduled maintenance) and by test factories; a
missed change would make intake route with a stale tree. The handler only invalidates a cache; it holds no
business logic."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from alerts.models import ConfigVersion, InhibitRule, MaintenanceWindow, Receiver, Route, Silence, TimeInterval

# Written by the delivery service on every failure/recovery; not configuration.
_BREAKER_FIELDS = frozenset({"breaker_failures", "breaker_open_until"})


def config_version_bump(**kwargs: Any) -> None:
    """Give ``ConfigVersion`` a fresh random value (creating the row if a test flushed it)."""
    update_fields = kwargs.get("update_fields")
    if kwargs.get("sender") is Receiver and update_fields and frozenset(update_fields) <= _BREAKER_FIELDS:
        return
    if kwargs.get("action", "post_").startswith("pre_"):
        return
    version = uuid.uuid4().hex
    if not ConfigVersion.objects.filter(pk=1).update(version=version):
        ConfigVersion.objects.bulk_create([ConfigVersion(pk=1, version=version)], ignore_conflicts=True)


def connect() -> None:

    for model in (Route, Receiver, InhibitRule, TimeInterval, Silence, MaintenanceWindow):
        post_save.connect(config_version_bump, sender=model, dispatch_uid=f"alerts-config-save-{model.__name__}")
        post_delete.connect(config_version_bump, sender=model, dispatch_uid=f"alerts-config-delete-{model.__name__}")
    m2m_changed.connect(
        config_version_bump, sender=MaintenanceWindow.routes.through, dispatch_uid="alerts-config-window-routes"
    )
