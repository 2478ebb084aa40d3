"""``/api/v1/`` routes of the alerts app."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from alerts.api import views

router = SimpleRouter()
router.trailing_slash = "/?"  # accept /api/v1/alerts and /api/v1/alerts/
router.register("alerts/groups", views.AlertGroupViewSet, basename="alerts-group")
router.register("alerts/silences", views.SilenceViewSet, basename="alerts-silence")
router.register("alerts/routes", views.RouteViewSet, basename="alerts-route")
router.register("alerts/receivers", views.ReceiverViewSet, basename="alerts-receiver")
router.register("alerts/inhibit-rules", views.InhibitRuleViewSet, basename="alerts-inhibit-rule")
router.register("alerts/time-intervals", views.TimeIntervalViewSet, basename="alerts-time-interval")
router.register("alerts/maintenance-windows", views.MaintenanceWindowViewSet, basename="alerts-maintenance")
router.register("alerts/notifications", views.NotificationViewSet, basename="alerts-notification")
router.register("alerts/attempts", views.DeliveryAttemptViewSet, basename="alerts-attempt")
router.register("alerts", views.AlertViewSet, basename="alerts-alert")

urlpatterns = [
    path("alerts/alertmanager", views.AlertmanagerWebhookView.as_view(), name="alerts-alertmanager"),
    *router.urls,
]
