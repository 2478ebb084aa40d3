"""Forms of the rules pages. They collect what was typed; ``rules.services.rules.rule_clean`` checks it (the same
checks as the API), so a page and the API refuse the same rules with the same messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict

from rules.choices import Comparison, RuleKind, RuleSource
from rules.domain.checks import LOG_GROUP_LABELS, LOG_LEVELS
from rules.models import AlertRule
from sre.domain.durations import format_duration

DURATION_HELP = "Seconds, or a duration such as 30s, 5m, 1h30m."
MAX_FILE_BYTES = 1024 * 1024
# Which kinds of rule use each field: the editor shows only those (rules.js); the service ignores the rest.
FIELD_KINDS = {
    "source": "metric",
    "expr": "metric",
    "log_service": "log_count log_line",
    "log_levels": "log_count log_line",
    "log_text": "log_count",
    "log_pattern": "log_line",
    "log_group_by": "log_count",
    "window_seconds": "log_count",
    "comparison": "log_count",
    "threshold": "log_count",
    "for_seconds": "metric log_count",
}
DURATIONS = ("window_seconds", "for_seconds", "keep_firing_for_seconds")
PAIRS = ("labels", "annotations")


def _mono(rows: int | None = None, **attrs: str) -> dict[str, str]:
    out = {"class": "mono", "spellcheck": "false", "autocomplete": "off", **attrs}
    if rows:
        out["rows"] = str(rows)
    return out


class RuleForm(forms.Form):
    name = forms.CharField(
        max_length=200,
        help_text="The alertname of its alerts: letters, digits, _ and : (not first a digit).",
        widget=forms.TextInput(attrs=_mono(placeholder="HighErrorRate")),
    )
    group = forms.CharField(max_length=200, required=False, initial="default", help_text="As in a rule file.")
    kind = forms.ChoiceField(choices=RuleKind.choices, initial=RuleKind.METRIC)
    source = forms.ChoiceField(choices=RuleSource.choices, initial=RuleSource.LOCAL, label="Runs on")
    expr = forms.CharField(
        required=False,
        label="PromQL expression",
        widget=forms.Textarea(
            attrs=_mono(4, placeholder='sum by (service) (rate(http_requests_total{code=~"5.."}[5m])) > 1')
        ),
        help_text="Each series the expression returns is an alert. Put the threshold in the expression.",
    )
    log_service = forms.CharField(max_length=100, required=False, label="Service", help_text="Exact; blank: all.")
    log_levels = forms.MultipleChoiceField(
        choices=[(v, v) for v in LOG_LEVELS], required=False, widget=forms.CheckboxSelectMultiple, label="Levels"
    )
    log_text = forms.CharField(max_length=500, required=False, label="Words in the message")
    log_pattern = forms.CharField(
        max_length=500,
        required=False,
        label="Pattern",
        widget=forms.TextInput(attrs=_mono(placeholder="panic|out of memory")),
        help_text="RE2, searched in each message as it is ingested.",
    )
    log_group_by = forms.MultipleChoiceField(
        choices=[(v, v) for v in LOG_GROUP_LABELS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Count per",
        help_text="An alert for each; none: one count.",
    )
    window_seconds = forms.CharField(required=False, initial="5m", label="Window", help_text="Whole minutes.")
    comparison = forms.ChoiceField(choices=Comparison.choices, initial=Comparison.GT, label="Fires when the count is")
    threshold = forms.CharField(required=False, initial="0", widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    for_seconds = forms.CharField(
        required=False, initial="0s", label="For", help_text="How long it holds before it fires. " + DURATION_HELP
    )
    keep_firing_for_seconds = forms.CharField(
        required=False, label="Keep firing for", help_text="After it stops holding. " + DURATION_HELP
    )
    enabled = forms.BooleanField(required=False, initial=True, help_text="Disabled rules are not evaluated.")

    @staticmethod
    def initial_of(rule: AlertRule) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(rule, name) for name in RuleForm.base_fields}
        for name in DURATIONS:
            initial[name] = format_duration(getattr(rule, name))
        initial["threshold"] = f"{rule.threshold:g}"
        return initial

    def service_data(self, pairs: dict[str, dict[str, str]]) -> dict[str, Any]:
        """What the service takes: the fields the kind uses (a hidden field cannot refuse a save), durations of only
        digits as seconds, blanks left to its defaults. Log rules run on the local log store."""
        data = dict(self.cleaned_data)
        for name, kinds in FIELD_KINDS.items():
            if data["kind"] not in kinds.split():
                data[name] = "" if name in (*DURATIONS, "threshold") else None
        data = {k: v for k, v in data.items() if v is not None}
        if data["kind"] != RuleKind.METRIC:
            data["source"] = RuleSource.LOCAL
        for name in DURATIONS:
            text = data.pop(name).strip()
            if text:
                data[name] = int(text) if text.isdigit() else text
        threshold = data.pop("threshold").strip()
        if threshold or data["kind"] == RuleKind.LOG_COUNT:
            data["threshold"] = threshold
        return {**data, **pairs}


def pairs_from(data: QueryDict, prefix: str) -> tuple[list[tuple[str, str]], dict[str, str], str]:
    """The rows of a key/value editor (``<prefix>-key`` and ``<prefix>-value`` inputs, in order): the rows as typed,
    the mapping, and what is wrong with them ("" when nothing). Rows with neither key nor value are skipped."""
    keys, values = data.getlist(f"{prefix}-key"), data.getlist(f"{prefix}-value")
    rows = [(k.strip(), v) for k, v in zip(keys, values + [""] * (len(keys) - len(values)), strict=False)]
    rows = [(k, v) for k, v in rows if k or v.strip()]
    out: dict[str, str] = {}
    for key, value in rows:
        if not key:
            return rows, out, f"The value {value.strip()!r} needs a name."
        if key in out:
            return rows, out, f"{key!r} is given twice."
        out[key] = value
    return rows, out, ""


class RuleImportForm(forms.Form):
    text = forms.CharField(
        required=False,
        label="Rule file",
        widget=forms.Textarea(attrs=_mono(16, placeholder="groups:\n  - name: api\n    rules:\n      - alert: …")),
        help_text="Paste a Prometheus rule file, or upload one below.",
    )
    file = forms.FileField(required=False, label="…or upload it", help_text="YAML, at most 1 MB.")
    source = forms.ChoiceField(
        choices=RuleSource.choices,
        initial=RuleSource.LOCAL,
        label="Expressions run on",
        help_text="Stored metrics need the PromQL subset this product evaluates; Prometheus takes any PromQL.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        upload = data.get("file")
        if upload is not None:
            if upload.size > MAX_FILE_BYTES:
                raise forms.ValidationError("The file is larger than 1 MB.")
            try:
                data["text"] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                raise forms.ValidationError("The file is not UTF-8 text.") from None
        if not (data.get("text") or "").strip():
            raise forms.ValidationError("Paste a rule file or choose one to upload.")
        return data


STATE_CHOICES = [
    ("", "Any state"),
    ("firing", "Firing"),
    ("pending", "Pending"),
    ("error", "Erroring"),
    ("ok", "OK"),
    ("disabled", "Disabled"),
]


class RuleFilterForm(forms.Form):
    """The list's filters, read from the URL (so a filtered list can be linked to)."""

    q = forms.CharField(required=False, max_length=200, label="Name")
    kind = forms.ChoiceField(choices=[("", "Any kind"), *RuleKind.choices], required=False)
    state = forms.ChoiceField(choices=STATE_CHOICES, required=False)
    group = forms.ChoiceField(choices=[("", "Any group")], required=False)

    def __init__(self, *args: Any, groups: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [("", "Any group"), *((g, g) for g in groups)]
