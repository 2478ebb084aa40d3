"""``/api/v1/`` routes of the drills app."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from drills.api import views

router = SimpleRouter()
router.register("drills/targets", views.DrillTargetViewSet, basename="drill-target")
router.register("drills/runs", views.DrillRunViewSet, basename="drill-run")

urlpatterns = [
    path("drills/evidence/", views.DrillEvidenceView.as_view(), name="drill-evidence"),
    *router.urls,
]
