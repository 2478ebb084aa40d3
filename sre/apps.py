from django.apps import AppConfig


class SreConfig(AppConfig):
    name = "sre"
    verbose_name = "SRE control plane"

    def ready(self) -> None:
        # Celery task metrics are recorded through signals; connecting them here keeps the worker and the
        # web process on the same definitions.
        # lazy: AppConfig.ready() runs once every model is loaded; these modules import models
        from sre.api import schema  # noqa: F401  (registers OpenAPI auth extensions)
        from sre.api.authentication import connect_invalidation
        from sre.ops import task_signals  # noqa: F401

        connect_invalidation()

        # lazy: django.contrib.auth and the session step import models too
        from django.contrib.auth.signals import user_logged_in

        from sre.identity.session import on_user_logged_in

        # What the new session still owes (second factor, password change, enrolment), worked out once.
        user_logged_in.connect(on_user_logged_in, dispatch_uid="sre-identity-step")
