"""Serializers of the heartbeats API. The ping key and ping URL are secrets that can silence an alert: they are
returned to responders and admins only (null for viewers)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from heartbeats.choices import CheckState, PingKind, ScheduleKind
from heartbeats.domain.schedule import MAX_SECONDS, MIN_SECONDS, timing_in_words
from heartbeats.models import Check, Ping
from heartbeats.selectors import ping_url, timing_of
from sre.api.serializers import StrictFieldsMixin
from sre.auth.roles import user_has_role
from sre.choices import Role


def may_see_ping_url(context: dict[str, Any]) -> bool:
    """Responders and admins see a check's ping URL; viewers do not."""
    request = context.get("request")
    return request is not None and user_has_role(request.user, Role.RESPONDER)


class HeartbeatCheckSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    schedule_kind = serializers.ChoiceField(choices=ScheduleKind.choices, required=False)
    period_seconds = serializers.IntegerField(min_value=MIN_SECONDS, max_value=MAX_SECONDS, required=False)
    grace_seconds = serializers.IntegerField(min_value=MIN_SECONDS, max_value=MAX_SECONDS, required=False)
    cron = serializers.CharField(max_length=100, required=False, allow_blank=True)
    timezone = serializers.CharField(max_length=64, required=False)
    slug = serializers.CharField(max_length=100, required=False, allow_blank=True)
    labels = serializers.DictField(child=serializers.CharField(max_length=200), required=False)
    state = serializers.ChoiceField(choices=CheckState.choices, read_only=True)
    schedule_description = serializers.SerializerMethodField()
    alert_firing = serializers.SerializerMethodField()
    ping_key = serializers.SerializerMethodField()
    ping_url = serializers.SerializerMethodField()

    class Meta:
        model = Check
        fields = [
            "id",
            "name",
            "slug",
            "description",
            "schedule_kind",
            "period_seconds",
            "cron",
            "timezone",
            "grace_seconds",
            "schedule_description",
            "severity",
            "service",
            "team",
            "labels",
            "paused",
            "state",
            "state_changed_at",
            "last_ping_at",
            "last_start_at",
            "last_duration_seconds",
            "next_due_at",
            "alert_at",
            "alert_firing",
            "ping_count",
            "ping_key",
            "ping_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "paused",
            "state_changed_at",
            "last_ping_at",
            "last_start_at",
            "last_duration_seconds",
            "next_due_at",
            "alert_at",
            "ping_count",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "name": {"validators": []},
            "severity": {"required": False},
            "description": {"required": False},
            "service": {"required": False},
            "team": {"required": False},
        }
        validators: list = []

    def get_schedule_description(self, obj: Check) -> str:
        return timing_in_words(timing_of(obj))

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_alert_firing(self, obj: Check) -> str | None:
        """The alertname this check has firing (HeartbeatMissed or HeartbeatFailed), or null."""
        return (obj.alert_labels or {}).get("alertname") or None

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_ping_key(self, obj: Check) -> str | None:
        return str(obj.ping_key) if may_see_ping_url(self.context) else None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_ping_url(self, obj: Check) -> str | None:
        """``GET`` or ``POST`` it on success; ``/start`` and ``/fail`` beside it (null for viewers)."""
        return ping_url(obj) if may_see_ping_url(self.context) else None


class HeartbeatPingSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=PingKind.choices, read_only=True)

    class Meta:
        model = Ping
        fields = [
            "n",
            "kind",
            "at",
            "duration_seconds",
            "late",
            "exit_status",
            "method",
            "source_ip",
            "user_agent",
            "body",
            "body_bytes",
        ]
        read_only_fields = fields


class HeartbeatPingReceivedSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
