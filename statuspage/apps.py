from django.apps import AppConfig


class StatuspageConfig(AppConfig):
    name = "statuspage"
    verbose_name = "Status page"

    def ready(self) -> None:
        # The incidents app does not call the status page: a saved incident, component impact or status
        # update asks for a status page sync once its transaction commits (the sync task is idempotent and
        # the beat timer catches anything missed).
        from django.db.models.signals import post_delete, post_save

        from incidents.models import Incident, IncidentComponent, StatusUpdate

        for model in (Incident, IncidentComponent, StatusUpdate):
            post_save.connect(_changed, sender=model, dispatch_uid=f"statuspage-sync-{model.__name__}")
            post_delete.connect(_changed, sender=model, dispatch_uid=f"statuspage-sync-del-{model.__name__}")


def _changed(sender, **kwargs) -> None:
    from django.conf import settings

    if settings.SRE.get("STATUSPAGE_SYNC_ON_CHANGE", True):
        from statuspage.services.sync import snapshot_request

        snapshot_request()
