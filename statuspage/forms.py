"""Forms of the status page admin UI (validation of shapes; rules live in the services)."""

from __future__ import annotations

from django import forms

from statuspage.choices import ComponentStatus, Recurrence, SubscriberKind
from statuspage.models import Component, ComponentGroup

LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ComponentGroupForm(forms.ModelForm):
    class Meta:
        model = ComponentGroup
        fields = ["name", "description", "position"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class ComponentForm(forms.ModelForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # SLO names repeat across services: each choice says whose SLO it is
        self.fields["slos"].queryset = self.fields["slos"].queryset.select_related("service")
        self.fields["slos"].label_from_instance = lambda slo: f"{slo.service.name} / {slo}"

    class Meta:
        model = Component
        fields = [
            "name",
            "description",
            "group",
            "position",
            "only_show_if_degraded",
            "services",
            "slos",
            "status_from_slo_burn",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        help_texts = {
            "services": "Alerts of these services are muted during the component's maintenance.",
            "slos": "Daily uptime bars use these SLOs' SLIs when they have data.",
            "only_show_if_degraded": "Hidden on the public page while operational.",
        }


class OverrideForm(forms.Form):
    status = forms.ChoiceField(choices=ComponentStatus.choices)
    reason = forms.CharField(max_length=300, required=False)
    incident = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, help_text="Ends with this incident."
    )

    def __init__(self, *args, incidents=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["incident"].choices = [("", "Until cleared by hand")] + [
            (i.pk, f"#{i.pk} {i.title}") for i in incidents
        ]


class MaintenanceForm(forms.Form):
    name = forms.CharField(max_length=200)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, help_text="Markdown, public.")
    components = forms.ModelMultipleChoiceField(queryset=Component.objects.all(), required=False)
    starts_at = forms.DateTimeField(widget=LOCAL, help_text="UTC")
    ends_at = forms.DateTimeField(widget=LOCAL, help_text="UTC")
    recurrence = forms.ChoiceField(choices=Recurrence.choices, initial=Recurrence.NONE)
    recurrence_until = forms.DateTimeField(widget=LOCAL, required=False, help_text="Last start (UTC); empty = forever.")
    set_component_status = forms.BooleanField(required=False, initial=True, label="Show components under maintenance")
    mute_alerts = forms.BooleanField(
        required=False, initial=True, label="Mute alerts of the components' services (alerts maintenance window)"
    )
    extra_matchers = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text='More alert matchers, one per line, e.g. env="prod".',
    )
    exclude_from_slo = forms.BooleanField(required=False, label="Leave the window out of SLO error budgets")
    notify_subscribers = forms.BooleanField(required=False, initial=True, label="Notify subscribers at start and end")

    def clean_extra_matchers(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["extra_matchers"].splitlines() if line.strip()]


class SubscriberForm(forms.Form):
    kind = forms.ChoiceField(choices=SubscriberKind.choices)
    email = forms.EmailField(required=False)
    url = forms.CharField(required=False, max_length=2000, label="Webhook URL")
    components = forms.ModelMultipleChoiceField(
        queryset=Component.objects.all(), required=False, help_text="None selected = all components."
    )
    allow_private = forms.BooleanField(
        required=False, label="Allow a private or loopback webhook address (admins only; internal receivers)"
    )
    confirmed = forms.BooleanField(required=False, label="Email already confirmed (skip the opt-in mail)")
