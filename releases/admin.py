"""Admin registrations of the releases app, read-only: policies and overrides are written through
``releases.services`` from the pages and the API, which validate them; notices and deployments are ledgers."""

from django.contrib import admin

from releases.models import BudgetNotice, BudgetPolicy, Deployment, GateOverride
from sre.admin_readonly import ReadOnlyAdmin


@admin.register(BudgetPolicy)
class BudgetPolicyAdmin(ReadOnlyAdmin):
    list_display = ["service", "slo", "thresholds", "freeze_on_exhaustion", "release_burn_factor", "updated_at"]
    search_fields = ["service__name", "slo__name"]
    exclude = ["rollback_webhook_secret"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(GateOverride)
class GateOverrideAdmin(ReadOnlyAdmin):
    list_display = ["service", "reason", "created_by", "created_at", "expires_at", "revoked_at"]
    list_filter = ["service"]
    readonly_fields = [f.name for f in GateOverride._meta.fields]


@admin.register(BudgetNotice)
class BudgetNoticeAdmin(ReadOnlyAdmin):
    list_display = ["slo", "threshold", "window_start", "opened_at", "cleared_at"]
    readonly_fields = [f.name for f in BudgetNotice._meta.fields]


@admin.register(Deployment)
class DeploymentAdmin(ReadOnlyAdmin):
    list_display = ["service", "version", "at", "watch_state", "release_burn_at", "rollback_state"]
    list_filter = ["watch_state", "rollback_state"]
    search_fields = ["service__name", "version"]
    readonly_fields = [f.name for f in Deployment._meta.fields]
