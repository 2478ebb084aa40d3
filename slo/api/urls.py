"""``/api/v1/`` routes of the slo app."""

from rest_framework.routers import SimpleRouter

from slo.api import views

router = SimpleRouter()
router.trailing_slash = "/?"
router.register("services", views.ServiceViewSet, basename="slo-service")
router.register("slos", views.SloViewSet, basename="slo-slo")

urlpatterns = router.urls
