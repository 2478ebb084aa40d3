"""``/api/v1/`` routes of the incidents app."""

from rest_framework.routers import SimpleRouter

from incidents.api import views, views_config

router = SimpleRouter()
router.trailing_slash = "/?"
router.register("incidents/action-items", views_config.ActionItemViewSet, basename="incidents-action-item")
router.register("incidents/severities", views_config.SeverityLevelViewSet, basename="incidents-severity")
router.register("incidents/policies", views_config.IncidentPolicyViewSet, basename="incidents-policy")
router.register("incidents", views.IncidentViewSet, basename="incidents-incident")

urlpatterns = [*router.urls]
