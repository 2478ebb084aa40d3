"""HTML forms of the alerts app. Matchers are typed one per line (``severity="critical"``)."""

from __future__ import annotations

from django import forms

from alerts.choices import ReceiverKind, Recurrence
from alerts.domain.matchers import MatcherError, parse_matchers
from alerts.models import Receiver, Route


def lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class MatchersField(forms.CharField):
    """Textarea of matchers, one per line; cleaned to a list of matcher strings."""

    widget = forms.Textarea(attrs={"rows": 3, "class": "mono", "placeholder": 'severity="critical"\nteam=~"db|ops"'})

    def clean(self, value):
        value = super().clean(value)
        items = lines(value)
        try:
            parse_matchers(items)
        except MatcherError as exc:
            raise forms.ValidationError(str(exc)) from None
        return items


class LabelsField(forms.CharField):
    """``name=value`` per line -> dict."""

    widget = forms.Textarea(
        attrs={"rows": 4, "class": "mono", "placeholder": "alertname=HighLatency\nseverity=critical"}
    )

    def clean(self, value):
        value = super().clean(value)
        out = {}
        for line in lines(value):
            name, sep, val = line.partition("=")
            if not sep or not name.strip():
                raise forms.ValidationError(f"Write name=value, not {line!r}.")
            out[name.strip()] = val.strip().strip('"')
        return out


class SilenceForm(forms.Form):
    matchers = MatchersField(help_text='One per line: name="value", name!="value", name=~"regex", name!~"regex".')
    duration_hours = forms.FloatField(min_value=0.05, max_value=24 * 90, initial=2, label="Duration (hours)")
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, help_text="Why? (required)")

    def api_matchers(self) -> list[dict]:
        out = []
        for matcher in parse_matchers(self.cleaned_data["matchers"]):
            out.append(
                {"name": matcher.name, "value": matcher.value, "isRegex": matcher.is_regex, "isEqual": matcher.is_equal}
            )
        return out


class RouteForm(forms.ModelForm):
    matchers = MatchersField(required=False)
    group_by_text = forms.CharField(
        required=False,
        label="Group by",
        help_text="Comma-separated label names, '...' for all labels; empty inherits from the parent.",
    )
    mute_text = forms.CharField(required=False, label="Mute time intervals", help_text="Comma-separated names.")
    active_text = forms.CharField(required=False, label="Active time intervals", help_text="Comma-separated names.")

    class Meta:
        model = Route
        fields = [
            "parent",
            "position",
            "name",
            "receiver",
            "continue_matching",
            "group_wait",
            "group_interval",
            "repeat_interval",
        ]
        help_texts = {
            "group_wait": "Seconds; empty inherits.",
            "group_interval": "Seconds; empty inherits.",
            "repeat_interval": "Seconds; empty inherits.",
            "continue_matching": "Keep matching later siblings after this route matches.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        route = self.instance
        if route.pk:
            self.fields["parent"].queryset = Route.objects.exclude(pk=route.pk)
            self.initial["matchers"] = "\n".join(route.matchers or [])
            self.initial["group_by_text"] = ", ".join(route.group_by) if route.group_by is not None else ""
            self.initial["mute_text"] = ", ".join(route.mute_time_intervals or [])
            self.initial["active_text"] = ", ".join(route.active_time_intervals or [])

    @staticmethod
    def _names(text: str) -> list[str]:
        return [n.strip() for n in (text or "").split(",") if n.strip()]

    def service_data(self) -> dict:
        data = {k: self.cleaned_data[k] for k in self.Meta.fields}
        data["matchers"] = self.cleaned_data["matchers"]
        group_by = self.cleaned_data["group_by_text"].strip()
        data["group_by"] = self._names(group_by) if group_by else None
        data["mute_time_intervals"] = self._names(self.cleaned_data["mute_text"])
        data["active_time_intervals"] = self._names(self.cleaned_data["active_text"])
        return data


class RouteTestForm(forms.Form):
    labels = LabelsField(label="Labels")


class ImportForm(forms.Form):
    yaml = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12, "class": "mono"}),
        label="Alertmanager configuration (YAML)",
        help_text=(
            "Its route:, inhibit_rules: and time_intervals: replace the current ones. Receivers are matched by name."
        ),
    )


class ReceiverForm(forms.ModelForm):
    routing_key = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="PagerDuty integration (routing) key. Stored encrypted; leave empty to keep the current one.",
    )
    secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Webhook signing secret (X-SRE-Signature). Stored encrypted; leave empty to keep the current one.",
    )
    kind = forms.ChoiceField(choices=ReceiverKind.choices)

    class Meta:
        model = Receiver
        fields = ["name", "kind", "url", "email_to", "send_resolved", "timeout_seconds"]


class MaintenanceWindowForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    starts_at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    recurrence = forms.ChoiceField(choices=Recurrence.choices, initial=Recurrence.NONE)
    recurrence_until = forms.DateTimeField(required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    matchers = MatchersField(required=False, help_text="Alerts matching these are muted during the window.")
    routes = forms.ModelMultipleChoiceField(queryset=Route.objects.all(), required=False, help_text="Routes muted.")
    exclude_from_slo = forms.BooleanField(
        required=False, label="Exclude from SLOs", help_text="Leave this window's time out of SLO error budgets."
    )
