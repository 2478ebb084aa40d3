"""``POST /api/v1/oncall/import``: import Grafana OnCall or PagerDuty API JSON (admin), with a dry run."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from oncall.services.imports import SOURCES, oncall_import
from sre.api.permissions import CONFIGURE
from sre.api.serializers import StrictFieldsMixin


class OncallImportRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    source = serializers.ChoiceField(choices=SOURCES)
    dry_run = serializers.BooleanField(default=False)
    document = serializers.DictField(help_text="The source's API JSON: users, schedules, escalation policies, …")


class OncallImportUnmappedSerializer(serializers.Serializer):
    item = serializers.CharField()
    reason = serializers.CharField()


class OncallImportCreatedSerializer(serializers.Serializer):
    schedules = serializers.ListField(child=serializers.CharField())
    layers = serializers.ListField(child=serializers.CharField())
    overrides = serializers.ListField(child=serializers.CharField())
    policies = serializers.ListField(child=serializers.CharField())


class OncallImportReportSerializer(serializers.Serializer):
    source = serializers.CharField()
    dry_run = serializers.BooleanField()
    created = OncallImportCreatedSerializer()
    people = serializers.DictField(child=serializers.CharField(), help_text="Source user id → our username.")
    unmapped = OncallImportUnmappedSerializer(many=True)


class OncallImportView(APIView):
    """Import schedules, layers, overrides and escalation policies (admin). 200 for a dry run or when
    nothing was created, 201 when something was; what could not be mapped exactly is in ``unmapped``."""

    access = {"post": CONFIGURE}

    @extend_schema(
        request=OncallImportRequestSerializer,
        responses={200: OncallImportReportSerializer, 201: OncallImportReportSerializer},
    )
    def post(self, request: Request) -> Response:
        body = OncallImportRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        report = oncall_import(
            source=data["source"],
            document=data["document"],
            dry_run=data["dry_run"],
            now=timezone.now(),
            actor=request.user,
        )
        code = status.HTTP_201_CREATED if report.created_any and not report.dry_run else status.HTTP_200_OK
        return Response(OncallImportReportSerializer(report.as_dict()).data, status=code)
