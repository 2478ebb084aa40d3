"""Forms of the incidents pages. Datetimes are read in the viewer's time zone (activated by the views)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from incidents.choices import (
    ActionItemPriority,
    ActionItemStatus,
    IncidentStatus,
    PublicImpact,
    Severity,
    TimelineKind,
    UpdateVisibility,
)
from incidents.domain.lifecycle import TIMESTAMP_FIELDS
from incidents.selectors import severity_levels
from incidents.services.updates import PUBLIC_TITLE_NEEDED
from slo.models import Service
from sre.domain.timewords import enum_words
from sre.formrender import FastWidgetRenderer
from statuspage.choices import ComponentStatus
from statuspage.models import Component

LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class FastForm(forms.Form):
    """Widgets written in Python (same HTML as Django's templates): the incident page draws ~50 of them."""

    default_renderer = FastWidgetRenderer()


def _users():
    return get_user_model().objects.filter(is_active=True).order_by("username")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_username()


def _severity_choices() -> list[tuple[str, str]]:

    levels = severity_levels()
    return [(key, levels[key].label if key in levels else label) for key, label in Severity.choices]


def _public_title(
    help_text: str = "What customers see on the status page, instead of the internal title. Needed before the first "
    "public update.",
) -> forms.CharField:
    """The public title as every incident form asks for it (the service strips it; 200 characters at most)."""
    return forms.CharField(max_length=200, required=False, label="Public title", help_text=help_text)


class IncidentForm(FastForm):
    """Declare an incident by hand (the status page admin prefills it for a component an SLO burn degraded:
    ``component`` and ``impact``)."""

    title = forms.CharField(max_length=200, label="Internal title")
    public_title = _public_title()
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.SEV3)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="Markdown.")
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.order_by("name"), required=False, to_field_name="name",
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )  # fmt: skip
    started_at = forms.DateTimeField(
        required=False, widget=LOCAL, input_formats=DATETIME_FORMATS, help_text="Leave empty for now."
    )
    commander = UserChoiceField(queryset=_users(), required=False, help_text="Defaults to whoever acknowledges.")
    component = forms.ModelChoiceField(
        queryset=Component.objects.order_by("name"),
        required=False,
        label="Affected component",
        help_text="Shown on the status page with the impact below.",
    )
    impact = forms.ChoiceField(
        choices=ComponentStatus.choices, initial=ComponentStatus.DEGRADED_PERFORMANCE, required=False
    )
    public_update = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=50000,
        required=False,
        label="First public update (Markdown)",
        help_text="Posted to the status page with the incident (it needs the public title). Leave empty to keep "
        "the incident internal for now.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["severity"].choices = _severity_choices()
        self.fields["commander"].queryset = _users()
        self.fields["impact"].choices = [(v, enum_words(v)) for v in ComponentStatus.values if v != "operational"]

    def clean(self):
        data = super().clean()
        if (data.get("public_update") or "").strip() and not (data.get("public_title") or "").strip():
            self.add_error("public_title", PUBLIC_TITLE_NEEDED)
        return data


class FromGroupForm(FastForm):
    title = forms.CharField(max_length=200, label="Internal title", help_text="From the alert: never shown publicly.")
    public_title = _public_title(
        "What customers will see on the status page (you can also set it with the first public update)."
    )
    severity = forms.ChoiceField(choices=Severity.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["severity"].choices = _severity_choices()


class IncidentEditForm(FastForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    title = forms.CharField(max_length=200, label="Internal title")
    public_title = _public_title()
    severity = forms.ChoiceField(choices=Severity.choices)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.order_by("name"), required=False, widget=forms.SelectMultiple(attrs={"size": 5})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["severity"].choices = _severity_choices()


class TransitionForm(FastForm):
    version = forms.IntegerField(min_value=1, required=False)
    status = forms.ChoiceField(choices=IncidentStatus.choices)
    note = forms.CharField(max_length=2000, required=False)


class ResolveForm(FastForm):
    """Resolving asks for the final public update (posted as resolved); once customers were told about the
    incident, resolving without one needs ``confirm_without_public``."""

    version = forms.IntegerField(min_value=1, required=False)
    note = forms.CharField(max_length=2000, required=False, label="Internal note")
    public_body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=50000,
        required=False,
        label="Final public update (Markdown)",
        help_text="Posted to the status page as resolved. Leave empty to resolve without telling customers.",
    )
    public_title = _public_title("")
    confirm_without_public = forms.BooleanField(required=False, label="Resolve without a final public update")


class RolesForm(FastForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    commander = UserChoiceField(queryset=_users(), required=False, empty_label="— unassigned —")
    communications_lead = UserChoiceField(queryset=_users(), required=False, empty_label="— unassigned —")
    scribe = UserChoiceField(queryset=_users(), required=False, empty_label="— unassigned —")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("commander", "communications_lead", "scribe"):
            self.fields[name].queryset = _users()


class TimestampsForm(FastForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    started_at = forms.DateTimeField(widget=LOCAL, input_formats=DATETIME_FORMATS)
    detected_at = forms.DateTimeField(widget=LOCAL, input_formats=DATETIME_FORMATS, required=False)
    acknowledged_at = forms.DateTimeField(widget=LOCAL, input_formats=DATETIME_FORMATS, required=False)
    mitigated_at = forms.DateTimeField(widget=LOCAL, input_formats=DATETIME_FORMATS, required=False)
    resolved_at = forms.DateTimeField(widget=LOCAL, input_formats=DATETIME_FORMATS, required=False)
    closed_at = forms.DateTimeField(widget=LOCAL, input_formats=DATETIME_FORMATS, required=False)

    def changed_values(self, incident) -> dict:
        """Only the fields whose minute changed (the inputs have minute precision)."""
        out = {}
        for name in TIMESTAMP_FIELDS:
            new = self.cleaned_data.get(name)
            old = getattr(incident, name)
            old_minute = old.replace(second=0, microsecond=0) if old else None
            if new != old_minute:
                out[name] = new
        return out


class NoteForm(FastForm):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=50000, label="Note (Markdown)")


class StatusUpdateForm(FastForm):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=50000, label="Update (Markdown)")
    visibility = forms.ChoiceField(choices=UpdateVisibility.choices, initial=UpdateVisibility.INTERNAL)
    status = forms.ChoiceField(choices=[("", "— keep status —"), *IncidentStatus.choices], required=False)
    public_title = _public_title(
        "Required for a public update while the incident has none: customers see it instead of the internal title."
    )


class ComponentsForm(FastForm):
    """One select per component: not affected, or its impact."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, components=None, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.components = list(components if components is not None else Component.objects.order_by("name"))
        current = current or {}
        choices = [("", "Not affected"), *ComponentStatus.choices]
        for component in self.components:
            self.fields[f"c{component.pk}"] = forms.ChoiceField(
                choices=choices, required=False, label=component.name, initial=current.get(component.pk, "")
            )

    def impacts(self) -> list[tuple[Component, str]]:
        return [(c, self.cleaned_data[f"c{c.pk}"]) for c in self.components if self.cleaned_data.get(f"c{c.pk}")]


class LinkGroupForm(FastForm):
    group_id = forms.IntegerField(min_value=1, label="Alert group id")


class LinkToIncidentForm(FastForm):
    """The alert group page links its group to an open incident chosen from the search."""

    incident = forms.IntegerField(min_value=1)


class TimelineFilterForm(FastForm):
    kind = forms.MultipleChoiceField(choices=TimelineKind.choices, required=False, widget=forms.CheckboxSelectMultiple)


class PostmortemForm(FastForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 30}), required=False, strip=False, max_length=500000)


class ActionItemForm(FastForm):
    title = forms.CharField(max_length=300)
    owner = UserChoiceField(queryset=_users(), required=False)
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    priority = forms.ChoiceField(choices=ActionItemPriority.choices, initial=ActionItemPriority.P2)
    link = forms.URLField(max_length=500, required=False, assume_scheme="https")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _users()


class ActionItemStatusForm(FastForm):
    status = forms.ChoiceField(choices=ActionItemStatus.choices)


class SeverityLevelForm(FastForm):
    label = forms.CharField(max_length=50)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    public_impact = forms.ChoiceField(choices=PublicImpact.choices)


class PolicyForm(FastForm):
    name = forms.CharField(max_length=100)
    matchers = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2, "class": "mono"}),
        help_text="Alert label matchers, one per line, e.g. severity=page or slo=~.+ (all must match).",
    )
    max_service_tier = forms.TypedChoiceField(
        label="Service tier at most",
        choices=[("", "any service"), (1, "tier 1"), (2, "tier 1–2"), (3, "tier 1–3")],
        coerce=int,
        empty_value=None,
        required=False,
    )
    severity = forms.ChoiceField(label="Opens as", choices=Severity.choices)
    position = forms.IntegerField(min_value=0, initial=0, required=False)
    enabled = forms.BooleanField(required=False, initial=True)

    def clean_matchers(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["matchers"].splitlines() if line.strip()]
