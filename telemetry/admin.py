"""Admin registrations of the telemetry app (read-only views: data arrives through the ingest APIs)."""

from django.contrib import admin

from telemetry.models import IngestBatch, LogEntry, Series


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Series)
class SeriesAdmin(ReadOnlyAdmin):
    list_display = ("key", "kind", "created_at")
    list_filter = ("kind",)
    search_fields = ("name", "key")


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdmin):
    list_display = ("timestamp", "service", "level", "message")
    list_filter = ("level", "service")
    date_hierarchy = "timestamp"


@admin.register(IngestBatch)
class IngestBatchAdmin(ReadOnlyAdmin):
    list_display = ("batch_id", "kind", "scope", "accepted", "rejected", "received_at")
    list_filter = ("kind",)
    search_fields = ("batch_id",)
