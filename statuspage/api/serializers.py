"""Serializers of the internal status page API (``/api/v1/statuspage/…``). The public JSON has its own
builders in ``statuspage.public_serializers``. Webhook URLs are never echoed."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from slo.api.fields import SloRefField
from slo.models import Service
from sre.api.serializers import StrictFieldsMixin
from statuspage.choices import ComponentStatus, Recurrence, SubscriberKind
from statuspage.models import Component, ComponentGroup
from statuspage.selectors import maintenance_status


class StatusGroupSerializer(StrictFieldsMixin, serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    position = serializers.IntegerField(required=False, min_value=0, max_value=100000)


class StatusComponentSerializer(StrictFieldsMixin, serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    group = serializers.PrimaryKeyRelatedField(queryset=ComponentGroup.objects.all(), required=False, allow_null=True)
    position = serializers.IntegerField(required=False, min_value=0, max_value=100000)
    only_show_if_degraded = serializers.BooleanField(required=False)
    status_from_slo_burn = serializers.BooleanField(required=False)
    services = serializers.SlugRelatedField(
        slug_field="name", queryset=Service.objects.all(), many=True, required=False
    )
    # SLO names repeat across services: "service/name" (or an id, or a name unique overall) in, "service/name" out
    slos = SloRefField(
        many=True, required=False, help_text='SLOs as "service/name" (or an id, or a name no other service uses).'
    )
    status = serializers.CharField(read_only=True)
    status_changed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    override_status = serializers.CharField(read_only=True)
    override_reason = serializers.CharField(read_only=True)
    override_incident = serializers.IntegerField(source="override_incident_id", read_only=True, allow_null=True)
    override_by = serializers.CharField(read_only=True)
    override_at = serializers.DateTimeField(read_only=True, allow_null=True)


class StatusOverrideInputSerializer(StrictFieldsMixin, serializers.Serializer):
    status = serializers.ChoiceField(choices=ComponentStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
    incident = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)


class StatusMaintenanceSerializer(StrictFieldsMixin, serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=200)
    body = serializers.CharField(required=False, allow_blank=True, max_length=50000)
    components = serializers.PrimaryKeyRelatedField(queryset=Component.objects.all(), many=True, required=False)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    recurrence = serializers.ChoiceField(choices=Recurrence.choices, required=False)
    recurrence_until = serializers.DateTimeField(required=False, allow_null=True)
    set_component_status = serializers.BooleanField(required=False)
    mute_alerts = serializers.BooleanField(required=False)
    extra_matchers = serializers.ListField(child=serializers.CharField(max_length=500), required=False, max_length=50)
    exclude_from_slo = serializers.BooleanField(required=False)
    notify_subscribers = serializers.BooleanField(required=False)
    status = serializers.SerializerMethodField()
    alert_window = serializers.IntegerField(source="alert_window_id", read_only=True, allow_null=True)
    completed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    cancelled_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def get_status(self, obj) -> str:

        return maintenance_status(obj, now=timezone.now())[0]


class StatusMaintenanceUpdateSerializer(StatusMaintenanceSerializer):
    name = serializers.CharField(max_length=200, required=False)
    starts_at = serializers.DateTimeField(required=False)
    ends_at = serializers.DateTimeField(required=False)


class StatusSubscriberSerializer(StrictFieldsMixin, serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=SubscriberKind.choices)
    email = serializers.EmailField(required=False, allow_blank=True)
    url = serializers.CharField(required=False, allow_blank=True, max_length=2000, write_only=True)
    url_display = serializers.CharField(read_only=True)
    components = serializers.PrimaryKeyRelatedField(queryset=Component.objects.all(), many=True, required=False)
    allow_private = serializers.BooleanField(required=False, default=False)
    confirmed = serializers.BooleanField(required=False, default=False, write_only=True)
    confirmed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    last_error = serializers.CharField(read_only=True)
