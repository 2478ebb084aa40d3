"""Serializers of the drills API. Credentials are write-only: responses say only whether they are set."""

from __future__ import annotations

import json
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from drills.choices import BackupMode, CheckKind, TargetKind
from drills.models import BackupTarget, CheckResult, DrillRun, DrillStep, VerificationCheck
from drills.plan import _env_keys
from drills.selectors import next_run_at
from slo.models import Service
from sre.api.serializers import StrictFieldsMixin


class DrillCheckSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=[c for c in CheckKind.choices if c[0] != CheckKind.BUILTIN])

    class Meta:
        model = VerificationCheck
        fields = ["id", "name", "kind", "table", "query", "expected", "min_rows", "path"]
        read_only_fields = ["id"]
        extra_kwargs = {"name": {"validators": []}}


class DrillLastRunSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="last_run_id")
    status = serializers.CharField(source="last_status")
    finished_at = serializers.DateTimeField(source="last_finished_at")
    rto_seconds = serializers.FloatField(source="last_rto_seconds", allow_null=True)
    rpo_seconds = serializers.FloatField(source="last_rpo_seconds", allow_null=True)
    message = serializers.CharField(source="last_message")


class DrillTargetSerializer(serializers.ModelSerializer):
    """A target as the API shows it: never its connection strings, password or environment values."""

    service = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    checks = DrillCheckSerializer(many=True, read_only=True)
    has_connection = serializers.SerializerMethodField()
    has_scratch_connection = serializers.SerializerMethodField()
    has_secret = serializers.SerializerMethodField()
    environment_keys = serializers.SerializerMethodField()
    last_run = serializers.SerializerMethodField()
    active_run_id = serializers.IntegerField(read_only=True, allow_null=True, default=None)
    next_run_at = serializers.SerializerMethodField()

    class Meta:
        model = BackupTarget
        fields = [
            "id", "name", "description", "kind", "backup_mode", "service", "enabled", "builtin", "location",
            "backup_command", "restore_command", "rto_target_seconds", "rpo_target_seconds", "timeout_seconds",
            "schedule", "next_run_at", "has_connection", "has_scratch_connection", "has_secret", "environment_keys",
            "checks", "last_run", "active_run_id", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_has_connection(self, obj: BackupTarget) -> bool:
        return bool(obj.connection)

    def get_has_scratch_connection(self, obj: BackupTarget) -> bool:
        return bool(obj.scratch_connection)

    def get_has_secret(self, obj: BackupTarget) -> bool:
        return bool(obj.secret)

    def get_environment_keys(self, obj: BackupTarget) -> list[str]:
        return sorted(_env_keys(obj.environment))

    def get_last_run(self, obj: BackupTarget) -> dict[str, Any] | None:
        if getattr(obj, "last_run_id", None) is None:
            return None
        return DrillLastRunSerializer(obj).data

    def get_next_run_at(self, obj: BackupTarget) -> str | None:
        at = next_run_at(schedule=obj.schedule, enabled=obj.enabled, now=timezone.now())
        return at.isoformat() if at else None


class DrillTargetWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    """Input for create/update. Credentials are write-only; omitting one keeps it, ``""`` clears it."""

    name = serializers.SlugField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    kind = serializers.ChoiceField(choices=[c for c in TargetKind.choices if c[0] != TargetKind.SELF])
    backup_mode = serializers.ChoiceField(choices=BackupMode.choices, required=False)
    service = serializers.SlugRelatedField(
        slug_field="name", queryset=Service.objects.all(), required=False, allow_null=True
    )
    enabled = serializers.BooleanField(required=False)
    connection = serializers.CharField(required=False, allow_blank=True, write_only=True, max_length=4000)
    scratch_connection = serializers.CharField(required=False, allow_blank=True, write_only=True, max_length=4000)
    secret = serializers.CharField(required=False, allow_blank=True, write_only=True, max_length=1000)
    environment = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False, write_only=True)
    location = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    backup_command = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    restore_command = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    rto_target_seconds = serializers.IntegerField(required=False, min_value=1, max_value=10**9)
    rpo_target_seconds = serializers.IntegerField(required=False, min_value=1, max_value=10**9)
    timeout_seconds = serializers.IntegerField(required=False, min_value=60, max_value=7 * 24 * 3600)
    schedule = serializers.CharField(required=False, allow_blank=True, max_length=100)
    checks = DrillCheckSerializer(many=True, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance is not None and self.instance.kind == TargetKind.SELF:
            self.fields["kind"] = serializers.ChoiceField(choices=TargetKind.choices)
        if self.partial or self.instance is not None:
            self.fields["name"].required = False
            self.fields["kind"].required = False

    def service_data(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        data.pop("checks", None)
        if "environment" in data:
            data["environment"] = json.dumps(data["environment"]) if data["environment"] else ""
        return data


class DrillStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = DrillStep
        fields = ["name", "status", "started_at", "finished_at", "log"]


class DrillCheckResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = CheckResult
        fields = ["name", "kind", "passed", "expected", "observed", "message"]


class DrillRunSerializer(serializers.ModelSerializer):
    target_name = serializers.CharField(source="target.name", read_only=True)
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = DrillRun
        fields = [
            "id", "target", "target_name", "status", "trigger", "requested_by", "queued_at", "started_at",
            "finished_at", "heartbeat_at", "cancel_requested_at", "worker", "backup_ref", "backup_taken_at",
            "backup_size_bytes", "restore_started_at", "verified_at", "rto_seconds", "rto_target_seconds",
            "rpo_seconds", "rpo_target_seconds", "message", "reasons",
        ]  # fmt: skip
        read_only_fields = fields


class DrillRunDetailSerializer(DrillRunSerializer):
    steps = DrillStepSerializer(many=True, read_only=True)
    checks = DrillCheckResultSerializer(source="check_results", many=True, read_only=True)

    class Meta(DrillRunSerializer.Meta):
        fields = [*DrillRunSerializer.Meta.fields, "plan", "steps", "checks"]
        read_only_fields = fields


class DrillEvidenceQuerySerializer(StrictFieldsMixin, serializers.Serializer):
    json_types = False  # query parameters: text

    start = serializers.DateField()
    end = serializers.DateField(help_text="Inclusive.")
    # Not "format": DRF reserves that query parameter for renderer selection.
    output = serializers.ChoiceField(choices=["json", "csv"], default="json")
    target = serializers.IntegerField(required=False, min_value=1)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": ["The end date is before the start date."]})
        if (attrs["end"] - attrs["start"]).days > 3660:
            raise serializers.ValidationError({"end": ["A period is at most ten years."]})
        return attrs
