"""HTML forms of the slo app (validation of the SLI and policy stays in ``slo.services.slo_clean``)."""

from __future__ import annotations

import json

from django import forms

from slo.choices import BudgetingMethod, CalendarUnit, MissingGood, ServiceTier, SliKind, WindowKind
from slo.domain.spec import LOG_LEVELS, policy_default
from slo.models import SLO, Service
from slo.services import SLO_FIELDS

NUMERATOR = [("bad", "bad events"), ("good", "good events")]


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
    target = forms.DecimalField(
        max_digits=9, decimal_places=8, initial="0.999", help_text="Share of good events, e.g. 0.999 for 99.9%."
    )
    window_kind = forms.ChoiceField(choices=WindowKind.choices, initial=WindowKind.ROLLING)
    window_days = forms.IntegerField(min_value=1, max_value=90, initial=30, help_text="Rolling windows: days.")
    calendar_unit = forms.ChoiceField(choices=CalendarUnit.choices, initial=CalendarUnit.MONTH)
    timezone = forms.CharField(max_length=64, initial="UTC", help_text="Calendar windows start at midnight here.")
    budgeting_method = forms.ChoiceField(choices=BudgetingMethod.choices, initial=BudgetingMethod.OCCURRENCES)
    timeslice_target = forms.DecimalField(
        max_digits=9,
        decimal_places=8,
        initial="0.99",
        required=False,
        help_text="Timeslices: a minute is good when its SLI reaches this.",
    )
    sli_kind = forms.ChoiceField(choices=SliKind.choices, initial=SliKind.RATIO)
    ratio_numerator = forms.ChoiceField(choices=NUMERATOR, required=False, label="Counter counts")
    ratio_numerator_selector = forms.CharField(
        required=False, label="Counter selector", help_text='e.g. http_requests_total{service="checkout", code=~"5.."}'
    )
    ratio_total_selector = forms.CharField(
        required=False, label="Total selector", help_text='e.g. http_requests_total{service="checkout"}'
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
    )
    latency_threshold = forms.CharField(required=False, label="Threshold (seconds, a bucket boundary)")
    missing_good = forms.ChoiceField(
        choices=MissingGood.choices,
        initial=MissingGood.NO_DATA,
        required=False,
        label="Minutes with traffic but no good series",
        help_text="Good/total and latency SLIs: a good series that stops is no data, or every event is bad.",
    )
    alert_policy = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8, "class": "mono"}),
        initial=json.dumps(policy_default(), indent=2),
        help_text="Burn-rate conditions: factor, long and short window, severity.",
    )
    enabled = forms.BooleanField(required=False, initial=True)

    def clean_alert_policy(self) -> list:
        try:
            value = json.loads(self.cleaned_data["alert_policy"] or "[]")
        except ValueError as exc:
            raise forms.ValidationError(f"Not JSON: {exc}") from None
        return value

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
        d = self.cleaned_data
        data = {
            key: d[key]
            for key in (
                "service",
                "name",
                "display_name",
                "description",
                "target",
                "window_kind",
                "window_days",
                "calendar_unit",
                "timezone",
                "budgeting_method",
                "sli_kind",
                "alert_policy",
                "enabled",
            )
        }
        data["timeslice_target"] = d.get("timeslice_target") or "0.99"
        data["missing_good"] = d.get("missing_good") or MissingGood.NO_DATA
        data["sli"] = self.sli_spec()
        return data

    @staticmethod
    def initial_from(slo: SLO) -> dict:
        # The same fields the service writes, less those the form edits through its own widgets.
        initial = {key: getattr(slo, key) for key in SLO_FIELDS if key not in ("service", "sli", "alert_policy")}
        initial["service"] = slo.service.name
        initial["alert_policy"] = json.dumps(slo.alert_policy, indent=2)
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
