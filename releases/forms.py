"""Forms of the Releases pages. They check the shape of what was typed and hand plain values to the services,
which hold every rule (``releases.services``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms

from slo.models import Service


class OverrideForm(forms.Form):
    reason = forms.CharField(
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 20}),
        help_text="Why releases may go out despite the freeze (recorded in the audit trail).",
    )
    hours = forms.FloatField(
        min_value=0.25, max_value=24 * 30, initial=4, label="For (hours)", help_text="The override then expires."
    )

    def expires_at(self, *, now: dt.datetime) -> dt.datetime:
        return now + dt.timedelta(hours=self.cleaned_data["hours"])


class ThresholdsField(forms.CharField):
    """Comma-separated percentages, e.g. ``80, 95, 100``: a list of Decimals (the service checks the values)."""

    def to_python(self, value: Any) -> list[Decimal]:
        text = super().to_python(value)
        out = []
        for part in [p.strip().rstrip("%") for p in text.split(",") if p.strip()]:
            try:
                out.append(Decimal(part))
            except InvalidOperation:
                raise forms.ValidationError(f"{part!r} is not a number.") from None
        return out


class PolicyForm(forms.Form):
    thresholds = ThresholdsField(
        initial="80, 95, 100", help_text="Percent of the error budget consumed; each sends one notice per window."
    )
    freeze_on_exhaustion = forms.BooleanField(
        required=False, initial=True, label="Freeze releases when the budget is spent (the deploy gate denies)"
    )
    release_burn_factor = forms.DecimalField(
        min_value=1, max_value=1000, decimal_places=2, initial=10, label="Release burn factor (×)"
    )
    release_watch_minutes = forms.IntegerField(min_value=1, max_value=1440, initial=60, label="Watch (minutes)")
    release_min_bad_events = forms.IntegerField(
        min_value=1, max_value=1_000_000, initial=10, label="Minimum bad events", help_text="Fewer never fire."
    )

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.fields if name in PolicyForm.base_fields}


class ServicePolicyForm(PolicyForm):
    rollback_webhook_url = forms.CharField(
        required=False, max_length=500, label="Rollback webhook URL", help_text="Called once when a release burns."
    )
    rollback_webhook_secret = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False),
        label="Webhook signing secret",
        help_text="X-SRE-Signature: sha256=HMAC. Stored encrypted; leave empty to keep the current one.",
    )
    remove_secret = forms.BooleanField(required=False, label="Remove the signing secret")

    def service_data(self) -> dict[str, Any]:
        data = super().service_data()
        data["rollback_webhook_url"] = self.cleaned_data["rollback_webhook_url"].strip()
        return data


class DeploymentForm(forms.Form):
    service = forms.ModelChoiceField(queryset=Service.objects.order_by("name"), to_field_name="name")
    version = forms.CharField(max_length=200)
    url = forms.CharField(required=False, max_length=500, label="Link", help_text="The release or pipeline (http/s).")
    description = forms.CharField(
        required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 2, "cols": 20})
    )
