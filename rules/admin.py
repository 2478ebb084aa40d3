"""Admin registrations of the rules app: to look at rules and their alert states, not to change them. A rule is
checked and saved by ``rules.services.rules`` (pages, API, rule file import), which the admin's forms would skip;
deleting one there would leave its firing alerts unresolved."""

from django.contrib import admin

from rules.models import AlertRule, RuleAlert
from sre.admin_readonly import ReadOnlyAdmin


@admin.register(AlertRule)
class AlertRuleAdmin(ReadOnlyAdmin):
    list_display = ["name", "group", "kind", "source", "enabled", "health", "last_evaluated_at"]
    list_filter = ["kind", "source", "enabled", "health", "group"]
    search_fields = ["name", "group", "expr"]


@admin.register(RuleAlert)
class RuleAlertAdmin(ReadOnlyAdmin):
    list_display = ["rule", "fingerprint", "state", "value", "active_at", "fired_at"]
    list_filter = ["state"]
    list_select_related = ["rule"]
    search_fields = ["rule__name", "fingerprint"]
