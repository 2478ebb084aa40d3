"""Admin registrations of the slo app."""

from django.contrib import admin

from slo.models import SLO, Service, SLOSnapshot


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "owner_team", "tier"]
    search_fields = ["name", "owner_team"]


@admin.register(SLO)
class SLOAdmin(admin.ModelAdmin):
    """Read-mostly: definitions are validated by ``slo.services.slo_save`` (API, forms, OpenSLO)."""

    list_display = ["name", "service", "target", "sli_kind", "budgeting_method", "enabled", "status_at"]
    list_filter = ["sli_kind", "budgeting_method", "enabled"]
    search_fields = ["name", "service__name"]
    readonly_fields = ["status", "status_at", "burn_alerts", "sli", "alert_policy"]


@admin.register(SLOSnapshot)
class SLOSnapshotAdmin(admin.ModelAdmin):
    list_display = ["slo", "at", "data_state", "sli", "remaining_ratio"]
    list_filter = ["data_state"]
    readonly_fields = [f.name for f in SLOSnapshot._meta.fields]
