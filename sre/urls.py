"""Top-level URLs. Each app owns its HTML routes (``<app>/urls.py``) and API routes (``<app>/api/urls.py``)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from sre import views
from sre.identity.csp import api_docs_view
from sre.ops import views as ops_views

api_v1 = [
    path("", include("sre.api.urls")),
    path("", include("sre.audit.api.urls")),
    path("", include("telemetry.api.urls")),
    path("", include("slo.api.urls")),
    path("", include("alerts.api.urls")),
    path("", include("incidents.api.urls")),
    path("", include("statuspage.api.urls")),
    path("", include("drills.api.urls")),
    path("", include("oncall.api.urls")),
    path("", include("rules.api.urls")),
    path("", include("heartbeats.api.urls")),
    path("", include("releases.api.urls")),
]

urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("settings/", views.SettingsView.as_view(), name="settings"),
    path("settings/tokens/<int:pk>/revoke/", views.ApiTokenRevokeView.as_view(), name="token-revoke"),
    path("settings/audit/", include("sre.audit.urls")),
    path("", include("sre.identity.urls")),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("metrics", ops_views.metrics, name="metrics"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs_view, name="api-docs"),
    path("admin/", admin.site.urls),
    path("slos/", include("slo.urls")),
    path("alerts/", include("alerts.urls")),
    path("incidents/", include("incidents.urls")),
    path("statuspage/", include("statuspage.urls")),
    path("status/", include("statuspage.public_urls")),
    path("drills/", include("drills.urls")),
    path("oncall/", include("oncall.urls")),
    path("logs/", include("telemetry.urls")),
    path("rules/", include("rules.urls")),
    path("heartbeats/", include("heartbeats.urls")),
    path("releases/", include("releases.urls")),
]

handler400 = "sre.errorpages.bad_request"
handler403 = "sre.errorpages.permission_denied"
handler404 = "sre.errorpages.page_not_found"
handler500 = "sre.errorpages.server_error"
