"""``/api/v1/oncall/…`` routes."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from oncall.api import views
from oncall.api.imports import OncallImportView

router = SimpleRouter()
router.register("oncall/teams", views.OncallTeamViewSet, basename="oncall-team")
router.register("oncall/schedules", views.OncallScheduleViewSet, basename="oncall-schedule")
router.register("oncall/layers", views.OncallLayerViewSet, basename="oncall-layer")
router.register("oncall/overrides", views.OncallOverrideViewSet, basename="oncall-override")
router.register("oncall/swaps", views.OncallSwapViewSet, basename="oncall-swap")
router.register("oncall/escalation-policies", views.OncallPolicyViewSet, basename="oncall-policy")
router.register("oncall/contact-methods", views.OncallContactMethodViewSet, basename="oncall-contact-method")
router.register("oncall/escalations", views.OncallEscalationViewSet, basename="oncall-escalation")
router.register("oncall/notifications", views.OncallNotificationViewSet, basename="oncall-notification")

urlpatterns = [
    path("oncall/pages", views.OncallPageView.as_view(), name="oncall-pages"),
    path("oncall/import", OncallImportView.as_view(), name="oncall-import"),
    path("oncall/me/rules", views.OncallRulesView.as_view(), name="oncall-rules"),
    *router.urls,
]
