"""Writes of the statuspage app. Every change goes through one of these functions; changes that show on
the public page ask for a new snapshot (``snapshot_request``) once their transaction commits."""

from statuspage.services.components import (
    component_delete,
    component_override_clear,
    component_override_set,
    component_save,
    component_statuses_refresh,
    group_delete,
    group_save,
    overrides_expire,
    overrides_release,
)
from statuspage.services.delivery import notification_deliver, notification_retry
from statuspage.services.maintenance import (
    maintenance_cancel,
    maintenance_complete,
    maintenance_delete,
    maintenance_save,
    maintenance_set_verifying,
    maintenance_transitions,
)
from statuspage.services.subscribers import (
    subscriber_confirm,
    subscriber_create,
    subscriber_delete,
    subscriber_subscribe,
    subscriber_token,
    subscriber_unsubscribe,
)
from statuspage.services.sync import snapshot_request, sync_run

__all__ = [
    "component_delete",
    "component_override_clear",
    "component_override_set",
    "component_save",
    "component_statuses_refresh",
    "group_delete",
    "group_save",
    "maintenance_cancel",
    "maintenance_complete",
    "maintenance_delete",
    "maintenance_save",
    "maintenance_set_verifying",
    "maintenance_transitions",
    "notification_deliver",
    "notification_retry",
    "overrides_expire",
    "overrides_release",
    "snapshot_request",
    "subscriber_confirm",
    "subscriber_create",
    "subscriber_delete",
    "subscriber_subscribe",
    "subscriber_token",
    "subscriber_unsubscribe",
    "sync_run",
]
