"""Serializers of the on-call API. Contact addresses and secrets are write-only (addresses are shown masked)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from rest_framework import serializers

from oncall.choices import ContactKind, Rotation, RuleKind, StepKind
from oncall.models import (
    ContactMethod,
    Escalation,
    EscalationPolicy,
    EscalationStep,
    Layer,
    Override,
    PersonNotification,
    Schedule,
    Swap,
    Team,
)
from oncall.selectors import address_masked
from oncall.services.policies import STEP_FIELDS
from oncall.services.schedules import restrictions_check
from sre.api.serializers import StrictFieldsMixin

User = get_user_model()


class OncallPersonSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "name", "email"]
        read_only_fields = fields

    def get_name(self, obj: Any) -> str:
        return obj.get_full_name() or obj.username


class OncallTeamSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    members = serializers.PrimaryKeyRelatedField(many=True, queryset=User.objects.all(), required=False)
    slug = serializers.SlugField(required=False, max_length=100)

    class Meta:
        model = Team
        fields = ["id", "name", "slug", "description", "members", "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"name": {"validators": []}}


class OncallRestrictionSerializer(serializers.Serializer):
    weekdays = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=6), min_length=1)
    start = serializers.RegexField(r"^\d{2}:\d{2}$")
    end = serializers.RegexField(r"^\d{2}:\d{2}$")


class OncallLayerSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    schedule = serializers.PrimaryKeyRelatedField(queryset=Schedule.objects.all())
    participants = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1)
    rotation = serializers.ChoiceField(choices=Rotation.choices)
    every = serializers.IntegerField(min_value=1, max_value=10000)
    restrictions = OncallRestrictionSerializer(many=True, required=False)

    class Meta:
        model = Layer
        fields = [
            "id",
            "schedule",
            "name",
            "level",
            "participants",
            "rotation",
            "every",
            "start_date",
            "handoff_time",
            "end_date",
            "restrictions",
        ]
        read_only_fields = ["id"]

    def validate_restrictions(self, value: list) -> list:
        return restrictions_check([dict(v) for v in value])


class OncallOverrideSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    schedule = serializers.PrimaryKeyRelatedField(queryset=Schedule.objects.all())
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))

    class Meta:
        model = Override
        fields = ["id", "schedule", "user", "start", "end", "created_by", "created_at"]
        read_only_fields = ["id", "created_by", "created_at"]


class OncallSwapSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    schedule = serializers.PrimaryKeyRelatedField(queryset=Schedule.objects.all())

    class Meta:
        model = Swap
        fields = ["id", "schedule", "from_user", "to_user", "start", "end", "state", "created_at", "taken_at"]
        read_only_fields = ["id", "to_user", "state", "created_at", "taken_at"]
        extra_kwargs = {"from_user": {"required": False}}


class OncallScheduleSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    fallback = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    layers = OncallLayerSerializer(many=True, read_only=True)
    has_ical = serializers.SerializerMethodField()

    class Meta:
        model = Schedule
        fields = [
            "id",
            "name",
            "team",
            "time_zone",
            "fallback",
            "ical_url",
            "ical_level",
            "ical_fetched_at",
            "ical_error",
            "has_ical",
            "layers",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "ical_fetched_at", "ical_error", "has_ical", "layers", "created_at", "updated_at"]
        extra_kwargs = {"name": {"validators": []}}

    def get_has_ical(self, obj: Schedule) -> bool:
        return bool(obj.ical_text)


class OncallShiftSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    people = OncallPersonSerializer(many=True)
    names = serializers.ListField(child=serializers.CharField(), help_text="People not matched to a user.")
    source = serializers.CharField()


class OncallIntervalSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class OncallFinalScheduleSerializer(serializers.Serializer):
    shifts = OncallShiftSerializer(many=True)
    gaps = OncallIntervalSerializer(many=True)
    overlaps = OncallIntervalSerializer(many=True)


class OncallNowSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    people = OncallPersonSerializer(many=True)
    names = serializers.ListField(child=serializers.CharField())


class OncallRangeQuerySerializer(serializers.Serializer):
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)

    def validate(self, attrs: dict) -> dict:
        start, end = attrs.get("start"), attrs.get("end")
        if start and end and end <= start:
            raise serializers.ValidationError({"end": ["Must be after start."]})
        if start and end and (end - start).days > 366:
            raise serializers.ValidationError({"end": ["At most 366 days after start."]})
        return attrs


class OncallAtQuerySerializer(serializers.Serializer):
    at = serializers.DateTimeField(required=False)


class OncallIcalUploadSerializer(serializers.Serializer):
    ical = serializers.CharField(max_length=2 * 1024 * 1024, trim_whitespace=False)
    level = serializers.IntegerField(required=False)


class OncallStepSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=StepKind.choices)
    persons = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False)
    window = serializers.DictField(required=False)

    class Meta:
        model = EscalationStep
        fields = ["kind", *STEP_FIELDS]


class OncallPolicySerializer(StrictFieldsMixin, serializers.ModelSerializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    steps = OncallStepSerializer(many=True, required=False)
    routes = serializers.SerializerMethodField(help_text="Ids of the alert routes that page with this policy.")

    class Meta:
        model = EscalationPolicy
        fields = ["id", "name", "team", "description", "steps", "routes", "created_at", "updated_at"]
        read_only_fields = ["id", "routes", "created_at", "updated_at"]
        extra_kwargs = {"name": {"validators": []}}

    def get_routes(self, obj: EscalationPolicy) -> list[int]:
        return sorted(link.route_id for link in obj.routes.all())


class OncallContactMethodSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A contact method: the address is write-only (shown masked), the secret never shown."""

    kind = serializers.ChoiceField(choices=ContactKind.choices)
    address = serializers.CharField(write_only=True, max_length=2000)
    secret = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=200)
    address_display = serializers.SerializerMethodField()
    verified = serializers.SerializerMethodField()

    class Meta:
        model = ContactMethod
        fields = [
            "id",
            "kind",
            "label",
            "address",
            "secret",
            "address_display",
            "verified",
            "verified_at",
            "last_test_at",
            "last_test_result",
            "created_at",
        ]
        read_only_fields = [
            "id",
            "address_display",
            "verified",
            "verified_at",
            "last_test_at",
            "last_test_result",
            "created_at",
        ]

    def get_address_display(self, obj: ContactMethod) -> str:
        return address_masked(obj)

    def get_verified(self, obj: ContactMethod) -> bool:
        return obj.verified_at is not None


class OncallRuleSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RuleKind.choices)
    contact_method = serializers.IntegerField(required=False, min_value=1)
    wait_minutes = serializers.IntegerField(required=False, min_value=1, max_value=1440)


class OncallRulesSerializer(serializers.Serializer):
    default = OncallRuleSerializer(many=True, required=False)
    important = OncallRuleSerializer(many=True, required=False)


class OncallPageRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    message = serializers.CharField(max_length=500)
    severity = serializers.ChoiceField(choices=["critical", "warning", "info"], default="critical")
    user = serializers.IntegerField(required=False, min_value=1)
    team = serializers.IntegerField(required=False, min_value=1)
    schedule = serializers.IntegerField(required=False, min_value=1)


class OncallPageResultSerializer(serializers.Serializer):
    group_id = serializers.IntegerField()
    escalation_id = serializers.IntegerField(allow_null=True)
    url = serializers.CharField()


class OncallEscalationSerializer(serializers.ModelSerializer):
    policy_name = serializers.SerializerMethodField()

    class Meta:
        model = Escalation
        fields = [
            "id",
            "group",
            "policy",
            "policy_name",
            "state",
            "step",
            "repeats_done",
            "due_at",
            "started_at",
            "ended_at",
            "end_reason",
            "started_by",
            "snapshot",
        ]
        read_only_fields = fields

    def get_policy_name(self, obj: Escalation) -> str:
        return str(obj.snapshot.get("policy_name", ""))


class OncallNotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = PersonNotification
        fields = [
            "id",
            "group",
            "user",
            "kind",
            "title",
            "state",
            "attempts",
            "created_at",
            "delivered_at",
            "detail",
            "test",
        ]
        read_only_fields = fields


class OncallRoutePolicySerializer(serializers.Serializer):
    route = serializers.IntegerField(min_value=1)
    policy = serializers.IntegerField(min_value=1, allow_null=True)


class OncallSeverityPolicySerializer(StrictFieldsMixin, serializers.Serializer):
    team = serializers.IntegerField(min_value=1)
    severity = serializers.CharField(max_length=50)
    policy = serializers.IntegerField(min_value=1, allow_null=True)
