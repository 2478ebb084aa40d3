"""Public, anonymous routes under ``/status/``. Nothing internal is served from here: pages, JSON and
feeds come from the static snapshot; the subscription forms write subscribers only."""

from django.urls import path, re_path

from statuspage import public_views

app_name = "status_public"
urlpatterns = [
    path("subscribe/", public_views.SubscribeView.as_view(), name="subscribe"),
    path(
        "subscriptions/confirm/<str:token>/",
        public_views.TokenActionView.as_view(action="confirm"),
        name="confirm",
    ),
    path(
        "subscriptions/unsubscribe/<str:token>/",
        public_views.TokenActionView.as_view(action="unsubscribe"),
        name="unsubscribe",
    ),
    path("", public_views.SnapshotView.as_view(), name="index"),
    re_path(r"^(?P<path>.+)$", public_views.SnapshotView.as_view(), name="file"),
]
