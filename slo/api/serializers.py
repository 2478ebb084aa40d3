"""Serializers of the slo API (names prefixed ``Slo`` so the OpenAPI schema stays unambiguous)."""

from __future__ import annotations

from rest_framework import serializers

from slo.choices import BudgetingMethod, CalendarUnit, ServiceTier, SliKind, WindowKind
from slo.domain.spec import policy_default
from slo.models import SLO, Service, SLOSnapshot
from sre.api.serializers import StrictFieldsMixin


class SloServiceSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    name = serializers.SlugField(max_length=100)
    tier = serializers.ChoiceField(choices=ServiceTier.choices, default=ServiceTier.TIER_2)
    links = serializers.ListField(child=serializers.DictField(), required=False, max_length=50)
    slo_count = serializers.IntegerField(read_only=True, required=False)

    class Meta:
        model = Service
        fields = ["id", "name", "owner_team", "tier", "description", "links", "slo_count", "created_at",
                  "updated_at"]  # fmt: skip
        read_only_fields = ["id", "created_at", "updated_at"]


class SloSloSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """An SLO. ``service`` is the service's name. ``sli`` depends on ``sli_kind`` (see the docs of
    ``slo.domain.spec``); ``alert_policy`` defaults to the Workbook's three conditions."""

    service = serializers.SlugRelatedField(slug_field="name", queryset=Service.objects.all())
    name = serializers.SlugField(max_length=100)
    target = serializers.DecimalField(max_digits=9, decimal_places=8, coerce_to_string=True, default="0.999")
    timeslice_target = serializers.DecimalField(max_digits=9, decimal_places=8, required=False)
    window_kind = serializers.ChoiceField(choices=WindowKind.choices, default=WindowKind.ROLLING)
    window_days = serializers.IntegerField(min_value=1, max_value=90, default=30)
    calendar_unit = serializers.ChoiceField(choices=CalendarUnit.choices, default=CalendarUnit.MONTH)
    timezone = serializers.CharField(max_length=64, default="UTC")
    budgeting_method = serializers.ChoiceField(choices=BudgetingMethod.choices, default=BudgetingMethod.OCCURRENCES)
    sli_kind = serializers.ChoiceField(choices=SliKind.choices)
    sli = serializers.JSONField()
    alert_policy = serializers.JSONField(required=False, default=policy_default)

    class Meta:
        model = SLO
        fields = [
            "id", "service", "name", "display_name", "description", "target", "window_kind", "window_days",
            "calendar_unit", "timezone", "budgeting_method", "timeslice_target", "sli_kind", "sli",
            "alert_policy", "enabled", "status", "status_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "status", "status_at", "created_at", "updated_at"]
        validators: list = []  # (service, name) is unique: slo_save answers 409 naming the service


class SloHistoryPointSerializer(serializers.ModelSerializer):
    class Meta:
        model = SLOSnapshot
        fields = ["at", "data_state", "error", "sli", "bad", "total", "remaining_ratio", "burn_rates", "firing"]


class SloHistorySerializer(serializers.Serializer):
    """The snapshots between ``start`` and ``end``, one per ``step`` seconds at most."""

    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    step = serializers.IntegerField()
    points = SloHistoryPointSerializer(many=True)


class SloHistoryQuerySerializer(StrictFieldsMixin, serializers.Serializer):
    json_types = False  # query parameters: text

    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)
    step = serializers.IntegerField(min_value=10, max_value=86400 * 7, required=False, default=300)


class SloPreviewSerializer(StrictFieldsMixin, serializers.Serializer):
    sli_kind = serializers.ChoiceField(choices=SliKind.choices)
    sli = serializers.JSONField()
    target = serializers.DecimalField(max_digits=9, decimal_places=8, required=False, default="0.999")
