"""Internal API of the status page (``/api/v1/statuspage/…``). Viewers read; admins configure components,
groups and subscribers; responders override component status and run maintenance. Every write goes
through ``statuspage.services``."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from sre.api.permissions import CONFIGURE, READ, READ_ADMIN, RESPOND
from statuspage import selectors, services
from statuspage.api import serializers as s
from statuspage.models import ComponentGroup


class _Base(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_value_regex = r"\d+"

    def _valid(self, serializer_class, request: Request, **kwargs) -> dict:
        serializer = serializer_class(data=request.data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        self.delete_with(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class StatusGroupViewSet(_Base):
    """Component groups (collapsible on the public page)."""

    serializer_class = s.StatusGroupSerializer
    access = {"list": READ, "retrieve": READ, "create": CONFIGURE, "partial_update": CONFIGURE, "destroy": CONFIGURE}

    def get_queryset(self):
        return ComponentGroup.objects.all()

    def create(self, request: Request) -> Response:
        group = services.group_save(group=None, data=self._valid(s.StatusGroupSerializer, request))
        return Response(s.StatusGroupSerializer(group).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        group = services.group_save(
            group=self.get_object(), data=self._valid(s.StatusGroupSerializer, request, partial=True)
        )
        return Response(s.StatusGroupSerializer(group).data)

    def delete_with(self, obj) -> None:
        services.group_delete(group=obj)


class StatusComponentViewSet(_Base):
    """Components with their derived (cached) status and any override. ``POST …/override`` (responders)
    sets a status by hand, optionally until an open incident resolves; ``POST …/clear_override`` ends it."""

    serializer_class = s.StatusComponentSerializer
    access = {
        "list": READ,
        "retrieve": READ,
        "create": CONFIGURE,
        "partial_update": CONFIGURE,
        "destroy": CONFIGURE,
        "override": RESPOND,
        "clear_override": RESPOND,
    }

    def get_queryset(self):
        return selectors.component_list()

    def _save(self, component, request: Request, *, partial: bool):
        data = self._valid(s.StatusComponentSerializer, request, partial=partial)
        linked = {key: data.pop(key) for key in ("services", "slos") if key in data}
        return services.component_save(
            component=component, data=data, services=linked.get("services"), slos=linked.get("slos")
        )

    def create(self, request: Request) -> Response:
        component = self._save(None, request, partial=False)
        return Response(s.StatusComponentSerializer(component).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        return Response(s.StatusComponentSerializer(self._save(self.get_object(), request, partial=True)).data)

    def delete_with(self, obj) -> None:
        services.component_delete(component=obj)

    @extend_schema(request=s.StatusOverrideInputSerializer, responses=s.StatusComponentSerializer)
    @action(detail=True, methods=["post"])
    def override(self, request: Request, pk: str) -> Response:
        data = self._valid(s.StatusOverrideInputSerializer, request)
        component = services.component_override_set(
            component_id=self.get_object().pk,
            status=data["status"],
            reason=data["reason"],
            incident_id=data["incident"],
            actor=request.user.get_username(),
            now=timezone.now(),
        )
        component.refresh_from_db()
        return Response(s.StatusComponentSerializer(component).data)

    @extend_schema(request=None, responses=s.StatusComponentSerializer)
    @action(detail=True, methods=["post"])
    def clear_override(self, request: Request, pk: str) -> Response:
        component = self.get_object()
        services.component_override_clear(component_id=component.pk, now=timezone.now())
        component.refresh_from_db()
        return Response(s.StatusComponentSerializer(component).data)


class StatusMaintenanceViewSet(_Base):
    """Scheduled maintenance (responders). ``POST …/complete`` and ``…/cancel`` end it early."""

    serializer_class = s.StatusMaintenanceSerializer
    access = {
        "list": READ,
        "retrieve": READ,
        "create": RESPOND,
        "partial_update": RESPOND,
        "complete": RESPOND,
        "cancel": RESPOND,
        "destroy": CONFIGURE,
    }

    def get_queryset(self):
        return selectors.maintenance_list().order_by("-starts_at", "-pk")

    def _save(self, maintenance, request: Request, serializer_class):
        data = self._valid(serializer_class, request, partial=maintenance is not None)
        components = data.pop("components", None)
        return services.maintenance_save(
            maintenance=maintenance,
            data=data,
            components=components,
            actor=request.user.get_username(),
            now=timezone.now(),
        )

    def create(self, request: Request) -> Response:
        maintenance = self._save(None, request, s.StatusMaintenanceSerializer)
        return Response(s.StatusMaintenanceSerializer(maintenance).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        maintenance = self._save(self.get_object(), request, s.StatusMaintenanceUpdateSerializer)
        return Response(s.StatusMaintenanceSerializer(maintenance).data)

    def delete_with(self, obj) -> None:
        services.maintenance_delete(maintenance=obj)

    @extend_schema(request=None, responses=s.StatusMaintenanceSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        maintenance = services.maintenance_complete(maintenance_id=self.get_object().pk, now=timezone.now())
        return Response(s.StatusMaintenanceSerializer(maintenance).data)

    @extend_schema(request=None, responses=s.StatusMaintenanceSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        maintenance = services.maintenance_cancel(maintenance_id=self.get_object().pk, now=timezone.now())
        return Response(s.StatusMaintenanceSerializer(maintenance).data)


class StatusSubscriberViewSet(_Base):
    """Subscribers (admins only: personal data). Webhook URLs are write-only."""

    serializer_class = s.StatusSubscriberSerializer
    access = {"list": READ_ADMIN, "retrieve": READ_ADMIN, "create": CONFIGURE, "destroy": CONFIGURE}

    def get_queryset(self):
        return selectors.subscriber_list()

    def create(self, request: Request) -> Response:
        data = self._valid(s.StatusSubscriberSerializer, request)
        subscriber = services.subscriber_create(
            kind=data["kind"],
            email=data.get("email", ""),
            url=data.get("url", ""),
            component_ids=[c.pk for c in data.get("components", [])],
            allow_private=data["allow_private"],
            confirmed=data["confirmed"],
            actor=request.user.get_username(),
            now=timezone.now(),
        )
        return Response(s.StatusSubscriberSerializer(subscriber).data, status=status.HTTP_201_CREATED)

    def delete_with(self, obj) -> None:
        services.subscriber_delete(subscriber=obj)
