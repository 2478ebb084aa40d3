"""HTML routes of the audit trail, under ``/settings/audit/``."""

from django.urls import path, re_path

from sre.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.AuditListView.as_view(), name="list"),
    re_path(r"^export\.(?P<fmt>csv|json)$", views.AuditExportView.as_view(), name="export"),
]
