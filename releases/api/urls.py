"""``/api/v1/…`` routes of the releases app, without trailing slashes (CI calls ``/api/v1/deploy-gate`` and
``/api/v1/deployments`` as the README writes them)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from releases.api import views

router = SimpleRouter(trailing_slash=False)
router.register("deploy-gate/overrides", views.DeployGateOverrideViewSet, basename="deploy-gate-override")
router.register("deployments", views.DeploymentViewSet, basename="deployment")
router.register("budget-policies", views.BudgetPolicyViewSet, basename="budget-policy")

urlpatterns = [
    path("deploy-gate", views.DeployGateView.as_view(), name="deploy-gate"),
    *router.urls,
]
