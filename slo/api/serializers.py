"""Serializers of the slo API (names prefixed ``Slo`` so the OpenAPI schema stays unambiguous)."""

from __future__ import annotations

from rest_framework import serializers

from slo.choices import BudgetingMethod, CalendarUnit, DataState, MissingGood, ServiceTier, SliKind, WindowKind
from slo.domain.spec import policy_default
from slo.domain.windows import BURN_WINDOWS
from slo.models import SLO, Service, SLOSnapshot
from slo.services import count_json
from sre.api.serializers import StrictFieldsMixin


class SloServiceSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    name = serializers.SlugField(max_length=100)
    tier = serializers.ChoiceField(choices=ServiceTier.choices, default=ServiceTier.TIER_2)
    links = serializers.ListField(child=serializers.DictField(), required=False, max_length=50)
    slo_count = serializers.IntegerField(read_only=True, required=False)

    class Meta:
        model = Service
        fields = ["id", "name", "owner_team", "tier", "description", "links", "slo_count", "created_at",
                  "updated_at"]  # fmt: skip
        read_only_fields = ["id", "created_at", "updated_at"]


class SloSloSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """An SLO. ``service`` is the service's name. ``sli`` depends on ``sli_kind`` (see the docs of
    ``slo.domain.spec``); ``alert_policy`` defaults to the Workbook's three conditions."""

    service = serializers.SlugRelatedField(slug_field="name", queryset=Service.objects.all())
    name = serializers.SlugField(max_length=100)
    target = serializers.DecimalField(max_digits=9, decimal_places=8, coerce_to_string=True, default="0.999")
    timeslice_target = serializers.DecimalField(max_digits=9, decimal_places=8, required=False)
    window_kind = serializers.ChoiceField(choices=WindowKind.choices, default=WindowKind.ROLLING)
    window_days = serializers.IntegerField(min_value=1, max_value=90, default=30)
    calendar_unit = serializers.ChoiceField(choices=CalendarUnit.choices, default=CalendarUnit.MONTH)
    timezone = serializers.CharField(max_length=64, default="UTC")
    budgeting_method = serializers.ChoiceField(choices=BudgetingMethod.choices, default=BudgetingMethod.OCCURRENCES)
    sli_kind = serializers.ChoiceField(choices=SliKind.choices)
    sli = serializers.JSONField()
    missing_good = serializers.ChoiceField(
        choices=MissingGood.choices,
        default=MissingGood.NO_DATA,
        help_text="Good/total and latency SLIs: a minute whose total series have samples and whose good series "
        "have none is left out as no data (no_data), or counts every event of it as bad (bad).",
    )
    alert_policy = serializers.JSONField(required=False, default=policy_default)

    class Meta:
        model = SLO
        fields = [
            "id", "service", "name", "display_name", "description", "target", "window_kind", "window_days",
            "calendar_unit", "timezone", "budgeting_method", "timeslice_target", "sli_kind", "sli", "missing_good",
            "alert_policy", "enabled", "status", "status_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "status", "status_at", "created_at", "updated_at"]
        validators: list = []  # (service, name) is unique: slo_save answers 409 naming the service


COUNT_HELP = "An integer when whole; a PromQL SLI's extrapolated increase may have a fraction. None without data."


def _count(help_text: str = COUNT_HELP, **kwargs) -> serializers.FloatField:
    return serializers.FloatField(allow_null=True, help_text=help_text, **kwargs)


def _ratio(help_text: str) -> serializers.FloatField:
    return serializers.FloatField(allow_null=True, help_text=help_text)


TTE_HELP = "Seconds until the budget is gone at the last hour's burn rate: 0 when spent, null when nothing burns."
CONSUMED_HELP = "bad_events / allowed bad events of the window (1 = the whole budget); null without data."
REMAINING_HELP = "1 − consumed_ratio (negative once overspent); null without data."

# The burn-rate windows ("5m" ... "3d", and "slo": the SLO's own window) are not Python names.
SloBurnRatesSerializer = type(
    "SloBurnRatesSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "Burn rate per window: (bad / total) / (1 − target); null for a window without data.",
        **{name: _ratio(f"Burn rate over {name}.") for name in BURN_WINDOWS},
        "slo": _ratio("Burn rate over the SLO's own window (equals consumed_ratio)."),
    },
)


class SloStatusWindowSerializer(serializers.Serializer):
    """The window ``(start, end]`` counted: a rollup minute ``m`` counts when ``start < m <= end``."""

    kind = serializers.ChoiceField(choices=WindowKind.choices)
    days = serializers.IntegerField(allow_null=True, help_text="Rolling windows: whole days.")
    calendar_unit = serializers.ChoiceField(choices=CalendarUnit.choices, allow_null=True)
    timezone = serializers.CharField()
    seconds = serializers.IntegerField(help_text="end − start.")
    start = serializers.DateTimeField(help_text="Exclusive: now − seconds, or the calendar period's start.")
    end = serializers.DateTimeField(
        help_text="Inclusive: the evaluation instant; every accepted sample up to it counts."
    )


class SloStatusBudgetSerializer(serializers.Serializer):
    total_events = _count()
    bad_events = _count()
    allowed_bad = _count("(1 − target) × total_events (may have a fraction).")
    bad = _count("Deprecated alias of bad_events.")
    remaining_ratio = _ratio(REMAINING_HELP)
    consumed_ratio = _ratio(CONSUMED_HELP)


class SloConditionSerializer(serializers.Serializer):
    """One multi-window burn-rate condition: fires when both windows' error ratio exceed ``threshold``."""

    name = serializers.CharField()
    severity = serializers.CharField()
    factor = serializers.CharField(help_text="Exact decimal.")
    threshold = serializers.CharField(help_text="factor × (1 − target), exact decimal.")
    long_window = serializers.CharField(help_text="A duration such as 1h.")
    short_window = serializers.CharField(help_text="A duration such as 5m.")
    long_ratio = _ratio("Error ratio over the long window.")
    short_ratio = _ratio("Error ratio over the short window.")
    long_burn_rate = _ratio("Burn rate over the long window.")
    short_burn_rate = _ratio("Burn rate over the short window.")
    firing = serializers.BooleanField()
    data_state = serializers.ChoiceField(choices=[("ok", "ok"), ("no_data", "no_data")])


class SloStatusSerializer(serializers.Serializer):
    """``GET /api/v1/slos/{id}/status``: the SLO evaluated now, from every sample accepted so far."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    service = serializers.CharField()
    evaluated_at = serializers.DateTimeField()
    target = serializers.CharField(help_text="Exact decimal, e.g. 0.999.")
    window = SloStatusWindowSerializer()
    budgeting_method = serializers.ChoiceField(choices=BudgetingMethod.choices)
    missing_good = serializers.ChoiceField(choices=MissingGood.choices)
    data_state = serializers.ChoiceField(choices=DataState.choices)
    error = serializers.CharField(allow_blank=True, help_text="The source's failure when data_state is source_error.")
    sli = _ratio("good / total over the window; null without data.")
    error_budget = SloStatusBudgetSerializer()
    burn_rates = SloBurnRatesSerializer()
    alerts = SloConditionSerializer(many=True, help_text="The conditions firing now.")
    conditions = SloConditionSerializer(many=True)
    time_to_exhaustion_seconds = _ratio(TTE_HELP)


class SloHistoryPointSerializer(serializers.Serializer):
    """One stored evaluation. Names as in the status (``total_events``, ``bad_events``, ``consumed_ratio``,
    ``remaining_ratio``, ``time_to_exhaustion_seconds``)."""

    at = serializers.DateTimeField()
    data_state = serializers.ChoiceField(choices=DataState.choices)
    error = serializers.CharField(allow_blank=True)
    sli = _ratio("good / total over the SLO window; null without data.")
    total_events = _count()
    bad_events = _count()
    consumed_ratio = _ratio(CONSUMED_HELP)
    remaining_ratio = _ratio(REMAINING_HELP)
    time_to_exhaustion_seconds = _ratio(TTE_HELP + " Null for snapshots stored before it was recorded.")
    burn_rates = SloBurnRatesSerializer()
    firing = serializers.ListField(child=serializers.CharField(), help_text="Names of the conditions firing.")
    bad = _count("Deprecated alias of bad_events.")
    total = _count("Deprecated alias of total_events.")


def history_point(snap: SLOSnapshot) -> dict:
    """A snapshot as ``SloHistoryPointSerializer`` describes it (counts stay integers when whole)."""
    bad, total = count_json(snap.bad), count_json(snap.total)
    return {
        "at": snap.at,
        "data_state": snap.data_state,
        "error": snap.error,
        "sli": snap.sli,
        "total_events": total,
        "bad_events": bad,
        "consumed_ratio": None if snap.remaining_ratio is None else 1 - snap.remaining_ratio,
        "remaining_ratio": snap.remaining_ratio,
        "time_to_exhaustion_seconds": snap.time_to_exhaustion,
        "burn_rates": {name: snap.burn_rates.get(name) for name in [*BURN_WINDOWS, "slo"]},
        "firing": list(snap.firing),
        "bad": bad,
        "total": total,
    }


class SloHistorySerializer(serializers.Serializer):
    """The snapshots between ``start`` and ``end``, the last of each ``step`` seconds (not paginated: at most
    5,000 points, a wider range needs a larger step)."""

    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    step = serializers.IntegerField()
    points = SloHistoryPointSerializer(many=True)


class SloHistoryQuerySerializer(StrictFieldsMixin, serializers.Serializer):
    json_types = False  # query parameters: text

    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)
    step = serializers.IntegerField(min_value=10, max_value=86400 * 7, required=False, default=300)


class SloPreviewSerializer(StrictFieldsMixin, serializers.Serializer):
    sli_kind = serializers.ChoiceField(choices=SliKind.choices)
    sli = serializers.JSONField()
    target = serializers.DecimalField(max_digits=9, decimal_places=8, required=False, default="0.999")
