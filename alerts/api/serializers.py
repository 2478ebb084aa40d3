"""Serializers of the alerts API. Names are prefixed ``Alerts…`` to stay unique in the OpenAPI schema.
Receiver secrets are write-only: no serializer ever outputs them."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from alerts.choices import ReceiverKind, Recurrence
from alerts.domain.suppression import silence_state
from alerts.models import (
    Alert,
    AlertGroup,
    DeliveryAttempt,
    GroupEvent,
    InhibitRule,
    MaintenanceWindow,
    Notification,
    Receiver,
    Route,
    Silence,
    TimeInterval,
)
from sre.api.serializers import StrictFieldsMixin


class AlertsAlertSerializer(serializers.ModelSerializer):
    class Meta:
        model = Alert
        fields = [
            "id",
            "fingerprint",
            "labels",
            "annotations",
            "status",
            "starts_at",
            "ends_at",
            "generator_url",
            "source",
            "received_at",
            "receive_count",
            "resolved_by",
            "silenced_by",
            "inhibited",
        ]
        read_only_fields = fields


class AlertsGroupEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = GroupEvent
        fields = ["at", "kind", "actor", "message"]
        read_only_fields = fields


class AlertsGroupSerializer(serializers.ModelSerializer):
    receiver = serializers.CharField(source="receiver.name", default=None, read_only=True, allow_null=True)
    dedup_key = serializers.CharField(read_only=True)
    firing_count = serializers.IntegerField(read_only=True, required=False)
    alert_count = serializers.IntegerField(read_only=True, required=False)

    class Meta:
        model = AlertGroup
        fields = [
            "id",
            "group_key",
            "dedup_key",
            "route",
            "receiver",
            "group_labels",
            "state",
            "created_at",
            "updated_at",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "last_notified_at",
            "firing_count",
            "alert_count",
        ]
        read_only_fields = fields


class AlertsGroupDetailSerializer(AlertsGroupSerializer):
    alerts = AlertsAlertSerializer(many=True, read_only=True)
    timeline = AlertsGroupEventSerializer(source="events", many=True, read_only=True)

    class Meta(AlertsGroupSerializer.Meta):
        fields = [*AlertsGroupSerializer.Meta.fields, "timing", "alerts", "timeline"]
        read_only_fields = fields


class AlertsGroupSilenceSerializer(StrictFieldsMixin, serializers.Serializer):
    duration_minutes = serializers.IntegerField(min_value=1, max_value=60 * 24 * 90, default=120)
    comment = serializers.CharField(max_length=2000)
    alert = serializers.IntegerField(required=False, help_text="Silence only this alert of the group.")


class AlertsSilenceMatcherSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    value = serializers.CharField(max_length=1000, allow_blank=True)
    isRegex = serializers.BooleanField(default=False)
    isEqual = serializers.BooleanField(default=True)


class AlertsSilenceSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """Alertmanager API v2 shape: ``matchers``, ``startsAt``, ``endsAt``, ``createdBy``, ``comment``,
    ``status.state``."""

    matchers = AlertsSilenceMatcherSerializer(many=True)
    startsAt = serializers.DateTimeField(source="starts_at", required=False)
    endsAt = serializers.DateTimeField(source="ends_at")
    createdBy = serializers.CharField(source="created_by", read_only=True)
    updatedAt = serializers.DateTimeField(source="updated_at", read_only=True)
    status = serializers.SerializerMethodField()

    class Meta:
        model = Silence
        fields = ["id", "matchers", "startsAt", "endsAt", "createdBy", "comment", "updatedAt", "status"]
        read_only_fields = ["id", "createdBy", "updatedAt", "status"]

    def get_status(self, obj: Silence) -> dict[str, str]:
        return {"state": silence_state(starts_at=obj.starts_at, ends_at=obj.ends_at, now=timezone.now())}


class AlertsSilencePreviewSerializer(StrictFieldsMixin, serializers.Serializer):
    matchers = AlertsSilenceMatcherSerializer(many=True)


class AlertsReceiverSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """``routing_key`` and ``secret`` are write-only; ``has_routing_key``/``has_secret`` say if one is set."""

    routing_key = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=200)
    secret = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=200)
    has_routing_key = serializers.SerializerMethodField()
    has_secret = serializers.SerializerMethodField()
    kind = serializers.ChoiceField(choices=ReceiverKind.choices, default=ReceiverKind.LEDGER)
    circuit_open_until = serializers.DateTimeField(source="breaker_open_until", read_only=True, allow_null=True)

    class Meta:
        model = Receiver
        fields = [
            "id",
            "name",
            "kind",
            "url",
            "email_to",
            "send_resolved",
            "timeout_seconds",
            "routing_key",
            "secret",
            "has_routing_key",
            "has_secret",
            "circuit_open_until",
            "created_at",
        ]
        read_only_fields = ["id", "created_at", "has_routing_key", "has_secret", "circuit_open_until"]
        extra_kwargs = {"name": {"validators": []}}

    def get_has_routing_key(self, obj: Receiver) -> bool:
        return bool(obj.routing_key)

    def get_has_secret(self, obj: Receiver) -> bool:
        return bool(obj.secret)


class AlertsRouteSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    receiver = serializers.SlugRelatedField(
        slug_field="name", queryset=Receiver.objects.all(), allow_null=True, required=False
    )
    matchers = serializers.ListField(child=serializers.CharField(max_length=1000), required=False)
    group_by = serializers.ListField(child=serializers.CharField(max_length=100), allow_null=True, required=False)
    mute_time_intervals = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    active_time_intervals = serializers.ListField(child=serializers.CharField(max_length=100), required=False)

    class Meta:
        model = Route
        fields = [
            "id",
            "parent",
            "position",
            "name",
            "matchers",
            "receiver",
            "continue_matching",
            "group_by",
            "group_wait",
            "group_interval",
            "repeat_interval",
            "mute_time_intervals",
            "active_time_intervals",
        ]
        read_only_fields = ["id"]


class AlertsRouteMatchSerializer(StrictFieldsMixin, serializers.Serializer):
    labels = serializers.DictField(child=serializers.CharField(allow_blank=True, max_length=10_000))


class AlertsConfigImportSerializer(StrictFieldsMixin, serializers.Serializer):
    yaml = serializers.CharField(max_length=1_000_000)


class AlertsInhibitRuleSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    source_matchers = serializers.ListField(child=serializers.CharField(max_length=1000))
    target_matchers = serializers.ListField(child=serializers.CharField(max_length=1000))
    equal = serializers.ListField(child=serializers.CharField(max_length=100), required=False)

    class Meta:
        model = InhibitRule
        fields = ["id", "source_matchers", "target_matchers", "equal", "created_at"]
        read_only_fields = ["id", "created_at"]


class AlertsTimeIntervalSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    entries = serializers.ListField(child=serializers.DictField())

    class Meta:
        model = TimeInterval
        fields = ["id", "name", "entries"]
        read_only_fields = ["id"]
        extra_kwargs = {"name": {"validators": []}}


class AlertsMaintenanceWindowSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    matchers = serializers.ListField(child=serializers.CharField(max_length=1000), required=False)
    recurrence = serializers.ChoiceField(choices=Recurrence.choices, default=Recurrence.NONE)
    routes = serializers.PrimaryKeyRelatedField(queryset=Route.objects.all(), many=True, required=False)

    class Meta:
        model = MaintenanceWindow
        fields = [
            "id",
            "name",
            "description",
            "starts_at",
            "ends_at",
            "recurrence",
            "recurrence_until",
            "matchers",
            "routes",
            "exclude_from_slo",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["id", "created_by", "created_at"]


class AlertsDeliveryAttemptSerializer(serializers.ModelSerializer):
    receiver = serializers.CharField(source="receiver.name", read_only=True)

    class Meta:
        model = DeliveryAttempt
        fields = [
            "id",
            "notification",
            "receiver",
            "group",
            "number",
            "event",
            "dedup_key",
            "payload_hash",
            "outcome",
            "http_status",
            "error",
            "started_at",
            "latency_ms",
            "worker",
            "requested_by",
        ]
        read_only_fields = fields


class AlertsNotificationSerializer(serializers.ModelSerializer):
    receiver = serializers.CharField(source="receiver.name", read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "receiver",
            "group",
            "event",
            "dedup_key",
            "payload_hash",
            "state",
            "attempts",
            "next_attempt_at",
            "created_at",
            "delivered_at",
            "last_error",
            "requested_by",
        ]
        read_only_fields = fields


class AlertsIngestResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    alerts = serializers.ListField(child=serializers.DictField())
