from typing import Any

from django.apps import AppConfig
from django.conf import settings

from incidents.signals import incident_changed, incident_deleting


class StatuspageConfig(AppConfig):
    name = "statuspage"
    verbose_name = "Status page"

    def ready(self) -> None:
        incident_changed.connect(incident_changed_refresh, dispatch_uid="statuspage.incident_changed")
        incident_deleting.connect(incident_deleting_release, dispatch_uid="statuspage.incident_deleting")


def incident_changed_refresh(**kwargs: Any) -> None:
    """An incident changed: sync and re-render the public page once the transaction commits (unless turned
    off with SRE_STATUSPAGE_SYNC_ON_CHANGE, as the control-plane-outage tests do)."""
    if settings.SRE.get("STATUSPAGE_SYNC_ON_CHANGE", True):
        # lazy: apps.py is imported while the app registry loads, before any model can be
        from statuspage.services.sync import snapshot_request

        snapshot_request()


def incident_deleting_release(*, incident_id: int, now: Any, **kwargs: Any) -> None:
    """An incident is being deleted: the component overrides tied to it end now (its foreign key's SET_NULL would
    leave them set for good)."""
    # lazy: apps.py is imported while the app registry loads, before any model can be
    from statuspage.services.components import overrides_release

    overrides_release(incident_id=incident_id, now=now)
