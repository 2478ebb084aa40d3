"""``/api/v1/…`` routes of the heartbeats app: the public ping endpoints and the management API."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from heartbeats.api import ping, views

router = SimpleRouter()
router.register("heartbeat-checks", views.HeartbeatCheckViewSet, basename="heartbeat-check")

urlpatterns = [
    path("heartbeats/<str:uuid>", ping.HeartbeatPingView.as_view(), name="heartbeat-ping"),
    path("heartbeats/<str:uuid>/start", ping.HeartbeatPingStartView.as_view(), name="heartbeat-ping-start"),
    path("heartbeats/<str:uuid>/fail", ping.HeartbeatPingFailView.as_view(), name="heartbeat-ping-fail"),
    path(
        "heartbeats/<str:uuid>/<int:exit_status>",
        ping.HeartbeatPingExitStatusView.as_view(),
        name="heartbeat-ping-exit",
    ),
    *router.urls,
]
