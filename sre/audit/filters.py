"""The audit trail's filters, shared by the Settings → Audit page, its exports and the API."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from sre.api.filters import IdFilter
from sre.audit.choices import AuditAction, Via
from sre.audit.models import AuditEntry


class AuditEntryFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(
        field_name="actor", lookup_expr="istartswith", help_text="Username or system:<name> (prefix)."
    )
    actor_id = IdFilter(field_name="actor_id")
    action = django_filters.ChoiceFilter(choices=AuditAction.choices)
    via = django_filters.ChoiceFilter(choices=Via.choices)
    object_type = django_filters.CharFilter(
        method="filter_object_type", help_text="app label or app_label.model, e.g. incidents.incident"
    )
    object_id = django_filters.CharFilter(field_name="object_pk", help_text="Primary key of the object.")
    since = django_filters.DateTimeFilter(field_name="at", lookup_expr="gte", help_text="From (inclusive).")
    until = django_filters.DateTimeFilter(field_name="at", lookup_expr="lt", help_text="Until (exclusive).")
    address = django_filters.CharFilter(field_name="address", lookup_expr="startswith", help_text="IP (prefix).")
    token = IdFilter(field_name="token_id", help_text="API token id.")

    class Meta:
        model = AuditEntry
        fields: list[str] = []

    def filter_object_type(self, queryset: QuerySet[AuditEntry], name: str, value: str) -> QuerySet[AuditEntry]:
        app, _, model = value.strip().lower().partition(".")
        queryset = queryset.filter(object_app=app)
        return queryset.filter(object_model=model) if model else queryset
