"""Heartbeats management API (``/api/v1/heartbeat-checks/``): checks (viewers read, admins configure; the ping URL
only for responders and admins), pause/resume (responders), a new ping URL (admins) and each check's pings.

The ping endpoints themselves (``/api/v1/heartbeats/<uuid>``) are in ``heartbeats.api.ping``."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from heartbeats.api import serializers as s
from heartbeats.models import Check
from heartbeats.selectors import check_list, pings_of
from heartbeats.services import check_delete, check_pause, check_ping_key_regenerate, check_resume, check_save
from sre.api.permissions import CONFIGURE, READ, RESPOND


class HeartbeatCheckViewSet(viewsets.ModelViewSet):
    """Heartbeat checks (dead-man switches). Writes go through ``heartbeats.services``."""

    queryset = check_list()
    serializer_class = s.HeartbeatCheckSerializer
    filterset_fields = ["state", "paused", "schedule_kind"]
    access = {"pause": RESPOND, "resume": RESPOND, "ping_key": CONFIGURE, "pings": READ}

    def perform_create(self, serializer) -> None:
        serializer.instance = check_save(check=None, data=dict(serializer.validated_data), now=timezone.now())

    def perform_update(self, serializer) -> None:
        serializer.instance = check_save(
            check=serializer.instance, data=dict(serializer.validated_data), now=timezone.now()
        )

    def perform_destroy(self, instance: Check) -> None:
        check_delete(check=instance, now=timezone.now())

    @extend_schema(request=None, responses=s.HeartbeatCheckSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: str | None = None) -> Response:
        """Stop monitoring: pings are still recorded, nothing alerts, a firing alert resolves."""
        check = check_pause(check=self.get_object(), now=timezone.now())
        return Response(self.get_serializer(check).data)

    @extend_schema(request=None, responses=s.HeartbeatCheckSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        """Monitor again (up if the last ping is still in time, else new until the next ping)."""
        check = check_resume(check=self.get_object(), now=timezone.now())
        return Response(self.get_serializer(check).data)

    @extend_schema(request=None, responses=s.HeartbeatCheckSerializer)
    @action(detail=True, methods=["post"], url_path="ping-key")
    def ping_key(self, request: Request, pk: str | None = None) -> Response:
        """A new secret ping URL; the old one is unknown from now on."""
        check = check_ping_key_regenerate(check=self.get_object())
        return Response(self.get_serializer(check).data)

    @extend_schema(request=None, responses=s.HeartbeatPingSerializer(many=True))
    @action(detail=True, methods=["get"], filterset_fields=[])
    def pings(self, request: Request, pk: str | None = None) -> Response:
        """The check's pings, newest first (the last 1,000 are kept)."""
        check = self.get_object()
        page = self.paginate_queryset(pings_of(check_id=check.pk))
        return self.get_paginated_response(s.HeartbeatPingSerializer(page, many=True).data)
