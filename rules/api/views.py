"""Rules API: alert rules (viewer reads, admin writes), backtests of unsaved rules (viewer: they read stored data and
write nothing), Prometheus rule files in (admin) and out (viewer), and "evaluate this rule now" (responder).

Every write goes through ``rules.services``: a bad field is a 400 naming it and nothing is saved."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import parsers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from rules.api import serializers as s
from rules.choices import RuleHealth, RuleKind, RuleSource
from rules.domain.checks import RuleFieldError, check_duration
from rules.models import AlertRule
from rules.selectors import rule_list
from rules.services.backtest import rule_backtest
from rules.services.evaluate import rule_evaluate_now
from rules.services.files import rules_export_text, rules_import
from rules.services.rules import rule_delete, rule_save
from sre.api.filters import StrictFilterSet
from sre.api.parsers import StrictJSONParser, read_limited
from sre.api.permissions import READ, RESPOND
from sre.errors import InvalidInputError

BACKTEST_SPAN = dt.timedelta(hours=24)
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # before any stored data; keeps time arithmetic in range
LATEST_AHEAD = dt.timedelta(days=1)
UNNAMED = "unnamed"

# A Prometheus rule file, as the document the YAML holds (the schema describes YAML content as it does JSON).
RULE_FILE = {
    "type": "object",
    "description": "A Prometheus rule file: groups of alerting rules (recording rules are reported and skipped).",
    "properties": {
        "groups": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "rules": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "alert": {"type": "string"},
                                "expr": {"type": "string"},
                                "for": {"type": "string"},
                                "keep_firing_for": {"type": "string"},
                                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                                "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
                            },
                        },
                    },
                },
                "required": ["name", "rules"],
            },
        }
    },
    "required": ["groups"],
}


class RuleFileParser(parsers.BaseParser):
    """A rule file sent as it is (``application/yaml``, ``text/plain``, …): the body as text, within the size
    limit."""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> str:
        try:
            return read_limited(stream).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInputError("The rule file must be UTF-8 text.", fields={"body": ["Not UTF-8."]}) from None


class RuleFilter(StrictFilterSet):
    kind = django_filters.ChoiceFilter(choices=RuleKind.choices)
    source = django_filters.ChoiceFilter(choices=RuleSource.choices)
    health = django_filters.ChoiceFilter(choices=RuleHealth.choices)
    group = django_filters.CharFilter()

    class Meta:
        model = AlertRule
        fields = ["kind", "source", "group", "health", "enabled"]


def _field_error(exc: RuleFieldError) -> InvalidInputError:
    return InvalidInputError(f"{exc.field}: {exc.message}", fields={exc.field: [exc.message]})


def _span(data: dict[str, Any], *, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    end = data.pop("end", None) or now
    for field, value in (("end", end), ("start", data.get("start"))):
        if value is not None and not EARLIEST <= value <= now + LATEST_AHEAD:
            raise InvalidInputError(
                f"{field}: between 2000 and a day from now.", fields={field: ["Between 2000 and a day from now."]}
            )
    start = data.pop("start", None) or end - BACKTEST_SPAN
    return start, end


class RuleViewSet(viewsets.ModelViewSet):
    """Alert rules. Filters: ``kind``, ``source``, ``group``, ``health``, ``enabled``. The detail holds the rule's
    active alerts. ``POST backtest`` replays a rule (saved or not) over stored data; ``POST import`` takes a
    Prometheus rule file, ``GET export`` gives one; ``POST {id}/evaluate`` evaluates one rule now."""

    queryset = rule_list()
    serializer_class = s.RuleSerializer
    filterset_class = RuleFilter
    lookup_value_regex = r"\d+"
    access = {"backtest": READ, "export": READ, "evaluate": RESPOND}

    def get_queryset(self):
        if self.action in ("retrieve", "evaluate"):
            return rule_list().prefetch_related("alerts")
        return rule_list()

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return s.RuleWriteSerializer
        if self.action == "retrieve":
            return s.RuleDetailSerializer
        return s.RuleSerializer

    def _detail(self, rule: AlertRule) -> dict:
        return s.RuleDetailSerializer(rule_list().prefetch_related("alerts").get(pk=rule.pk)).data

    def _save(self, request: Request, instance: AlertRule | None, *, partial: bool) -> Response:
        body = s.RuleWriteSerializer(instance, data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        rule = rule_save(rule=instance, data=dict(body.validated_data))
        code = status.HTTP_201_CREATED if instance is None else status.HTTP_200_OK
        return Response(self._detail(rule), status=code)

    @extend_schema(request=s.RuleWriteSerializer, responses={201: s.RuleDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._save(request, None, partial=False)

    @extend_schema(request=s.RuleWriteSerializer, responses=s.RuleDetailSerializer)
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._save(request, self.get_object(), partial=kwargs.get("partial", False))

    @extend_schema(request=s.RuleWriteSerializer, responses=s.RuleDetailSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().partial_update(request, *args, **kwargs)

    def perform_destroy(self, instance: AlertRule) -> None:
        rule_delete(rule=instance, now=timezone.now())

    @extend_schema(request=s.RuleBacktestRequestSerializer, responses=s.RuleBacktestSerializer)
    @action(detail=False, methods=["post"])
    def backtest(self, request: Request) -> Response:
        """When the rule would have fired over ``start``–``end`` (default: the last 24 hours) of stored data, and
        what it charts. Nothing is saved; the rule's fields are checked as for saving (400 naming the field).
        A rule that errors over the range (e.g. Prometheus unreachable) answers 200 with ``error`` set."""
        body = s.RuleBacktestRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        start, end = _span(data, now=timezone.now())
        step = data.pop("step", None)
        try:
            step_seconds = None if step is None else check_duration("step", step, minimum=60)
        except RuleFieldError as exc:
            raise _field_error(exc) from None
        data["name"] = data.get("name") or UNNAMED
        result = rule_backtest(data=data, start=start, end=end, step=step_seconds)
        return Response(s.backtest_data(result))

    @extend_schema(
        request={"application/yaml": RULE_FILE, "application/json": s.RuleImportRequestSerializer},
        parameters=[s.RuleImportQuerySerializer],
        responses={
            200: s.RuleImportReportSerializer,
            201: s.RuleImportReportSerializer,
            422: OpenApiResponse(description="The file holds problems (each listed with its path); nothing saved."),
        },
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[StrictJSONParser, RuleFileParser])
    def import_file(self, request: Request) -> Response:
        """Create or update (by group and name) the alerting rules of a Prometheus rule file, all or nothing.
        Send the file as the body (``application/yaml`` or ``text/plain``; ``?source=`` and ``?dry_run=``), or
        JSON ``{"text", "source", "dry_run"}``. 201 when rules were created, 200 otherwise (and for a dry run)."""
        if isinstance(request.data, str):
            if not request.data.strip():
                raise InvalidInputError("Send a Prometheus rule file in the body.", fields={"body": ["Empty."]})
            query = s.RuleImportQuerySerializer(data=request.query_params.dict())
            query.is_valid(raise_exception=True)
            options = {"text": request.data, **query.validated_data}
        else:
            body = s.RuleImportRequestSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            options = dict(body.validated_data)
        report = rules_import(**options)
        code = status.HTTP_201_CREATED if report["created"] and not report["dry_run"] else status.HTTP_200_OK
        return Response(s.RuleImportReportSerializer(report).data, status=code)

    @extend_schema(filters=True, responses={(200, "application/yaml"): RULE_FILE})
    @action(detail=False, methods=["get"])
    def export(self, request: Request) -> HttpResponse:
        """The metric rules (filtered as the list is) as a Prometheus rule file; log rules have no Prometheus form
        and are named in a comment."""
        rules = list(self.filter_queryset(rule_list()))
        response = HttpResponse(rules_export_text(rules=rules), content_type="application/yaml; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="rules.yaml"'
        return response

    @extend_schema(request=None, responses=s.RuleDetailSerializer)
    @action(detail=True, methods=["post"])
    def evaluate(self, request: Request, pk: str | None = None) -> Response:
        """Evaluate this rule now, as the minute's evaluation does (alerts that start or end go to the intake);
        answers its health and active alerts. 409 for a disabled rule or a log line rule (those fire on ingest)."""
        rule = self.get_object()
        rule_evaluate_now(rule=rule, now=timezone.now())
        return Response(self._detail(rule))
