"""Admin registrations of the heartbeats app: read-only (writes go through the services, which keep the runtime
fields and alerts consistent; the app's own pages and API do that)."""

from django.contrib import admin

from heartbeats.models import Check, Ping
from sre.admin_readonly import ReadOnlyAdmin


@admin.register(Check)
class CheckAdmin(ReadOnlyAdmin):
    list_display = ("name", "state", "schedule_kind", "period_seconds", "cron", "grace_seconds", "last_ping_at")
    list_filter = ("state", "schedule_kind", "paused")
    search_fields = ("name", "slug")
    exclude = ("ping_key",)


@admin.register(Ping)
class PingAdmin(ReadOnlyAdmin):
    list_display = ("heartbeat", "n", "kind", "at", "duration_seconds", "late", "source_ip")
    list_filter = ("kind", "late")
    list_select_related = ("heartbeat",)
