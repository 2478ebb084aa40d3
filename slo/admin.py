"""Admin registrations of the slo app, read-only: services and SLOs are saved by ``slo.services`` (pages, API,
OpenSLO import), which validate them and re-evaluate; snapshots are the evaluator's."""

from django.contrib import admin

from slo.models import SLO, Service, SLOSnapshot
from sre.admin_readonly import ReadOnlyAdmin


@admin.register(Service)
class ServiceAdmin(ReadOnlyAdmin):
    list_display = ["name", "owner_team", "tier"]
    search_fields = ["name", "owner_team"]


@admin.register(SLO)
class SLOAdmin(ReadOnlyAdmin):
    list_display = ["name", "service", "target", "sli_kind", "budgeting_method", "enabled", "status_at"]
    list_filter = ["sli_kind", "budgeting_method", "enabled"]
    search_fields = ["name", "service__name"]
    readonly_fields = ["status", "status_at", "burn_alerts", "sli", "alert_policy"]


@admin.register(SLOSnapshot)
class SLOSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["slo", "at", "data_state", "sli", "remaining_ratio"]
    list_filter = ["data_state"]
    readonly_fields = [f.name for f in SLOSnapshot._meta.fields]
