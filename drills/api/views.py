"""Drills API: targets (admin configures), runs (responders run and cancel), evidence export."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from drills.api.serializers import (
    DrillEvidenceQuerySerializer,
    DrillRunDetailSerializer,
    DrillRunSerializer,
    DrillTargetSerializer,
    DrillTargetWriteSerializer,
)
from drills.choices import RunStatus, RunTrigger
from drills.evidence import evidence_csv, evidence_json
from drills.models import BackupTarget, DrillRun
from drills.selectors import evidence_runs, run_get, target_list
from drills.services import checks_replace, drill_cancel, drill_request, target_delete, target_save
from sre.api.filters import StrictFilterSet
from sre.api.permissions import READ, RESPOND
from sre.audit.services import audit_export


class DrillTargetViewSet(viewsets.ModelViewSet):
    """Backup targets. Reading needs the viewer role; configuring needs admin; running a drill, responder."""

    queryset = target_list().prefetch_related("checks")
    serializer_class = DrillTargetSerializer
    access = {"run": RESPOND}
    filterset_fields = ["kind", "enabled"]

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return DrillTargetWriteSerializer
        return DrillTargetSerializer

    def _save(self, request: Request, instance: BackupTarget | None, partial: bool) -> Response:
        serializer = DrillTargetWriteSerializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            target = target_save(target=instance, data=serializer.service_data())
            if "checks" in serializer.validated_data:
                checks_replace(target=target, checks=serializer.validated_data["checks"])
        out = DrillTargetSerializer(self.get_queryset().get(pk=target.pk)).data
        return Response(out, status=status.HTTP_201_CREATED if instance is None else status.HTTP_200_OK)

    @extend_schema(request=DrillTargetWriteSerializer, responses={201: DrillTargetSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        return self._save(request, None, partial=False)

    @extend_schema(request=DrillTargetWriteSerializer, responses=DrillTargetSerializer)
    def update(self, request: Request, *args, **kwargs) -> Response:
        return self._save(request, self.get_object(), partial=kwargs.get("partial", False))

    def perform_destroy(self, instance: BackupTarget) -> None:
        target_delete(target=instance)

    @extend_schema(request=None, responses={202: DrillRunSerializer})
    @action(detail=True, methods=["post"])
    def run(self, request: Request, pk: str | None = None) -> Response:
        """Queue a drill of this target now (409 if one is already queued or running)."""
        run = drill_request(target=self.get_object(), trigger=RunTrigger.API, user=request.user, now=timezone.now())
        return Response(DrillRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class DrillRunFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=RunStatus.choices)
    queued_after = django_filters.IsoDateTimeFilter(field_name="queued_at", lookup_expr="gte")
    queued_before = django_filters.IsoDateTimeFilter(field_name="queued_at", lookup_expr="lt")

    class Meta:
        model = DrillRun
        fields = ["target", "status", "trigger"]


class DrillRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Drill runs with their steps and check results; ``cancel`` needs the responder role."""

    queryset = DrillRun.objects.select_related("target", "requested_by").order_by("-queued_at", "-pk")
    serializer_class = DrillRunSerializer
    filterset_class = DrillRunFilter
    access = {"cancel": RESPOND}

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        run = self.get_object()
        return Response(DrillRunDetailSerializer(run_get(pk=run.pk)).data)

    @extend_schema(request=None, responses=DrillRunSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Cancel a queued run, or ask a running one to stop (409 once it has finished)."""
        run = drill_cancel(run=self.get_object(), user=request.user, now=timezone.now())
        return Response(DrillRunSerializer(run).data)


class DrillEvidenceView(APIView):
    """All runs queued in a period (dates, UTC, end inclusive) with steps and checks, as JSON or CSV."""

    access = {"get": READ}

    @extend_schema(
        parameters=[
            OpenApiParameter("start", str, required=True, description="YYYY-MM-DD"),
            OpenApiParameter("end", str, required=True, description="YYYY-MM-DD, inclusive"),
            OpenApiParameter("output", str, enum=["json", "csv"]),
            OpenApiParameter("target", int),
        ],
        responses={(200, "application/json"): dict, (200, "text/csv"): str},
    )
    def get(self, request: Request) -> Response | HttpResponse:
        query = DrillEvidenceQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        data = query.validated_data
        start = dt.datetime.combine(data["start"], dt.time.min, tzinfo=dt.UTC)
        end = dt.datetime.combine(data["end"], dt.time.min, tzinfo=dt.UTC) + dt.timedelta(days=1)
        runs = evidence_runs(start=start, end=end, target_id=data.get("target"))
        period = {"start": str(data["start"]), "end": str(data["end"]), "target": data.get("target")}
        audit_export(what="drill-evidence", fmt=data["output"], detail=period)
        if data["output"] == "csv":
            response = HttpResponse(evidence_csv(runs), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="drill-evidence-{data["start"]}-{data["end"]}.csv"'
            return response
        return Response(evidence_json(runs, start=start, end=end))
