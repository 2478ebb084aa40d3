"""HTML forms of the heartbeats app. They read what people type (durations as ``1d``, ``90m``; labels one
``name=value`` a line); every rule is checked by ``heartbeats.services.checks`` and its errors shown on the field."""

from __future__ import annotations

from typing import Any

from django import forms

from heartbeats.choices import ScheduleKind
from heartbeats.models import Check
from sre.domain.durations import format_duration, parse_duration

DURATION_HELP = "e.g. 5m, 1h, 1d, 1h30m (at least 1m, at most 365d)."
# Service errors name API fields; the form's own names for them.
FIELD_OF = {"period_seconds": "period", "grace_seconds": "grace"}


def _seconds(value: str, name: str) -> int:
    if not value.strip():
        raise forms.ValidationError(f"The {name} is required.", code="required")
    try:
        return parse_duration(value)
    except ValueError:
        raise forms.ValidationError(f"Not a duration: {DURATION_HELP}", code="invalid") from None


class CheckForm(forms.Form):
    name = forms.CharField(max_length=100)
    slug = forms.CharField(
        max_length=100, required=False, help_text="The alerts' heartbeat label. Empty: made from the name."
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    schedule_kind = forms.ChoiceField(
        label="Schedule", choices=ScheduleKind.choices, initial=ScheduleKind.PERIOD, widget=forms.RadioSelect
    )
    period = forms.CharField(
        max_length=20, required=False, initial="1d", help_text="Expected time between pings: " + DURATION_HELP
    )
    cron = forms.CharField(
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"class": "mono", "placeholder": "0 3 * * *"}),
        help_text="minute hour day-of-month month day-of-week, or @daily, @hourly, …",
    )
    timezone = forms.CharField(
        max_length=64,
        initial="UTC",
        widget=forms.TextInput(attrs={"list": "hb-zones", "autocomplete": "off"}),
        help_text="The cron expression's time zone (IANA name, e.g. Europe/Berlin).",
    )
    grace = forms.CharField(
        label="Grace time",
        max_length=20,
        initial="1h",
        help_text="How late a ping may be before the alert: " + DURATION_HELP,
    )
    severity = forms.CharField(max_length=50, initial="critical", help_text="The alert's severity label.")
    service = forms.CharField(max_length=100, required=False, help_text="The alert's service label (optional).")
    team = forms.CharField(
        max_length=100, required=False, help_text="The alert's team label (optional): an on-call team's slug."
    )
    labels = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "mono", "placeholder": "env=prod"}),
        help_text="More labels for the alert, one name=value a line.",
    )

    @classmethod
    def initial_of(cls, check: Check) -> dict[str, Any]:
        return {
            "name": check.name,
            "slug": check.slug,
            "description": check.description,
            "schedule_kind": check.schedule_kind,
            "period": format_duration(check.period_seconds),
            "cron": check.cron,
            "timezone": check.timezone,
            "grace": format_duration(check.grace_seconds),
            "severity": check.severity,
            "service": check.service,
            "team": check.team,
            "labels": "\n".join(f"{name}={value}" for name, value in sorted((check.labels or {}).items())),
        }

    def clean_grace(self) -> int:
        return _seconds(self.cleaned_data["grace"], "grace time")

    def clean_labels(self) -> dict[str, str]:
        labels: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data["labels"].splitlines(), start=1):
            if not line.strip():
                continue
            name, sep, value = line.partition("=")
            if not sep:
                raise forms.ValidationError(f"Line {number}: expected name=value.", code="invalid")
            labels[name.strip()] = value.strip()
        return labels

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("schedule_kind") == ScheduleKind.PERIOD:
            try:
                data["period"] = _seconds(data.get("period") or "", "period")
            except forms.ValidationError as exc:
                self.add_error("period", exc)
        return data

    def cleaned_for_service(self) -> dict[str, Any]:
        data = self.cleaned_data
        out = {
            "name": data["name"],
            "slug": data["slug"],
            "description": data["description"],
            "schedule_kind": data["schedule_kind"],
            "cron": data["cron"],
            "timezone": data["timezone"],
            "grace_seconds": data["grace"],
            "severity": data["severity"],
            "service": data["service"],
            "team": data["team"],
            "labels": data["labels"],
        }
        if data["schedule_kind"] == ScheduleKind.PERIOD:
            out["period_seconds"] = data["period"]
        return out

    def add_service_errors(self, fields: dict[str, list[str]], message: str) -> None:
        """Show a service's ``InvalidInputError`` on the fields it names (the form-wide error otherwise)."""
        shown = False
        for name, errors in fields.items():
            field = FIELD_OF.get(name, name)
            if field in self.fields:
                for error in errors:
                    self.add_error(field, error)
                shown = True
        if not shown:
            self.add_error(None, message)
