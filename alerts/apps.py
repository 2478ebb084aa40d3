from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        # lazy: AppConfig.ready() runs once every model is loaded; these modules import models
        from alerts import signals

        signals.connect()
