"""``/api/v1/`` routes of the statuspage app (internal; the public JSON is under /status/api/v2/)."""

from rest_framework.routers import SimpleRouter

from statuspage.api import views

router = SimpleRouter()
router.trailing_slash = "/?"
router.register("statuspage/components", views.StatusComponentViewSet, basename="statuspage-component")
router.register("statuspage/groups", views.StatusGroupViewSet, basename="statuspage-group")
router.register("statuspage/maintenances", views.StatusMaintenanceViewSet, basename="statuspage-maintenance")
router.register("statuspage/subscribers", views.StatusSubscriberViewSet, basename="statuspage-subscriber")

urlpatterns = [*router.urls]
