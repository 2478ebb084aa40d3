"""Admin registrations of the project package. Token digests are never shown."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from sre.identity.lockout import login_unlock
from sre.models import ApiToken, Heartbeat


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "scopes", "created_at", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    exclude = ["digest"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]

    def has_add_permission(self, request) -> bool:
        return False  # Tokens are created in Settings or with create_api_token, which show the secret once.


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "last_seen_at", "hostname", "beats"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class SreUserAdmin(UserAdmin):
    """Django's user admin plus unlocking sign-in (also on Settings → Security)."""

    actions = ["unlock_sign_in"]

    @admin.action(description="Unlock sign-in (forget failed attempts for these usernames)")
    def unlock_sign_in(self, request: HttpRequest, queryset: QuerySet) -> None:
        removed = sum(login_unlock(username=user.get_username()) for user in queryset)
        self.message_user(request, f"Unlocked {queryset.count()} user(s); {removed} failure record(s) removed.")
