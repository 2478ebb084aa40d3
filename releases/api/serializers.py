"""Serializers of the releases API (names prefixed ``Deploy``/``Release`` so the OpenAPI schema stays unique). The
rollback webhook's secret is write-only: ``has_rollback_webhook_secret`` says whether one is set."""

from __future__ import annotations

from rest_framework import serializers

from releases.choices import GateDecision, RollbackState, WatchState
from releases.models import BudgetPolicy, Deployment, GateOverride
from slo.api.fields import SloRefField
from slo.models import Service
from sre.api.serializers import StrictFieldsMixin


class DeployGateQuerySerializer(StrictFieldsMixin, serializers.Serializer):
    json_types = False  # query parameters are text
    service = serializers.CharField(max_length=100, help_text="The service's name (slug).")


class DeployGateReasonSerializer(serializers.Serializer):
    slo = serializers.CharField(help_text="The SLO whose whole error budget is spent.")
    slo_id = serializers.IntegerField()
    consumed_percent = serializers.FloatField(help_text="Percent of the error budget consumed (100 = all).")
    since = serializers.DateTimeField(
        allow_null=True, help_text="When exhaustion was first observed (the 100% notice)."
    )


class DeployGateOverrideSerializer(serializers.ModelSerializer):
    service = serializers.CharField(source="service.name", read_only=True)
    created_by = serializers.SerializerMethodField()
    revoked_by = serializers.SerializerMethodField()

    class Meta:
        model = GateOverride
        fields = ["id", "service", "reason", "created_by", "created_at", "expires_at", "revoked_at", "revoked_by"]
        read_only_fields = fields

    def get_created_by(self, obj: GateOverride) -> str | None:
        return obj.created_by.get_username() if obj.created_by_id else None

    def get_revoked_by(self, obj: GateOverride) -> str | None:
        return obj.revoked_by.get_username() if obj.revoked_by_id else None


class DeployGateActiveOverrideSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.CharField()
    created_by = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class DeployGateSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=GateDecision.choices)
    service = serializers.CharField()
    frozen = serializers.BooleanField(help_text="The budgets alone deny (an override may still allow).")
    reasons = DeployGateReasonSerializer(many=True)
    override = DeployGateActiveOverrideSerializer(allow_null=True, help_text="The active override, if any.")
    evaluated_at = serializers.DateTimeField()


class DeployGateOverrideCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    service = serializers.CharField(max_length=100, help_text="The service's name.")
    reason = serializers.CharField(max_length=1000, help_text="Why releases may go out despite the freeze.")
    expires_at = serializers.DateTimeField(help_text="When the override ends (in the future, 30 days at most).")


class DeploymentCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    service = serializers.CharField(max_length=100, help_text="The service's name.")
    version = serializers.CharField(max_length=200)
    at = serializers.DateTimeField(required=False, help_text="When it was released (default now).")
    url = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="An http(s) link: the release or pipeline."
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    idempotency_key = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="e.g. the CI run's id: a retry with the same key returns the first record (200) instead of a "
        "second one; the same key with another version is a 409.",
    )


class DeploymentSerializer(serializers.ModelSerializer):
    service = serializers.CharField(source="service.name", read_only=True)
    created_by = serializers.SerializerMethodField()
    token = serializers.SerializerMethodField(help_text="The API token's name when CI recorded it.")
    watch_state = serializers.ChoiceField(choices=WatchState.choices, read_only=True)
    rollback_state = serializers.ChoiceField(choices=RollbackState.choices, read_only=True)
    release_burn = serializers.JSONField(read_only=True, help_text="The numbers of the watch: per SLO and worst.")

    class Meta:
        model = Deployment
        fields = [
            "id",
            "service",
            "version",
            "at",
            "url",
            "description",
            "created_by",
            "token",
            "created_at",
            "watch_state",
            "watch_until",
            "release_burn_at",
            "release_burn",
            "rollback_state",
            "rollback_attempted_at",
            "rollback_finished_at",
            "rollback_status_code",
            "rollback_error",
        ]
        read_only_fields = fields

    def get_created_by(self, obj: Deployment) -> str | None:
        return obj.created_by.get_username() if obj.created_by_id else None

    def get_token(self, obj: Deployment) -> str | None:
        return obj.token.name if obj.token_id else None


class ReleaseBudgetPolicySerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A service's policy (``slo`` null) or one SLO's (replacing its service's as a whole)."""

    service = serializers.SlugRelatedField(slug_field="name", queryset=Service.objects.all())
    slo = SloRefField(
        scope_field="service",
        qualified=False,
        allow_null=True,
        required=False,
        help_text="The SLO's name within the service (or its id).",
    )
    thresholds = serializers.ListField(
        child=serializers.FloatField(),
        required=False,
        help_text="Percent of the budget consumed, 1 to 10 numbers in (0, 1000] (default [80, 95, 100]).",
    )
    release_burn_factor = serializers.FloatField(required=False, help_text="From 1 to 1000 (default 10).")
    rollback_webhook_url = serializers.CharField(required=False, allow_blank=True, max_length=500)
    rollback_webhook_secret = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=500, help_text="Omit to keep; empty removes."
    )
    has_rollback_webhook_secret = serializers.SerializerMethodField()

    class Meta:
        model = BudgetPolicy
        fields = [
            "id",
            "service",
            "slo",
            "thresholds",
            "freeze_on_exhaustion",
            "release_burn_factor",
            "release_watch_minutes",
            "release_min_bad_events",
            "rollback_webhook_url",
            "rollback_webhook_secret",
            "has_rollback_webhook_secret",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "has_rollback_webhook_secret", "created_at", "updated_at"]
        validators: list = []  # the service checks uniqueness (409) and the rest (400 naming the field)
        extra_kwargs = {
            "release_watch_minutes": {"min_value": 1, "max_value": 1440},
            "release_min_bad_events": {"min_value": 1, "max_value": 1_000_000},
        }

    def get_has_rollback_webhook_secret(self, obj: BudgetPolicy) -> bool:
        return bool(obj.rollback_webhook_secret)
