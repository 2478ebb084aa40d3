from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "sre.audit"
    label = "audit"
    verbose_name = "Audit trail"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Receivers for model changes (connected per tracked model, by label), sign-in/out and Celery tasks.
        # lazy: AppConfig.ready() runs once every model is loaded; these modules import models
        from sre.audit import signals

        signals.connect()
