"""Serializers of the rules API. Durations are whole seconds in output and seconds or a Prometheus duration
(``"5m"``, ``"1h30m"``) in input. Input serializers check JSON types and choices; what needs more (the expression,
label names, annotation templates, a name unique in its group) is ``rules.services.rules.rule_clean``'s, which
answers 400 naming the field."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from rules.choices import Comparison, RuleKind, RuleSource
from rules.domain.backtest import Backtest
from rules.domain.checks import LOG_GROUP_LABELS, LOG_LEVELS, METRIC_NAME
from rules.models import AlertRule, RuleAlert
from sre.api.serializers import StrictFieldsMixin
from sre.domain.durations import DURATION_PATTERN

DURATION_SCHEMA = {
    "oneOf": [
        {"type": "integer", "minimum": 0, "description": "Seconds."},
        {"type": "string", "pattern": DURATION_PATTERN, "description": "A Prometheus duration: 30s, 5m, 1h30m."},
    ]
}


@extend_schema_field(DURATION_SCHEMA)
class RuleDurationField(serializers.Field):
    """Seconds (an integer) or a Prometheus duration string; the service turns either into seconds and checks
    its bounds (and names the field when they are not met)."""

    default_error_messages = {"invalid": "Give seconds or a duration such as 5m."}

    def to_internal_value(self, data: Any) -> int | str:
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        return data

    def to_representation(self, value: Any) -> int:
        return int(value)


@extend_schema_field({"type": "number", "nullable": True})
class RuleFiniteFloatField(serializers.Field):
    """A float shown as JSON: ``null`` for NaN and ±Inf (a division by zero in an expression), which JSON cannot
    hold."""

    def to_representation(self, value: Any) -> float | None:
        return finite(value)


def finite(value: Any) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _text(limit: int, **kwargs: Any) -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, max_length=limit, **kwargs)


class RuleWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    """A rule as it is created or changed. Fields left out keep their value (or take the default on create)."""

    name = serializers.RegexField(
        METRIC_NAME.pattern, max_length=200, help_text="The alertname of its alerts (a metric name)."
    )
    group = _text(200, help_text='Rule group, as in a Prometheus rule file (default "default").')
    kind = serializers.ChoiceField(choices=RuleKind.choices, required=False)
    source = serializers.ChoiceField(
        choices=RuleSource.choices, required=False, help_text="Where a metric rule's expression runs."
    )
    expr = _text(10_000, help_text="PromQL (metric rules): each sample of its result is an alert.")
    log_service = _text(100, help_text="Log rules: lines of this service only (exact).")
    log_levels = serializers.ListField(child=serializers.ChoiceField(choices=LOG_LEVELS), required=False)
    log_text = _text(500, help_text="Log count rules: words in the message.")
    log_pattern = _text(500, help_text="Log line rules: an RE2 pattern searched in the message.")
    log_group_by = serializers.ListField(child=serializers.ChoiceField(choices=LOG_GROUP_LABELS), required=False)
    window_seconds = RuleDurationField(required=False, help_text="Log count rules: the window counted (minutes).")
    comparison = serializers.ChoiceField(choices=Comparison.choices, required=False)
    threshold = serializers.FloatField(required=False, help_text="Log count rules: the count compared.")
    for_seconds = RuleDurationField(required=False, help_text="How long the condition holds before it fires.")
    keep_firing_for_seconds = RuleDurationField(required=False, help_text="How long it fires on after it stops.")
    labels = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=10_000, trim_whitespace=False), required=False
    )
    annotations = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=10_000, trim_whitespace=False),
        required=False,
        help_text="Templated: {{ $labels.name }}, {{ $value }}.",
    )
    enabled = serializers.BooleanField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.partial or self.instance is not None:
            self.fields["name"].required = False


class RuleBacktestRequestSerializer(RuleWriteSerializer):
    """A rule (saved or not) and the range to replay it over: by default the 24 hours up to now."""

    start = serializers.DateTimeField(required=False, help_text="Default: 24 hours before end.")
    end = serializers.DateTimeField(required=False, help_text="Default: now.")
    step = RuleDurationField(required=False, help_text="Between evaluations; default: at most 1,440 of them.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # An unsaved rule may have no name yet; its alerts are then named "unnamed".
        self.fields["name"] = serializers.RegexField(
            METRIC_NAME.pattern, max_length=200, required=False, allow_blank=True
        )


class RuleAlertSerializer(serializers.ModelSerializer):
    value = RuleFiniteFloatField(help_text="The value when the condition last held (null for NaN or ±Inf).")

    class Meta:
        model = RuleAlert
        fields = [
            "fingerprint",
            "labels",
            "state",
            "value",
            "active_at",
            "fired_at",
            "last_true_at",
            "keep_firing_since",
        ]
        read_only_fields = fields


class RuleSerializer(serializers.ModelSerializer):
    """A rule with its evaluation state (``health``, ``last_error``) and how many of its alerts fire and wait."""

    firing_count = serializers.IntegerField(read_only=True)
    pending_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = AlertRule
        fields = [
            "id", "name", "group", "kind", "source", "expr", "log_service", "log_levels", "log_text", "log_pattern",
            "log_group_by", "window_seconds", "comparison", "threshold", "for_seconds", "keep_firing_for_seconds",
            "labels", "annotations", "enabled", "health", "last_error", "last_evaluated_at", "last_duration_ms",
            "firing_count", "pending_count", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class RuleDetailSerializer(RuleSerializer):
    alerts = RuleAlertSerializer(many=True, read_only=True, help_text="Active alerts: pending and firing.")

    class Meta(RuleSerializer.Meta):
        fields = [*RuleSerializer.Meta.fields, "alerts"]
        read_only_fields = fields


class RuleBacktestSeriesSerializer(serializers.Serializer):
    labels = serializers.DictField(child=serializers.CharField())
    points = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True), min_length=2, max_length=2),
        help_text="[unix seconds, value] pairs; the value is null where it is NaN or ±Inf.",
    )


class RuleBacktestIntervalSerializer(serializers.Serializer):
    labels = serializers.DictField(child=serializers.CharField(), help_text="The alert's labels.")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(allow_null=True, help_text="null: still firing at the end of the range.")


class RuleBacktestSerializer(serializers.Serializer):
    """What the rule charts over the range (at most 20 label sets, highest peaks first), the threshold it is
    compared with, and when each label set would have fired (``for`` and ``keep_firing_for`` applied)."""

    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    step = serializers.IntegerField(help_text="Seconds between evaluations.")
    threshold = serializers.FloatField(allow_null=True)
    comparison = serializers.CharField(allow_null=True)
    series = RuleBacktestSeriesSerializer(many=True)
    series_total = serializers.IntegerField(help_text="Label sets in the result (series holds at most 20).")
    firing = RuleBacktestIntervalSerializer(many=True)
    evaluations = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True, help_text="Why the rule could not be evaluated over the range.")
    note = serializers.CharField(allow_blank=True)


class RuleImportRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    text = serializers.CharField(trim_whitespace=False, help_text="A Prometheus rule file (YAML).")
    source = serializers.ChoiceField(choices=RuleSource.choices, default=RuleSource.LOCAL)
    dry_run = serializers.BooleanField(default=False, help_text="Check and report; change nothing.")


class RuleImportQuerySerializer(StrictFieldsMixin, serializers.Serializer):
    json_types = False  # query parameters are text
    source = serializers.ChoiceField(choices=RuleSource.choices, default=RuleSource.LOCAL)
    dry_run = serializers.BooleanField(default=False, help_text="Check and report; change nothing.")


class RuleImportReportSerializer(serializers.Serializer):
    created = serializers.ListField(child=serializers.CharField(), help_text="group/name of each rule created.")
    updated = serializers.ListField(child=serializers.CharField())
    unsupported = serializers.ListField(child=serializers.CharField(), help_text="What was skipped, with its path.")
    dry_run = serializers.BooleanField()


def _iso(ts: int | None) -> str | None:
    if ts is None:
        return None
    return serializers.DateTimeField().to_representation(dt.datetime.fromtimestamp(ts, tz=dt.UTC))


def backtest_data(result: Backtest) -> dict[str, Any]:
    """``RuleBacktestSerializer``'s shape, built directly (up to 28,800 points: too many to pass through fields
    one by one)."""
    return {
        "start": _iso(result.start),
        "end": _iso(result.end),
        "step": result.step,
        "threshold": finite(result.threshold),
        "comparison": result.comparison,
        "series": [{"labels": s.labels, "points": [[ts, finite(v)] for ts, v in s.points]} for s in result.series],
        "series_total": result.series_total,
        "firing": [{"labels": i.labels, "start": _iso(i.start), "end": _iso(i.end)} for i in result.firing],
        "evaluations": result.evaluations,
        "error": result.error,
        "note": result.note,
    }
