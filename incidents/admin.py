"""Admin registrations of the incidents app: configuration is editable; incidents are changed through the
app (services keep the timeline and versions), so they are read-only here."""

from django.contrib import admin

from incidents.models import ActionItem, Incident, IncidentPolicy, SeverityLevel


@admin.register(SeverityLevel)
class SeverityLevelAdmin(admin.ModelAdmin):
    list_display = ("key", "label", "public_impact")

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(IncidentPolicy)
class IncidentPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "enabled", "position", "max_service_tier", "severity")
    list_editable = ("enabled", "position")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ("id", "title", "status", "severity", "started_at", "resolved_at")
    list_filter = ("status", "severity", "source")
    search_fields = ("title",)


@admin.register(ActionItem)
class ActionItemAdmin(ReadOnlyAdmin):
    list_display = ("title", "incident", "owner", "due_date", "priority", "status")
    list_filter = ("status", "priority")
