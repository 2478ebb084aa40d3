"""Serializers of the telemetry API (names prefixed ``Telemetry`` to stay unique in the schema)."""

from __future__ import annotations

import datetime as dt

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from telemetry.domain.logs import LEVELS, normalise_level
from telemetry.domain.samples import parse_timestamp


class TelemetryIngestResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="Samples or lines stored by this request.")
    rejected = serializers.IntegerField(help_text="Items refused inside the batch (see reasons).")
    reasons = serializers.ListField(child=serializers.CharField(), help_text="The first few reasons.")
    duplicate = serializers.BooleanField(help_text="True when this batch_id was already stored.")
    batch_id = serializers.CharField(allow_null=True)


class TelemetryLogHitSerializer(serializers.Serializer):
    id = serializers.CharField()
    timestamp = serializers.DateTimeField()
    service = serializers.CharField()
    level = serializers.CharField()
    message = serializers.CharField()
    attributes = serializers.DictField()
    trace_id = serializers.CharField(allow_blank=True)


class TelemetryLogPageSerializer(serializers.Serializer):
    results = TelemetryLogHitSerializer(many=True)
    page = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)


class TelemetryLogBucketSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    level = serializers.CharField()
    count = serializers.IntegerField()


class TelemetryLogCountSerializer(serializers.Serializer):
    step = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    total = serializers.IntegerField()
    buckets = TelemetryLogBucketSerializer(many=True)


@extend_schema_field(OpenApiTypes.STR)
class FlexibleTimeField(serializers.Field):
    """Unix seconds or RFC 3339 (with a zone) to an aware UTC datetime."""

    default_error_messages = {"invalid": "Must be unix seconds or an RFC 3339 time with a zone."}

    def to_internal_value(self, data):

        value = parse_timestamp(data)
        if value is None and isinstance(data, str):
            try:
                value = parse_timestamp(float(data))
            except ValueError:
                value = None
        if value is None:
            self.fail("invalid")
        try:
            return dt.datetime.fromtimestamp(value, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            self.fail("invalid")

    def to_representation(self, value):
        return value.isoformat()


class TelemetryLogQuerySerializer(serializers.Serializer):
    """Query parameters of log search and counts."""

    q = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
    service = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    level = serializers.CharField(required=False, allow_blank=True, default="", help_text="Comma-separated levels.")
    start = FlexibleTimeField(required=False)
    end = FlexibleTimeField(required=False)

    def validate_level(self, value: str) -> tuple[str, ...]:
        levels = []
        for part in filter(None, (p.strip() for p in value.split(","))):
            level = normalise_level(part)
            if level is None:
                raise serializers.ValidationError(f"Unknown level {part!r}; use {', '.join(LEVELS)}.")
            levels.append(level)
        return tuple(dict.fromkeys(levels))

    def validate(self, attrs):
        if attrs.get("start") and attrs.get("end") and attrs["start"] >= attrs["end"]:
            raise serializers.ValidationError({"start": ["Must be before end."]})
        return attrs


class TelemetryLogSearchQuerySerializer(TelemetryLogQuerySerializer):
    page = serializers.IntegerField(required=False, min_value=1, max_value=10_000, default=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=500, default=50)


class TelemetryLogCountQuerySerializer(TelemetryLogQuerySerializer):
    step = serializers.IntegerField(required=False, min_value=60, max_value=86400 * 7)
