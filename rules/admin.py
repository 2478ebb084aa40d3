"""Admin registrations of the rules app: to look at rules and their alert states, not to change them. A rule is
checked and saved by ``rules.services.rules`` (pages, API, rule file import), which the admin's forms would skip;
deleting one there would leave its firing alerts unresolved."""

from django.contrib import admin
from django.http import HttpRequest

from rules.models import AlertRule, RuleAlert


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AlertRule)
class AlertRuleAdmin(_ReadOnly):
    list_display = ["name", "group", "kind", "source", "enabled", "health", "last_evaluated_at"]
    list_filter = ["kind", "source", "enabled", "health", "group"]
    search_fields = ["name", "group", "expr"]


@admin.register(RuleAlert)
class RuleAlertAdmin(_ReadOnly):
    list_display = ["rule", "fingerprint", "state", "value", "active_at", "fired_at"]
    list_filter = ["state"]
    list_select_related = ["rule"]
    search_fields = ["rule__name", "fingerprint"]
