"""Admin registrations of the drills app (read-mostly; credentials are never shown here either)."""

from django.contrib import admin

from drills.models import BackupTarget, DrillRun


@admin.register(BackupTarget)
class BackupTargetAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "backup_mode", "enabled", "schedule", "rto_target_seconds", "rpo_target_seconds")
    list_filter = ("kind", "enabled")
    search_fields = ("name",)
    exclude = ("connection", "scratch_connection", "secret", "environment")
    readonly_fields = ("periodic_task", "builtin", "kind")


@admin.register(DrillRun)
class DrillRunAdmin(admin.ModelAdmin):
    list_display = ("pk", "target", "status", "trigger", "queued_at", "rto_seconds", "rpo_seconds")
    list_filter = ("status", "trigger")
    list_select_related = ("target",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
