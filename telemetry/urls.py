from django.urls import path

from telemetry import views

app_name = "telemetry"
urlpatterns = [
    path("", views.LogsView.as_view(), name="logs"),
    path("tail", views.LogsTailView.as_view(), name="logs-tail"),
]
