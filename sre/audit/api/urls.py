"""``/api/v1/audit/`` routes."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from sre.audit.api.views import AuditEntryViewSet, AuditVerifyView

router = SimpleRouter()
router.register("audit", AuditEntryViewSet, basename="audit-entry")

urlpatterns = [path("audit/verify", AuditVerifyView.as_view(), name="audit-verify"), *router.urls]
