"""HTML forms of the slo app (validation of the SLI and policy stays in ``slo.services.slo_clean``)."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from slo.choices import BudgetingMethod, CalendarUnit, MissingGood, ServiceTier, SliKind, WindowKind
from slo.domain.exact import decimal_str
from slo.domain.spec import LOG_LEVELS, SEVERITIES, policy_default
from slo.models import SLO, Service
from slo.services import SLO_FIELDS

NUMERATOR = [("bad", "bad events"), ("good", "good events")]
POLICY_FIELDS = ("name", "severity", "long_window", "short_window", "factor")
POLICY_MAX_ROWS = 20  # policy_validate's limit
POLICY_BLANK_ROWS = 2  # empty rows rendered after the policy's own (the way to add one without script)
SUGGEST = {"autocomplete": "off", "data-suggest": "selector", "spellcheck": "false"}


def percent_field(*, label: str, initial: str, help_text: str, required: bool = True) -> forms.DecimalField:
    """A target typed as a percentage (99.9), stored as a ratio (0.999) by the form."""
    return forms.DecimalField(
        max_digits=12,
        decimal_places=6,
        label=label,
        initial=initial,
        required=required,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "percent"}),
        error_messages={
            "invalid": "A percentage such as 99.9.",
            "max_decimal_places": "At most 6 decimal places, e.g. 99.999999.",
            "max_digits": "A percentage such as 99.9.",
        },
    )


def to_percent(ratio) -> str:
    """0.999 -> "99.9" (exact, no trailing zeros)."""
    return decimal_str(Decimal(str(ratio)) * 100)


def percent_to_ratio(value: Decimal, *, field: str = "target") -> Decimal:
    """99.9 -> 0.999; a value outside (0, 100) or under 1 (a ratio typed by habit) is refused in percent."""
    if value is None or not value.is_finite() or not Decimal(0) < value < Decimal(100):
        raise forms.ValidationError(f"The {field} is a percentage above 0% and below 100%, e.g. 99.9.")
    if value < 1:
        raise forms.ValidationError(
            f"{value}% is under 1%: the {field} is a percentage, so 0.999 means 0.999% — for 99.9% type 99.9."
        )
    return value / 100


class PolicyRow:
    """One row of the burn policy table as the template shows it."""

    def __init__(self, index: int, values: dict, errors: list[str] | None = None) -> None:
        self.index = index
        self.values = {key: str(values.get(key, "") or "") for key in POLICY_FIELDS}
        self.errors = errors or []
        self.prefix = f"policy-{index}-"


class ServiceForm(forms.Form):
    name = forms.SlugField(max_length=100, help_text="Lower-case slug: the value of the service label.")
    owner_team = forms.CharField(max_length=100, required=False)
    tier = forms.TypedChoiceField(choices=ServiceTier.choices, coerce=int, initial=ServiceTier.TIER_2)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    links = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="One link per line: Title | https://…",
    )

    def clean_links(self) -> list[dict]:
        out = []
        for line in self.cleaned_data["links"].splitlines():
            if not line.strip():
                continue
            title, _, url = line.rpartition("|")
            url = url.strip()
            if not url.startswith(("http://", "https://")):
                raise forms.ValidationError(f"Not an http(s) link: {line.strip()}")
            out.append({"title": title.strip() or url, "url": url})
        return out

    @staticmethod
    def initial_from(service: Service) -> dict:
        links = "\n".join(f"{link.get('title', '')} | {link.get('url', '')}" for link in service.links)
        return {
            "name": service.name,
            "owner_team": service.owner_team,
            "tier": service.tier,
            "description": service.description,
            "links": links,
        }


class SloForm(forms.Form):
    service = forms.ModelChoiceField(queryset=Service.objects.all(), to_field_name="name")
    name = forms.SlugField(max_length=100, help_text="Unique slug; the slo label of burn alerts.")
    display_name = forms.CharField(max_length=200, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    target = percent_field(
        label="Target (%)", initial="99.9", help_text="Percent of good events, e.g. 99.9 (stored as 0.999)."
    )
    window_kind = forms.ChoiceField(choices=WindowKind.choices, initial=WindowKind.ROLLING)
    window_days = forms.IntegerField(min_value=1, max_value=90, initial=30, help_text="Rolling windows: days.")
    calendar_unit = forms.ChoiceField(choices=CalendarUnit.choices, initial=CalendarUnit.MONTH)
    timezone = forms.CharField(max_length=64, initial="UTC", help_text="Calendar windows start at midnight here.")
    budgeting_method = forms.ChoiceField(choices=BudgetingMethod.choices, initial=BudgetingMethod.OCCURRENCES)
    timeslice_target = percent_field(
        label="Timeslice target (%)",
        initial="99",
        required=False,
        help_text="Timeslices: a minute is good when its SLI reaches this percent.",
    )
    sli_kind = forms.ChoiceField(choices=SliKind.choices, initial=SliKind.RATIO, label="SLI kind")
    ratio_numerator = forms.ChoiceField(choices=NUMERATOR, required=False, label="Counter counts")
    ratio_numerator_selector = forms.CharField(
        required=False,
        label="Counter selector",
        help_text='e.g. http_requests_total{service="checkout", code=~"5.."} — metric names and label values are '
        "suggested from the stored series as you type.",
        widget=forms.TextInput(attrs=SUGGEST),
    )
    ratio_total_selector = forms.CharField(
        required=False,
        label="Total selector",
        help_text='e.g. http_requests_total{service="checkout"}',
        widget=forms.TextInput(attrs=SUGGEST),
    )
    promql_numerator = forms.ChoiceField(choices=NUMERATOR, required=False, label="Query counts")
    promql_numerator_query = forms.CharField(
        required=False, label="PromQL (bad or good)", help_text="A counter selector, or an expression with $window."
    )
    promql_total_query = forms.CharField(required=False, label="PromQL (total)")
    log_service = forms.CharField(required=False, max_length=100, label="Log service")
    log_bad_query = forms.CharField(required=False, max_length=500, label="Bad lines contain")
    log_bad_levels = forms.MultipleChoiceField(
        choices=[(level, level) for level in LOG_LEVELS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Bad levels",
    )
    latency_selector = forms.CharField(
        required=False,
        label="Histogram selector",
        help_text='e.g. http_request_duration_seconds_bucket{service="checkout"}',
        widget=forms.TextInput(attrs=SUGGEST),
    )
    latency_threshold = forms.CharField(required=False, label="Threshold (seconds, a bucket boundary)")
    missing_good = forms.ChoiceField(
        choices=MissingGood.choices,
        initial=MissingGood.NO_DATA,
        required=False,
        label="Minutes with traffic but no good series",
        help_text="Good/total and latency SLIs: a good series that stops is no data, or every event is bad.",
    )
    # The burn policy is edited as rows (policy-<n>-<field>, see policy_rows); this field only carries its errors.
    alert_policy = forms.Field(required=False, widget=forms.HiddenInput, label="Burn-rate policy")
    enabled = forms.BooleanField(required=False, initial=True)

    severities = SEVERITIES

    def __init__(self, *args, policy: list[dict] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._policy = policy_default() if policy is None else policy
        self.row_errors: dict[int, list[str]] = {}

    def clean_target(self) -> Decimal:
        return percent_to_ratio(self.cleaned_data["target"], field="target")

    def clean_timeslice_target(self) -> Decimal | None:
        value = self.cleaned_data.get("timeslice_target")
        return None if value is None else percent_to_ratio(value, field="timeslice target")

    def _posted_rows(self) -> list[tuple[int, dict]]:
        rows = []
        for i in range(POLICY_MAX_ROWS + POLICY_BLANK_ROWS + 20):  # rows added in the browser count on
            values = {key: str(self.data.get(f"policy-{i}-{key}", "")).strip()[:100] for key in POLICY_FIELDS}
            if any(values[key] for key in ("long_window", "short_window", "factor")):
                rows.append((i, values))
        return rows

    def clean_alert_policy(self) -> list:
        """The posted rows in order; a row whose windows and factor are all empty is no row (removed)."""
        out = []
        for i, values in self._posted_rows():
            missing = [key.replace("_", " ") for key in ("long_window", "short_window", "factor") if not values[key]]
            if missing:
                self.row_errors.setdefault(i, []).append(f"Fill in {', '.join(missing)} (or empty the row).")
            item = {key: values[key] for key in ("severity", "long_window", "short_window", "factor")}
            item["severity"] = item["severity"] or "page"
            if values["name"]:
                item["name"] = values["name"]
            out.append(item)
        taken = {item["name"] for item in out if "name" in item}
        number = 0
        for item in out:  # unnamed rows: condition-<n> that no named row uses (a removed row leaves a gap)
            while "name" not in item:
                number += 1
                if f"condition-{number}" not in taken:
                    item["name"] = f"condition-{number}"
        if len(out) > POLICY_MAX_ROWS:
            raise forms.ValidationError(f"At most {POLICY_MAX_ROWS} conditions.")
        if self.row_errors:
            raise forms.ValidationError("Some policy rows are incomplete.")
        return out

    def policy_rows(self) -> list[PolicyRow]:
        """Rows to render: the posted ones (with their errors) or the policy's, then blank rows to add one."""
        if self.is_bound:
            rows = [PolicyRow(i, v, self.row_errors.get(i)) for i, v in self._posted_rows()]
        else:
            rows = [PolicyRow(i, item) for i, item in enumerate(self._policy)]
        start = max((r.index for r in rows), default=-1) + 1
        return rows + [PolicyRow(start + k, {"severity": "page"}) for k in range(POLICY_BLANK_ROWS)]

    def add_policy_error(self, index: int, message: str) -> None:
        """An error of the service on row ``index`` of what was posted (``alert_policy[index]``)."""
        rows = self._posted_rows()
        if 0 <= index < len(rows):
            self.row_errors.setdefault(rows[index][0], []).append(message)

    def target_ratio(self) -> str:
        """The target as the ratio the preview needs ("0.999" when the form has none)."""
        value = self.cleaned_data.get("target") if hasattr(self, "cleaned_data") else None
        return str(value) if value is not None else "0.999"

    def sli_spec(self) -> dict:
        d, kind = self.cleaned_data, self.cleaned_data.get("sli_kind")
        if kind == SliKind.RATIO:
            return {
                d.get("ratio_numerator") or "bad": d.get("ratio_numerator_selector", ""),
                "total": d.get("ratio_total_selector", ""),
            }
        if kind == SliKind.PROMQL:
            return {
                d.get("promql_numerator") or "bad": d.get("promql_numerator_query", ""),
                "total": d.get("promql_total_query", ""),
            }
        if kind == SliKind.LOG:
            return {
                "service": d.get("log_service", ""),
                "bad_query": d.get("log_bad_query", ""),
                "bad_levels": list(d.get("log_bad_levels") or []),
            }
        return {"selector": d.get("latency_selector", ""), "threshold": d.get("latency_threshold", "")}

    def cleaned_for_service(self) -> dict:
        """What ``slo_save`` takes: every field of ``SLO_FIELDS`` the form has, and the SLI from its widgets."""
        d = self.cleaned_data
        data = {key: d.get(key) for key in SLO_FIELDS if key in self.fields}
        data["timeslice_target"] = d.get("timeslice_target") or Decimal("0.99")
        data["missing_good"] = d.get("missing_good") or MissingGood.NO_DATA
        data["sli"] = self.sli_spec()
        return data

    @staticmethod
    def initial_from(slo: SLO) -> dict:
        # The same fields the service writes, less those the form edits through its own widgets.
        initial = {key: getattr(slo, key) for key in SLO_FIELDS if key not in ("service", "sli", "alert_policy")}
        initial["service"] = slo.service.name
        initial["target"] = to_percent(slo.target)
        initial["timeslice_target"] = to_percent(slo.timeslice_target)
        sli = slo.sli
        numerator = "good" if "good" in sli else "bad"
        if slo.sli_kind == SliKind.RATIO:
            initial.update(
                ratio_numerator=numerator,
                ratio_numerator_selector=sli.get(numerator, ""),
                ratio_total_selector=sli.get("total", ""),
            )
        elif slo.sli_kind == SliKind.PROMQL:
            initial.update(
                promql_numerator=numerator,
                promql_numerator_query=sli.get(numerator, ""),
                promql_total_query=sli.get("total", ""),
            )
        elif slo.sli_kind == SliKind.LOG:
            initial.update(
                log_service=sli.get("service", ""),
                log_bad_query=sli.get("bad_query", ""),
                log_bad_levels=sli.get("bad_levels", []),
            )
        else:
            initial.update(latency_selector=sli.get("selector", ""), latency_threshold=sli.get("threshold", ""))
        return initial


class ImportForm(forms.Form):
    documents = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 18, "class": "mono"}),
        help_text="OpenSLO v1, Sloth or Pyrra YAML: several documents separated by ---, or a YAML list of objects.",
    )
    dry_run = forms.BooleanField(required=False, label="Dry run (validate and report only)")
