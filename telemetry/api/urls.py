"""``/api/v1/`` routes of the telemetry app."""

from django.urls import path

from telemetry.api import views

urlpatterns = [
    path("metrics", views.MetricsIngestView.as_view(), name="telemetry-metrics-ingest"),
    path("write", views.RemoteWriteView.as_view(), name="telemetry-remote-write"),
    path("logs", views.LogsIngestView.as_view(), name="telemetry-logs-ingest"),
    path("logs/search", views.LogSearchView.as_view(), name="telemetry-logs-search"),
    path("logs/count", views.LogCountView.as_view(), name="telemetry-logs-count"),
]
