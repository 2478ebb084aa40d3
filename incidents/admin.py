"""Admin registrations of the incidents app, read-only: incidents, action items, severities and policies are
changed through ``incidents.services`` from the app's pages (Settings for severities and policies) and the API,
which keep the timeline, versions, the status page and the policies' matcher cache in step."""

from django.contrib import admin

from incidents.models import ActionItem, Incident, IncidentPolicy, SeverityLevel
from sre.admin_readonly import ReadOnlyAdmin


@admin.register(SeverityLevel)
class SeverityLevelAdmin(ReadOnlyAdmin):
    list_display = ("key", "label", "public_impact")


@admin.register(IncidentPolicy)
class IncidentPolicyAdmin(ReadOnlyAdmin):
    list_display = ("name", "enabled", "position", "max_service_tier", "severity")


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ("id", "title", "status", "severity", "started_at", "resolved_at")
    list_filter = ("status", "severity", "source")
    search_fields = ("title",)


@admin.register(ActionItem)
class ActionItemAdmin(ReadOnlyAdmin):
    list_display = ("title", "incident", "owner", "due_date", "priority", "status")
    list_filter = ("status", "priority")
