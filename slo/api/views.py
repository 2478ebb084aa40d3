"""API views of the slo app: services and SLOs (CRUD), status, history, OpenSLO, Prometheus rules."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from slo.api import serializers as s
from slo.interchange import openslo_export_text, openslo_import
from slo.models import Service
from slo.previews import sli_preview
from slo.rules_export import prometheus_rules_text
from slo.selectors import slo_history, slo_list
from slo.services import service_delete, service_save, slo_delete, slo_evaluate, slo_save
from sre.api.parsers import read_limited
from sre.api.permissions import READ
from sre.errors import InvalidInputError

# The YAML exports, as the documents they hold (the schema describes YAML content as it does JSON).
OPENSLO_STREAM = {
    "type": "array",
    "description": "A YAML stream of two OpenSLO v1 documents: the Service, then the SLO.",
    "items": {
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string", "enum": ["Service", "SLO"]},
            "metadata": {"type": "object"},
            "spec": {"type": "object"},
        },
        "required": ["apiVersion", "kind", "metadata", "spec"],
    },
    "minItems": 2,
    "maxItems": 2,
}
OPENSLO_DOCUMENT = {
    "type": "object",
    "description": "OpenSLO v1 YAML: one document as described here, or a stream of them (Service, SLO, SLI, ...).",
    "properties": {
        "apiVersion": {"type": "string", "example": "openslo/v1"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {"type": "object"},
    },
    "required": ["apiVersion", "kind", "metadata", "spec"],
}
PROMETHEUS_RULE_FILE = {
    "type": "object",
    "description": "A Prometheus rule file: recording rules and multi-window burn-rate alerts.",
    "properties": {
        "groups": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "rules": {"type": "array", "items": {"type": "object"}}},
                "required": ["name", "rules"],
            },
        }
    },
    "required": ["groups"],
}


class _ServiceSave:
    def perform_create(self, serializer) -> None:
        serializer.instance = self.save_with(None, serializer.validated_data)

    def perform_update(self, serializer) -> None:
        serializer.instance = self.save_with(serializer.instance, serializer.validated_data)


class ServiceViewSet(_ServiceSave, viewsets.ModelViewSet):
    """Services (``name`` is the ``service`` label). Deleting one deletes its SLOs."""

    serializer_class = s.SloServiceSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return Service.objects.annotate(slo_count=Count("slos")).order_by("name")

    def save_with(self, instance, data):
        saved = service_save(service=instance, data=data)
        return self.get_queryset().get(pk=saved.pk)  # with its slo_count, as the list and detail show it

    def perform_destroy(self, instance) -> None:
        service_delete(service=instance)


class SloViewSet(_ServiceSave, viewsets.ModelViewSet):
    """SLOs. Filters: ``?service=<name>``. ``GET {id}/status`` evaluates now; ``{id}/history`` returns
    stored snapshots; ``{id}/openslo`` and ``{id}/prometheus-rules`` export; ``POST import`` takes
    OpenSLO YAML; ``POST preview`` shows an SLI over the last 24 h before saving."""

    serializer_class = s.SloSloSerializer
    lookup_value_regex = r"\d+"
    access = {"status": READ, "history": READ, "openslo": READ, "prometheus_rules": READ}

    def get_queryset(self):
        return slo_list(service=self.request.query_params.get("service", ""))

    def save_with(self, instance, data):
        return slo_save(slo=instance, data=data)

    def perform_destroy(self, instance) -> None:
        slo_delete(slo=instance, now=timezone.now())

    @extend_schema(
        summary="The SLO evaluated now",
        description=(
            "Counts over the window (start, end] from every sample accepted so far (on PostgreSQL including "
            "batches staged but not folded yet), so a push answered before this request is counted. A rollup "
            "minute m counts when start < m <= end. Counts are integers when whole."
        ),
        responses=s.SloStatusSerializer,
    )
    @action(detail=True, methods=["get"])
    def status(self, request: Request, pk: str | None = None) -> Response:
        slo = self.get_object()
        result = slo_evaluate(slos=[slo], now=timezone.now().replace(microsecond=0))[0]
        return Response({"id": slo.pk, "name": slo.name, "service": slo.service.name, **result.document})

    @extend_schema(
        summary="Stored evaluations of the SLO",
        description=(
            "The last snapshot of each step-second bucket in [start, end] (default: the last day, step 300). "
            "Not paginated: at most 5,000 buckets (a larger range needs a larger step)."
        ),
        parameters=[s.SloHistoryQuerySerializer],
        responses=s.SloHistorySerializer,
    )
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: str | None = None) -> Response:
        slo = self.get_object()
        query = s.SloHistoryQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        end = query.validated_data.get("end") or timezone.now()
        start = query.validated_data.get("start") or end - dt.timedelta(days=1)
        step = query.validated_data["step"]
        if start >= end:
            raise InvalidInputError("start must be before end.", fields={"start": ["Must be before end."]})
        if (end - start).total_seconds() / step > 5000:
            raise InvalidInputError(
                "Too many points: at most 5,000 (widen step).", fields={"step": ["Too small for this range."]}
            )
        points = slo_history(slo_id=slo.pk, start=start, end=end, step=step)
        return Response(
            {
                "start": start,
                "end": end,
                "step": step,
                "points": [s.history_point(p) for p in points],
            }
        )

    @extend_schema(responses={(200, "application/yaml"): OPENSLO_STREAM})
    @action(detail=True, methods=["get"])
    def openslo(self, request: Request, pk: str | None = None) -> HttpResponse:
        slo = self.get_object()
        response = HttpResponse(openslo_export_text(slo), content_type="application/yaml; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="{slo.name}.openslo.yaml"'
        return response

    @extend_schema(
        responses={
            (200, "application/yaml"): PROMETHEUS_RULE_FILE,
            422: OpenApiResponse(description="This SLO's SLI has no Prometheus equivalent (e.g. a log query)."),
        }
    )
    @action(detail=True, methods=["get"], url_path="prometheus-rules")
    def prometheus_rules(self, request: Request, pk: str | None = None) -> HttpResponse:
        slo = self.get_object()
        response = HttpResponse(prometheus_rules_text(slo), content_type="application/yaml; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="{slo.name}.rules.yaml"'
        return response

    @extend_schema(
        request={"application/yaml": OPENSLO_DOCUMENT},
        parameters=[OpenApiParameter("dry_run", bool, description="Validate and report, change nothing.")],
        responses={200: dict, 422: OpenApiResponse(description="The YAML is not OpenSLO we can import.")},
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[])
    def import_openslo(self, request: Request) -> Response:
        body = read_limited(request.stream)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInputError("The body must be UTF-8 YAML.", fields={"body": ["Not UTF-8."]}) from None
        if not text.strip():
            raise InvalidInputError("Send OpenSLO YAML documents in the body.", fields={"body": ["Empty."]})
        dry_run = request.query_params.get("dry_run", "").lower() in ("1", "true", "yes")
        return Response(openslo_import(text=text, dry_run=dry_run))

    @extend_schema(request=s.SloPreviewSerializer, responses=dict)
    @action(detail=False, methods=["post"])
    def preview(self, request: Request) -> Response:
        data = s.SloPreviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(sli_preview(**data.validated_data, now=timezone.now().replace(microsecond=0)))
