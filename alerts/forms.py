"""HTML forms of the alerts app. Matchers are typed one per line (``severity="critical"``)."""

from __future__ import annotations

import yaml
from django import forms

from alerts.choices import GroupState, ReceiverKind, Recurrence
from alerts.domain.matchers import MatcherError, parse_matchers, valid_label_name
from alerts.domain.triage import SEVERITIES, SORTS
from alerts.models import InhibitRule, Receiver, Route, TimeInterval
from sre.yaml_input import yaml_load


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


class InhibitRuleForm(forms.Form):
    """Alertmanager ``inhibit_rules`` entry: matchers one per line, ``equal`` comma-separated."""

    source_matchers = MatchersField(help_text="While an alert matching all of these fires… (one per line)")
    target_matchers = MatchersField(help_text="…alerts matching all of these are muted (one per line).")
    equal = forms.CharField(
        required=False,
        help_text="Comma-separated label names that must have the same value on source and target, e.g. "
        "cluster, service. Empty: any source mutes every target.",
    )

    def __init__(self, *args, rule: InhibitRule | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if rule is not None and not self.is_bound:
            self.initial.update(
                source_matchers="\n".join(rule.source_matchers),
                target_matchers="\n".join(rule.target_matchers),
                equal=", ".join(rule.equal),
            )

    def clean_equal(self) -> list[str]:
        names = [n.strip() for n in self.cleaned_data["equal"].split(",") if n.strip()]
        bad = [n for n in names if not valid_label_name(n)]
        if bad:
            raise forms.ValidationError(f"Not label names: {', '.join(bad)}.")
        return names

    def service_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("source_matchers", "target_matchers", "equal")}


TIME_INTERVAL_EXAMPLE = """- weekdays: ['saturday', 'sunday']
- weekdays: ['monday:friday']
  times:
    - start_time: '22:00'
      end_time: '24:00'
  location: Europe/Berlin"""


def entries_yaml(entries: list[dict]) -> str:
    """A time interval's entries as the YAML an Alertmanager configuration holds (shown, and edited)."""
    return yaml.safe_dump(entries, sort_keys=False, default_flow_style=None, allow_unicode=True)


class TimeIntervalForm(forms.Form):
    """A named Alertmanager time interval; its entries are typed as the YAML list Alertmanager takes under
    ``time_intervals:`` (times, weekdays, days_of_month, months, years, location)."""

    name = forms.CharField(max_length=100, help_text="Routes refer to the interval by this name.")
    entries = forms.CharField(
        max_length=20_000,
        label="Entries (YAML)",
        widget=forms.Textarea(attrs={"rows": 8, "class": "mono", "placeholder": TIME_INTERVAL_EXAMPLE}),
        help_text="A YAML list; the interval is active when any entry matches, and an entry matches when all "
        "of its fields do.",
    )

    def __init__(self, *args, interval: TimeInterval | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if interval is not None and not self.is_bound:
            text = entries_yaml(interval.entries)
            self.initial.update(name=interval.name, entries=text)

    def clean_entries(self) -> list[dict]:
        try:
            entries = yaml_load(self.cleaned_data["entries"])
        except yaml.YAMLError as exc:
            raise forms.ValidationError(f"Not valid YAML: {str(exc).splitlines()[0]}") from None
        if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
            raise forms.ValidationError("Write a YAML list of entries, each starting with “- ”.")
        return entries


class TriageFilterForm(forms.Form):
    """The alert list's filters, read from the query string (so a link reproduces the view). Values that are not
    offered fall back to the default instead of failing: an old bookmark still opens the list."""

    state = forms.MultipleChoiceField(choices=GroupState.choices, required=False)
    labels = forms.CharField(required=False, max_length=2000)
    receiver = forms.CharField(required=False, max_length=100)
    severity = forms.ChoiceField(choices=[("", "any")] + [(s, s) for s in SEVERITIES], required=False)
    service = forms.CharField(required=False, max_length=200)
    sort = forms.ChoiceField(choices=[(s, s) for s in SORTS], required=False)
    show = forms.TypedChoiceField(choices=[(n, str(n)) for n in (50, 200, 500)], coerce=int, required=False)

    OPEN_STATES = (GroupState.FIRING, GroupState.ACKNOWLEDGED, GroupState.SILENCED)

    def filters(self) -> dict:
        """Cleaned filters; a field with a bad value takes its default."""
        self.is_valid()
        data = {name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors}
        return {
            "states": list(data.get("state") or self.OPEN_STATES),
            "labels": (data.get("labels") or "").strip(),
            "receiver": data.get("receiver") or "",
            "severity": data.get("severity") or "",
            "service": data.get("service") or "",
            "sort": data.get("sort") or "severity",
            "show": data.get("show") or 50,
        }


class IdListField(forms.Field):
    """Repeated ``name=<id>`` values -> distinct positive ints in the order given. Any id is accepted here: the
    services say which groups exist (a vanished group is skipped with its reason)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        # ASCII digits only: str.isdigit() also takes "²" (int() then fails: a 500) and "١" (read as 1).
        if any(not (str(v).isascii() and str(v).isdigit()) or len(str(v)) > 18 for v in values):
            raise forms.ValidationError("Group ids are whole numbers.")
        return list(dict.fromkeys(int(v) for v in values))


BULK_ACTIONS = (("acknowledge", "Acknowledge"), ("silence", "Silence"), ("resolve", "Resolve"))


class BulkActionForm(forms.Form):
    """Acknowledge, silence or resolve the chosen groups (checkboxes named ``group``) from the alert list."""

    action = forms.ChoiceField(choices=BULK_ACTIONS)
    group = IdListField(error_messages={"required": "Choose at least one group first."})
    duration_hours = forms.FloatField(min_value=0.05, max_value=24 * 90, initial=2, required=False)
    comment = forms.CharField(max_length=2000, required=False)
    next = forms.CharField(required=False, max_length=4000)

    MAX_GROUPS = 200

    def clean_group(self) -> list[int]:
        ids = self.cleaned_data["group"]
        if len(ids) > self.MAX_GROUPS:
            raise forms.ValidationError(f"At most {self.MAX_GROUPS} groups at once.")
        return ids
