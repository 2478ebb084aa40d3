"""Admin registrations of the drills app, read-only: targets are saved by ``drills.services`` (pages, API), which
keeps each target's periodic task in step; runs are the drill engine's (credentials are never shown here either)."""

from django.contrib import admin

from drills.models import BackupTarget, DrillRun
from sre.admin_readonly import ReadOnlyAdmin


@admin.register(BackupTarget)
class BackupTargetAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "backup_mode", "enabled", "schedule", "rto_target_seconds", "rpo_target_seconds")
    list_filter = ("kind", "enabled")
    search_fields = ("name",)
    exclude = ("connection", "scratch_connection", "secret", "environment")
    readonly_fields = ("periodic_task", "builtin", "kind")


@admin.register(DrillRun)
class DrillRunAdmin(ReadOnlyAdmin):
    list_display = ("pk", "target", "status", "trigger", "queued_at", "rto_seconds", "rpo_seconds")
    list_filter = ("status", "trigger")
    list_select_related = ("target",)
