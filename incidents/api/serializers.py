"""Serializers of the incidents API (names start with ``Incidents`` so the OpenAPI schema stays unique)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from incidents.choices import (
    ActionItemPriority,
    ActionItemStatus,
    IncidentStatus,
    PostmortemState,
    PublicImpact,
    Severity,
    TimelineKind,
    UpdateVisibility,
)
from incidents.domain import lifecycle
from incidents.models import ActionItem, Incident, IncidentPolicy, Postmortem, SeverityLevel, StatusUpdate
from incidents.selectors import action_item_is_overdue
from slo.models import Service
from sre.api.serializers import StrictFieldsMixin
from statuspage.choices import ComponentStatus
from statuspage.models import Component


def _users():
    return get_user_model().objects.filter(is_active=True)


class IncidentsUserField(serializers.SlugRelatedField):
    """A user by username (any active user may hold a role or own an action item)."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="username", queryset=_users(), allow_null=True, **kwargs)


class IncidentsComponentImpactSerializer(StrictFieldsMixin, serializers.Serializer):
    component = serializers.PrimaryKeyRelatedField(queryset=Component.objects.all())
    status = serializers.ChoiceField(choices=ComponentStatus.choices)


class IncidentsComponentImpactOutSerializer(serializers.Serializer):
    component = serializers.IntegerField(source="component_id")
    name = serializers.CharField(source="component.name")
    status = serializers.CharField()


class IncidentsAlertLinkSerializer(serializers.Serializer):
    group_id = serializers.IntegerField()
    state = serializers.CharField(source="group.state")
    labels = serializers.JSONField(source="group.group_labels")
    linked_at = serializers.DateTimeField()
    linked_by = serializers.CharField()


class IncidentsIncidentSerializer(serializers.ModelSerializer):
    """An incident as listed and shown. ``version`` must be sent back with edits (optimistic locking)."""

    services = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    commander = serializers.CharField(source="commander.username", default=None, read_only=True, allow_null=True)
    allowed_next = serializers.SerializerMethodField()
    public_status = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id", "title", "public_title", "summary", "severity", "status", "allowed_next", "public_status", "source",
            "services", "commander", "started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at",
            "closed_at", "created_at", "created_by", "updated_at", "updated_by", "version",
        ]  # fmt: skip
        read_only_fields = fields

    def get_allowed_next(self, obj: Incident) -> list[str]:
        return list(lifecycle.allowed_next(obj.status))

    def get_public_status(self, obj: Incident) -> str:
        return lifecycle.public_status(obj.status)


class IncidentsIncidentDetailSerializer(IncidentsIncidentSerializer):
    communications_lead = serializers.CharField(
        source="communications_lead.username", default=None, read_only=True, allow_null=True
    )
    scribe = serializers.CharField(source="scribe.username", default=None, read_only=True, allow_null=True)
    components = IncidentsComponentImpactOutSerializer(source="component_impacts", many=True, read_only=True)
    alert_groups = IncidentsAlertLinkSerializer(source="alert_links", many=True, read_only=True)

    class Meta(IncidentsIncidentSerializer.Meta):
        fields = [
            *IncidentsIncidentSerializer.Meta.fields,
            "communications_lead",
            "scribe",
            "components",
            "alert_groups",
        ]
        read_only_fields = fields


class IncidentsIncidentCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    title = serializers.CharField(max_length=200)
    public_title = serializers.CharField(
        max_length=200,
        required=False,
        default="",
        allow_blank=True,
        help_text="What the status page shows instead of the title; required before the first public update.",
    )
    summary = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.SEV3)
    services = serializers.SlugRelatedField(
        slug_field="name", queryset=Service.objects.all(), many=True, required=False
    )
    components = IncidentsComponentImpactSerializer(many=True, required=False)
    started_at = serializers.DateTimeField(required=False, allow_null=True)
    detected_at = serializers.DateTimeField(required=False, allow_null=True)
    commander = IncidentsUserField(required=False)
    alert_groups = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=50)


class IncidentsFromGroupSerializer(StrictFieldsMixin, serializers.Serializer):
    group_id = serializers.IntegerField(min_value=1)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    public_title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class IncidentsIncidentUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    version = serializers.IntegerField(min_value=1)
    title = serializers.CharField(max_length=200, required=False)
    public_title = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="What the status page shows instead of the title; required before the first public update.",
    )
    summary = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    services = serializers.SlugRelatedField(
        slug_field="name", queryset=Service.objects.all(), many=True, required=False
    )


class IncidentsTransitionSerializer(StrictFieldsMixin, serializers.Serializer):
    status = serializers.ChoiceField(choices=IncidentStatus.choices)
    version = serializers.IntegerField(min_value=1, required=False)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    public_update = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=50000,
        help_text="With status resolved: the final public update, posted as resolved (needs the public title).",
    )


class IncidentsRolesSerializer(StrictFieldsMixin, serializers.Serializer):
    version = serializers.IntegerField(min_value=1, required=False)
    commander = IncidentsUserField(required=False)
    communications_lead = IncidentsUserField(required=False)
    scribe = IncidentsUserField(required=False)


class IncidentsTimestampsSerializer(StrictFieldsMixin, serializers.Serializer):
    version = serializers.IntegerField(min_value=1)
    started_at = serializers.DateTimeField(required=False)
    detected_at = serializers.DateTimeField(required=False, allow_null=True)
    acknowledged_at = serializers.DateTimeField(required=False, allow_null=True)
    mitigated_at = serializers.DateTimeField(required=False, allow_null=True)
    resolved_at = serializers.DateTimeField(required=False, allow_null=True)
    closed_at = serializers.DateTimeField(required=False, allow_null=True)


class IncidentsComponentsSerializer(StrictFieldsMixin, serializers.Serializer):
    version = serializers.IntegerField(min_value=1, required=False)
    components = IncidentsComponentImpactSerializer(many=True, max_length=200)


class IncidentsLinkGroupSerializer(StrictFieldsMixin, serializers.Serializer):
    group_id = serializers.IntegerField(min_value=1)


class IncidentsNoteSerializer(StrictFieldsMixin, serializers.Serializer):
    body = serializers.CharField(max_length=50000)
    at = serializers.DateTimeField(required=False, allow_null=True)


class IncidentsTimelineItemSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=TimelineKind.choices)
    kind_label = serializers.CharField()
    actor = serializers.CharField()
    message = serializers.CharField()
    source = serializers.CharField()
    group_id = serializers.IntegerField(allow_null=True)
    data = serializers.JSONField()


class IncidentsStatusUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = StatusUpdate
        fields = ["id", "visibility", "status", "public_status", "body", "components", "created_at", "created_by"]
        read_only_fields = fields


class IncidentsStatusUpdateCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    body = serializers.CharField(max_length=50000)
    visibility = serializers.ChoiceField(choices=UpdateVisibility.choices, default=UpdateVisibility.INTERNAL)
    status = serializers.ChoiceField(choices=IncidentStatus.choices, required=False)
    components = IncidentsComponentImpactSerializer(many=True, required=False, max_length=200)
    version = serializers.IntegerField(min_value=1, required=False)
    public_title = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="Sets the incident's public title with a public update (needed while it has none).",
    )


class IncidentsBudgetImpactSerializer(serializers.Serializer):
    slo_id = serializers.IntegerField(allow_null=True)
    slo = serializers.CharField()
    service = serializers.CharField()
    available = serializers.BooleanField()
    reason = serializers.CharField()
    bad_events = serializers.IntegerField(allow_null=True)
    total_events = serializers.IntegerField(allow_null=True)
    fraction = serializers.FloatField(allow_null=True)
    bad_minutes = serializers.IntegerField(allow_null=True)
    sentence = serializers.CharField()
    start = serializers.DateTimeField(allow_null=True)
    end = serializers.DateTimeField(allow_null=True)


class IncidentsBudgetImpactReportSerializer(serializers.Serializer):
    """``state`` is ``ok``, or ``no_slos`` when no SLO is set on the affected services; one row per SLO of the
    affected services (a row whose number could not be counted says why in its sentence)."""

    state = serializers.ChoiceField(choices=["ok", "no_slos"])
    results = IncidentsBudgetImpactSerializer(many=True)


class IncidentsPostmortemSerializer(serializers.ModelSerializer):
    incident = serializers.IntegerField(source="incident_id", read_only=True)

    class Meta:
        model = Postmortem
        fields = [
            "incident", "state", "body", "created_at", "created_by", "updated_at", "updated_by", "published_at",
            "published_by", "version",
        ]  # fmt: skip
        read_only_fields = fields


class IncidentsPostmortemUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    body = serializers.CharField(allow_blank=True, max_length=500000, trim_whitespace=False)
    version = serializers.IntegerField(min_value=1)


class IncidentsPostmortemTransitionSerializer(StrictFieldsMixin, serializers.Serializer):
    state = serializers.ChoiceField(choices=PostmortemState.choices)


class IncidentsActionItemSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    owner = IncidentsUserField(required=False)
    incident = serializers.PrimaryKeyRelatedField(queryset=Incident.objects.all())
    link = serializers.URLField(max_length=500, required=False, allow_blank=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = ActionItem
        fields = [
            "id", "incident", "title", "owner", "due_date", "priority", "status", "link", "overdue", "created_at",
            "created_by", "updated_at", "completed_at",
        ]  # fmt: skip
        read_only_fields = ["id", "overdue", "created_at", "created_by", "updated_at", "completed_at"]

    def get_overdue(self, obj: ActionItem) -> bool:

        return action_item_is_overdue(obj, today=self.context["today"])

    def validate_link(self, value: str) -> str:
        if value and not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("Use an http(s) link.")
        return value


class IncidentsActionItemUpdateSerializer(IncidentsActionItemSerializer):
    incident = serializers.PrimaryKeyRelatedField(read_only=True)
    title = serializers.CharField(max_length=300, required=False)
    priority = serializers.ChoiceField(choices=ActionItemPriority.choices, required=False)
    status = serializers.ChoiceField(choices=ActionItemStatus.choices, required=False)

    class Meta(IncidentsActionItemSerializer.Meta):
        read_only_fields = [*IncidentsActionItemSerializer.Meta.read_only_fields, "incident"]


class IncidentsSeverityLevelSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    key = serializers.CharField(read_only=True)
    public_impact = serializers.ChoiceField(choices=PublicImpact.choices, required=False)

    class Meta:
        model = SeverityLevel
        fields = ["key", "label", "description", "public_impact"]


class IncidentsPolicySerializer(StrictFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = IncidentPolicy
        fields = ["id", "name", "enabled", "position", "matchers", "max_service_tier", "severity", "created_at"]
        read_only_fields = ["id", "created_at"]
