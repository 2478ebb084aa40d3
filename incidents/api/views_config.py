"""API views of the incidents app's configuration and follow-up: action items (responders), severity levels and
incident policies (admins, CONFIGURE)."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import mixins, viewsets

from incidents import services
from incidents.api import serializers as s
from incidents.api.views import actor_of
from incidents.models import IncidentPolicy, SeverityLevel
from incidents.selectors import action_item_list
from sre.api.permissions import READ, RESPOND
from sre.domain.ids import parse_id
from sre.errors import InvalidInputError


class ActionItemViewSet(viewsets.ModelViewSet):
    """Action items. Filters: ``?status=`` (or ``open``), ``?owner=``, ``?incident=``, ``?overdue=1``."""

    lookup_value_regex = r"\d+"
    access = {
        "list": READ,
        "retrieve": READ,
        "create": RESPOND,
        "update": RESPOND,
        "partial_update": RESPOND,
        "destroy": RESPOND,
    }

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return s.IncidentsActionItemUpdateSerializer
        return s.IncidentsActionItemSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    def get_queryset(self):
        p = self.request.query_params
        incident_text = p.get("incident", "")
        incident = parse_id(incident_text)
        if incident_text and incident is None:
            raise InvalidInputError("incident must be an id.", fields={"incident": ["Invalid."]})
        return action_item_list(
            status=p.get("status", ""),
            owner=p.get("owner", ""),
            incident_id=incident,
            overdue_on=timezone.localdate() if p.get("overdue") in ("1", "true") else None,
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.action_item_create(
            incident_id=data["incident"].pk,
            title=data["title"],
            owner=data.get("owner"),
            due_date=data.get("due_date"),
            priority=data.get("priority", "p2"),
            link=data.get("link", ""),
            actor=actor_of(self.request),
            now=timezone.now(),
        )

    def perform_update(self, serializer):
        serializer.instance = services.action_item_update(
            item_id=serializer.instance.pk,
            changes=dict(serializer.validated_data),
            actor=actor_of(self.request),
            now=timezone.now(),
        )

    def perform_destroy(self, instance):
        services.action_item_delete(item_id=instance.pk)


class SeverityLevelViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    """Severity labels and descriptions (the keys sev1…sev4 are fixed); admins edit them."""

    serializer_class = s.IncidentsSeverityLevelSerializer
    queryset = SeverityLevel.objects.order_by("key")
    lookup_field = "key"
    pagination_class = None

    def perform_update(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.severity_level_save(
            key=serializer.instance.key,
            label=data.get("label", serializer.instance.label),
            description=data.get("description", serializer.instance.description),
            public_impact=data.get("public_impact", ""),
        )


class IncidentPolicyViewSet(viewsets.ModelViewSet):
    """Auto-open policies (admins): matchers on alert labels, maximum service tier, severity to open with."""

    serializer_class = s.IncidentsPolicySerializer
    queryset = IncidentPolicy.objects.order_by("position", "pk")
    lookup_value_regex = r"\d+"

    def perform_create(self, serializer):
        serializer.instance = services.policy_save(policy=None, data=serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.policy_save(policy=serializer.instance, data=serializer.validated_data)

    def perform_destroy(self, instance):
        services.policy_delete(policy_id=instance.pk)
