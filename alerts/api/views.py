"""API views of the alerts app: intake endpoints, groups and commands, configuration, the ledger."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from alerts import metrics
from alerts.api import serializers as s
from alerts.api.parsing import parse_alertmanager, parse_generic
from alerts.combine import alerts_ingest_shared
from alerts.domain import routing
from alerts.domain.matchers import parse_matchers
from alerts.domain.suppression import silence_matchers
from alerts.models import AlertGroup, InhibitRule, MaintenanceWindow, Receiver, Route, Silence, TimeInterval
from alerts.selectors import (
    alert_list,
    attempt_list,
    group_list,
    group_matches,
    group_with_alerts,
    notification_list,
    routing_tree,
    silence_preview,
)
from alerts.services import alert_resolve, group_acknowledge, group_resolve, group_silence
from alerts.services.config import (
    config_import,
    inhibit_rule_delete,
    inhibit_rule_save,
    route_delete,
    route_save,
    time_interval_delete,
    time_interval_save,
)
from alerts.services.receivers import KEEP, receiver_delete, receiver_save, receiver_test
from alerts.services.silences import (
    maintenance_window_delete,
    maintenance_window_save,
    silence_create,
    silence_expire,
    silence_update,
)
from sre.api.permissions import INGEST, READ, RESPOND
from sre.domain.ids import parse_id
from sre.errors import InvalidInputError


def _actor(request: Request) -> str:
    return request.user.get_username()


def _ingest_response(alerts: list) -> Response:
    body = {"accepted": len(alerts), "alerts": [{"fingerprint": a.fingerprint, "status": a.status} for a in alerts]}
    return Response(body, status=status.HTTP_200_OK)


class AlertmanagerWebhookView(APIView):
    """``POST /api/v1/alerts/alertmanager``: Alertmanager's webhook (``version: "4"``), firing and resolved.

    Validated whole before anything is stored; repeated deliveries are idempotent."""

    access = {"post": INGEST}

    @extend_schema(request=dict, responses=s.AlertsIngestResultSerializer)
    def post(self, request: Request) -> Response:
        items = parse_alertmanager(request.data)
        alerts = alerts_ingest_shared(items=items, source="alertmanager")
        metrics.ALERTS_RECEIVED.labels(source="alertmanager").inc(len(alerts))
        return _ingest_response(alerts)


class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Alerts. ``POST`` takes generic JSON: one alert (``labels``, ``annotations``, ``status``, ``starts_at``,
    ``ends_at``, optional ``fingerprint``, ``generator_url``), a list, or ``{"alerts": [...]}``."""

    serializer_class = s.AlertsAlertSerializer
    access = {"list": READ, "retrieve": READ, "create": INGEST, "resolve": RESPOND}
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return alert_list(status=self.request.query_params.get("status", ""))

    @extend_schema(request=dict, responses=s.AlertsIngestResultSerializer)
    def create(self, request: Request) -> Response:
        items = parse_generic(request.data)
        alerts = alerts_ingest_shared(items=items, source="api")
        metrics.ALERTS_RECEIVED.labels(source="api").inc(len(alerts))
        return _ingest_response(alerts)

    @extend_schema(request=None, responses=s.AlertsAlertSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        alert = alert_resolve(alert_id=int(pk), actor=_actor(request), now=timezone.now())
        return Response(s.AlertsAlertSerializer(alert).data)


class AlertGroupViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Alert groups. Filters: ``?state=firing&state=acknowledged``, ``?receiver=``, ``?label=team=db``
    (matchers, repeatable). Commands: acknowledge, resolve, silence."""

    access = {"list": READ, "retrieve": READ, "acknowledge": RESPOND, "resolve": RESPOND, "silence": RESPOND}
    lookup_value_regex = r"\d+"

    def get_serializer_class(self):
        return s.AlertsGroupDetailSerializer if self.action == "retrieve" else s.AlertsGroupSerializer

    def get_queryset(self):
        if self.action == "retrieve":
            return AlertGroup.objects.select_related("receiver").prefetch_related("alerts", "events")
        return group_list(
            states=self.request.query_params.getlist("state"), receiver=self.request.query_params.get("receiver", "")
        )

    def list(self, request: Request) -> Response:
        try:
            matchers = parse_matchers(request.query_params.getlist("label"))
        except ValueError as exc:
            raise InvalidInputError(f"Bad label filter: {exc}", fields={"label": [str(exc)]}) from None
        queryset = self.get_queryset()
        if matchers:
            queryset = [g for g in queryset.prefetch_related("alerts")[:2000] if group_matches(g, matchers)]
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def _detail(self, group_id: int) -> Response:
        return Response(s.AlertsGroupDetailSerializer(group_with_alerts(group_id=group_id)).data)

    @extend_schema(request=None, responses=s.AlertsGroupDetailSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        group_acknowledge(group_id=int(pk), actor=_actor(request), now=timezone.now())
        return self._detail(int(pk))

    @extend_schema(request=None, responses=s.AlertsGroupDetailSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        group_resolve(group_id=int(pk), actor=_actor(request), now=timezone.now())
        return self._detail(int(pk))

    @extend_schema(request=s.AlertsGroupSilenceSerializer, responses={201: s.AlertsSilenceSerializer})
    @action(detail=True, methods=["post"])
    def silence(self, request: Request, pk: str | None = None) -> Response:
        payload = s.AlertsGroupSilenceSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        silence = group_silence(
            group_id=int(pk),
            actor=_actor(request),
            now=timezone.now(),
            duration=timedelta(minutes=data["duration_minutes"]),
            comment=data["comment"],
            alert_id=data.get("alert"),
        )
        return Response(s.AlertsSilenceSerializer(silence).data, status=status.HTTP_201_CREATED)


class SilenceViewSet(viewsets.ModelViewSet):
    """Silences in Alertmanager's shape. ``DELETE`` expires (the row stays). ``POST preview`` lists the
    firing alerts some matchers would silence."""

    serializer_class = s.AlertsSilenceSerializer
    queryset = Silence.objects.order_by("-starts_at")
    access = {
        "list": READ,
        "retrieve": READ,
        "preview": READ,
        "create": RESPOND,
        "update": RESPOND,
        "partial_update": RESPOND,
        "destroy": RESPOND,
    }
    http_method_names = ["get", "post", "put", "delete", "head", "options"]

    def create(self, request: Request) -> Response:
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        now = timezone.now()
        silence = silence_create(
            matchers=[dict(m) for m in data["matchers"]],
            starts_at=data.get("starts_at") or now,
            ends_at=data["ends_at"],
            created_by=_actor(request),
            comment=data.get("comment", ""),
            now=now,
        )
        return Response(self.get_serializer(silence).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str | None = None) -> Response:
        silence = self.get_object()
        payload = self.get_serializer(silence, data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        silence = silence_update(
            silence=silence,
            matchers=[dict(m) for m in data["matchers"]],
            starts_at=data.get("starts_at") or silence.starts_at,
            ends_at=data["ends_at"],
            comment=data.get("comment", silence.comment),
            now=timezone.now(),
        )
        return Response(self.get_serializer(silence).data)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        silence = silence_expire(silence_id=self.get_object().pk, now=timezone.now())
        return Response(self.get_serializer(silence).data)

    @extend_schema(request=s.AlertsSilencePreviewSerializer, responses=s.AlertsAlertSerializer(many=True))
    @action(detail=False, methods=["post"], pagination_class=None)  # a bare list: every alert it would silence
    def preview(self, request: Request) -> Response:
        payload = s.AlertsSilencePreviewSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            matchers = silence_matchers([dict(m) for m in payload.validated_data["matchers"]])
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from None
        return Response(s.AlertsAlertSerializer(silence_preview(matchers=matchers), many=True).data)


class _ServiceSaveMixin:
    """ModelViewSet writes through a service: ``perform_create``/``perform_update`` call ``save_with``."""

    def perform_create(self, serializer) -> None:
        serializer.instance = self.save_with(None, serializer.validated_data)

    def perform_update(self, serializer) -> None:
        serializer.instance = self.save_with(serializer.instance, serializer.validated_data)


class RouteViewSet(_ServiceSaveMixin, viewsets.ModelViewSet):
    """The routing tree (admin). ``POST match`` = which routes take these labels; ``POST import`` replaces
    the tree, inhibition rules and time intervals from Alertmanager YAML."""

    serializer_class = s.AlertsRouteSerializer
    queryset = Route.objects.select_related("receiver").order_by("parent_id", "position", "pk")
    access = {"match": READ, "tree": READ}

    def save_with(self, instance, data):
        return route_save(route=instance, data=data)

    def perform_destroy(self, instance) -> None:
        route_delete(route=instance)

    @extend_schema(request=s.AlertsRouteMatchSerializer, responses=dict)
    @action(detail=False, methods=["post"])
    def match(self, request: Request) -> Response:
        payload = s.AlertsRouteMatchSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        labels = payload.validated_data["labels"]
        tree = routing_tree()
        if tree is None:
            return Response({"routes": []})
        matched = routing.match(tree, labels)
        return Response(
            {
                "routes": [
                    {
                        "id": r.id,
                        "path": list(r.path),
                        "name": r.name,
                        "receiver": r.receiver,
                        "group_by": ["..."] if r.group_by_all else list(r.group_by),
                        "group_labels": r.group_labels(labels),
                        "group_wait": r.group_wait,
                        "group_interval": r.group_interval,
                        "repeat_interval": r.repeat_interval,
                    }
                    for r in matched
                ]
            }
        )

    @extend_schema(
        request=s.AlertsConfigImportSerializer,
        responses={
            200: dict,
            422: OpenApiResponse(description="The YAML is not an Alertmanager configuration we can read."),
        },
    )
    @action(detail=False, methods=["post"], url_path="import")
    def import_config(self, request: Request) -> Response:
        payload = s.AlertsConfigImportSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return Response(config_import(text=payload.validated_data["yaml"]))


class ReceiverViewSet(_ServiceSaveMixin, viewsets.ModelViewSet):
    """Receivers (admin). Secrets are write-only; omit them on update to keep the stored ones."""

    serializer_class = s.AlertsReceiverSerializer
    queryset = Receiver.objects.order_by("name")
    access = {"test": RESPOND}

    def save_with(self, instance, data):
        data = dict(data)
        routing_key = data.pop("routing_key", KEEP)
        secret = data.pop("secret", KEEP)
        return receiver_save(receiver=instance, data=data, routing_key=routing_key, secret=secret)

    def perform_destroy(self, instance) -> None:
        receiver_delete(receiver=instance)

    @extend_schema(request=None, responses={202: s.AlertsNotificationSerializer})
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str | None = None) -> Response:
        notification = receiver_test(receiver=self.get_object(), actor=_actor(request), now=timezone.now())
        return Response(s.AlertsNotificationSerializer(notification).data, status=status.HTTP_202_ACCEPTED)


class InhibitRuleViewSet(_ServiceSaveMixin, viewsets.ModelViewSet):
    serializer_class = s.AlertsInhibitRuleSerializer
    queryset = InhibitRule.objects.order_by("pk")

    def save_with(self, instance, data):
        return inhibit_rule_save(rule=instance, data=data)

    def perform_destroy(self, instance) -> None:
        inhibit_rule_delete(rule=instance)


class TimeIntervalViewSet(_ServiceSaveMixin, viewsets.ModelViewSet):
    serializer_class = s.AlertsTimeIntervalSerializer
    queryset = TimeInterval.objects.order_by("name")

    def save_with(self, instance, data):
        return time_interval_save(
            interval=instance,
            name=data.get("name", instance and instance.name),
            entries=data.get("entries", instance and instance.entries),
        )

    def perform_destroy(self, instance) -> None:
        time_interval_delete(interval=instance)


class MaintenanceWindowViewSet(_ServiceSaveMixin, viewsets.ModelViewSet):
    """Recurring maintenance windows that mute matching alerts and the chosen routes."""

    serializer_class = s.AlertsMaintenanceWindowSerializer
    queryset = MaintenanceWindow.objects.prefetch_related("routes").order_by("starts_at")
    access = {"create": RESPOND, "update": RESPOND, "partial_update": RESPOND, "destroy": RESPOND}

    def save_with(self, instance, data):
        data = dict(data)
        routes = data.pop("routes", None)
        if instance is None:
            data["created_by"] = _actor(self.request)
            data.setdefault("recurrence", "none")
            data.setdefault("matchers", [])
        return maintenance_window_save(window=instance, data=data, routes=routes, now=timezone.now())

    def perform_destroy(self, instance) -> None:
        maintenance_window_delete(window=instance, now=timezone.now())


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The outbox: one row per state change per receiver. Filters: receiver, event, state, group."""

    serializer_class = s.AlertsNotificationSerializer

    def get_queryset(self):
        q = self.request.query_params
        return notification_list(
            receiver=q.get("receiver", ""),
            event=q.get("event", ""),
            state=q.get("state", ""),
            group_id=parse_id(q.get("group")),
        )


class DeliveryAttemptViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The ledger: every delivery attempt. Filters: receiver, event, outcome, group, dedup_key."""

    serializer_class = s.AlertsDeliveryAttemptSerializer

    def get_queryset(self):
        q = self.request.query_params
        return attempt_list(
            receiver=q.get("receiver", ""),
            event=q.get("event", ""),
            outcome=q.get("outcome", ""),
            group_id=parse_id(q.get("group")),
            dedup_key=q.get("dedup_key", ""),
        )
