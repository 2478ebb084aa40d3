from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from incidents.models import IncidentPolicy
        from incidents.policy import matchers_forget

        post_save.connect(matchers_forget, sender=IncidentPolicy, dispatch_uid="incidents.matchers_forget")
        post_delete.connect(matchers_forget, sender=IncidentPolicy, dispatch_uid="incidents.matchers_forget.delete")
