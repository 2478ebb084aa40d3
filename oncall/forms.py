"""Forms of the On call pages. They check the shape of what was typed and turn it into the plain data the
services take (``*_data`` methods); every rule about what is allowed lives in ``oncall.services``."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from django import forms
from django.utils import timezone

from alerts.models import Route
from oncall.choices import ContactKind, DeliveryState, Rotation, RuleKind, StepKind
from oncall.models import EscalationPolicy, Schedule, Team
from oncall.selectors import people_options, user_label

WEEKDAY_CHOICES = [(str(n), name) for n, name in enumerate(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))]
ZONE_CHOICES = [(z, z) for z in sorted(available_timezones())]
SEVERITY_CHOICES = [("critical", "critical"), ("warning", "warning"), ("info", "info")]


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return user_label(obj)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return user_label(obj)


def _hhmm(value: Any) -> str:
    return value.strftime("%H:%M")


def _weekdays(value: list[str]) -> list[int]:
    return sorted(int(d) for d in value)


class ZonedForm(forms.Form):
    """Date-times typed as wall-clock times in the schedule's zone (``time_zone``), which the page names."""

    def __init__(self, *args: Any, time_zone: str = "UTC", **kwargs: Any) -> None:
        self.time_zone = time_zone
        super().__init__(*args, **kwargs)

    def full_clean(self) -> None:
        with timezone.override(ZoneInfo(self.time_zone)):
            super().full_clean()


def local_datetime_field(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


# Schedules


class ScheduleForm(forms.ModelForm):
    """A schedule's own fields; the model's constraints (a unique name) are checked here, the zone by the service."""

    time_zone = forms.ChoiceField(choices=ZONE_CHOICES, initial="UTC", help_text="Shifts are drawn and typed in it.")
    fallback = PersonChoiceField(
        queryset=people_options(), required=False, help_text="Covers every gap (gaps are still shown as warnings)."
    )

    class Meta:
        model = Schedule
        fields = ["name", "team", "time_zone", "fallback"]

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class LayerForm(forms.Form):
    name = forms.CharField(max_length=100, required=False)
    level = forms.IntegerField(initial=0, help_text="Where layers overlap, the higher level wins.")
    rotation = forms.ChoiceField(choices=Rotation.choices, initial=Rotation.WEEKS, label="Shift length unit")
    every = forms.IntegerField(min_value=1, max_value=10_000, initial=1, label="Every", help_text="Shift length.")
    start_date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), help_text="Local date of the first handoff."
    )
    handoff_time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"), initial="09:00")
    end_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="Optional: the layer stops then."
    )


class ParticipantForm(forms.Form):
    user = PersonChoiceField(queryset=people_options(), label="Person")


class RestrictionForm(forms.Form):
    weekdays = forms.MultipleChoiceField(choices=WEEKDAY_CHOICES, widget=forms.CheckboxSelectMultiple, label="Days")
    start = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    end = forms.TimeField(
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"), help_text="Before start: overnight."
    )


# One blank row at the end of each list (filled or left alone; ``static/js/oncall.js`` adds more).
ParticipantFormSet = forms.formset_factory(ParticipantForm, extra=1, can_delete=True)
RestrictionFormSet = forms.formset_factory(RestrictionForm, extra=1, can_delete=True)


def _kept(formset: forms.BaseFormSet) -> list[forms.Form]:
    """Rows that say something (filled, not marked for removal), in page order."""
    return [f for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]


def layer_data(form: LayerForm, participants: forms.BaseFormSet, restrictions: forms.BaseFormSet) -> dict[str, Any]:
    """The layer fields ``schedules.layer_save`` and ``layer_preview`` take, from valid forms."""
    data = {k: form.cleaned_data[k] for k in ("name", "level", "rotation", "every", "start_date", "handoff_time")}
    data["end_date"] = form.cleaned_data["end_date"]
    data["participants"] = [f.cleaned_data["user"].pk for f in _kept(participants)]
    data["restrictions"] = [
        {
            "weekdays": _weekdays(f.cleaned_data["weekdays"]),
            "start": _hhmm(f.cleaned_data["start"]),
            "end": _hhmm(f.cleaned_data["end"]),
        }
        for f in _kept(restrictions)
    ]
    return data


def layer_initial(layer: Any) -> tuple[dict, list[dict], list[dict]]:
    form = {
        k: getattr(layer, k) for k in ("name", "level", "rotation", "every", "start_date", "handoff_time", "end_date")
    }
    participants = [{"user": pk} for pk in layer.participants]
    restrictions = [
        {"weekdays": [str(d) for d in r.get("weekdays", [])], "start": r.get("start"), "end": r.get("end")}
        for r in layer.restrictions or []
    ]
    return form, participants, restrictions


class OverrideForm(ZonedForm):
    user = PersonChoiceField(queryset=people_options(), label="Who covers")
    start = local_datetime_field("From")
    end = local_datetime_field("Until")

    def __init__(self, *args: Any, actor: Any, admin: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not admin:  # a responder may only cover for themselves (the service refuses anything else)
            self.fields["user"].queryset = people_options().filter(pk=actor.pk)
            self.fields["user"].initial = actor.pk
            self.fields["user"].empty_label = None


class SwapOfferForm(ZonedForm):
    start = local_datetime_field("My shifts from")
    end = local_datetime_field("Until")
    from_user = PersonChoiceField(
        queryset=people_options(), required=False, label="On behalf of", help_text="Admins: offer someone's shifts."
    )

    def __init__(self, *args: Any, admin: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not admin:
            del self.fields["from_user"]


class IcalUrlForm(forms.Form):
    ical_url = forms.URLField(
        assume_scheme="https",
        max_length=500,
        required=False,
        label="Calendar URL",
        help_text="http(s); fetched now, then every 15 minutes. Empty: no calendar.",
    )
    ical_level = forms.IntegerField(initial=0, label="Calendar level", help_text="Its level among the layers.")


class IcalUploadForm(forms.Form):
    file = forms.FileField(label=".ics file", widget=forms.ClearableFileInput(attrs={"accept": ".ics,text/calendar"}))

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > 2 * 1024 * 1024:
            raise forms.ValidationError("The calendar is larger than 2 MB.")
        return upload.read()


# People


class ContactMethodForm(forms.Form):
    kind = forms.ChoiceField(choices=ContactKind.choices)
    address = forms.CharField(
        max_length=1000, help_text="Email address, phone number (+4930…), Apprise URL (slack://…) or webhook URL."
    )
    label = forms.CharField(max_length=100, required=False)
    secret = forms.CharField(
        required=False, widget=forms.PasswordInput, help_text="Webhook only: signs each request (never shown again)."
    )


class RuleForm(forms.Form):
    kind = forms.ChoiceField(choices=RuleKind.choices, initial=RuleKind.NOTIFY)
    contact_method = forms.TypedChoiceField(coerce=int, required=False, choices=(), label="Method")
    wait_minutes = forms.IntegerField(required=False, min_value=1, max_value=1440, label="Minutes")

    def __init__(self, *args: Any, methods: list[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact_method"].choices = [("", "—"), *methods]
        self.fields["contact_method"].widget.attrs["data-kinds"] = RuleKind.NOTIFY
        self.fields["wait_minutes"].widget.attrs["data-kinds"] = RuleKind.WAIT

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") == RuleKind.NOTIFY and not data.get("contact_method"):
            self.add_error("contact_method", "Choose a contact method.")
        if data.get("kind") == RuleKind.WAIT and not data.get("wait_minutes"):
            self.add_error("wait_minutes", "Say how many minutes.")
        return data


RuleFormSet = forms.formset_factory(RuleForm, extra=1, can_delete=True)


def rules_data(formset: forms.BaseFormSet) -> list[dict[str, Any]]:
    out = []
    for f in _kept(formset):
        if f.cleaned_data["kind"] == RuleKind.NOTIFY:
            out.append({"kind": RuleKind.NOTIFY, "contact_method": f.cleaned_data["contact_method"]})
        else:
            out.append({"kind": RuleKind.WAIT, "wait_minutes": f.cleaned_data["wait_minutes"]})
    return out


class TeamForm(forms.Form):
    name = forms.CharField(max_length=100)
    slug = forms.SlugField(
        max_length=100, required=False, help_text="Matched to an alert's team label. Empty: made from the name."
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    members = PeopleChoiceField(queryset=people_options(), required=False, widget=forms.CheckboxSelectMultiple)

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["members"] = [u.pk for u in data["members"]]
        return data


# Escalation policies


class PolicyForm(forms.Form):
    name = forms.CharField(max_length=100)
    team = forms.ModelChoiceField(queryset=Team.objects.order_by("name"), required=False)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class StepForm(forms.Form):
    """One step; ``data-kinds`` on each field (see the template) shows only the fields its kind uses."""

    kind = forms.ChoiceField(choices=StepKind.choices, initial=StepKind.NOTIFY_PERSONS)
    persons = PeopleChoiceField(queryset=people_options(), required=False, label="People")
    round_robin = forms.BooleanField(required=False, label="One at a time (round-robin)")
    schedule = forms.ModelChoiceField(queryset=Schedule.objects.order_by("name"), required=False)
    team = forms.ModelChoiceField(queryset=Team.objects.order_by("name"), required=False)
    important = forms.BooleanField(required=False, label="Important (use people's important rules)")
    wait_minutes = forms.IntegerField(required=False, min_value=1, max_value=1440, label="Wait minutes")
    window_weekdays = forms.MultipleChoiceField(
        choices=WEEKDAY_CHOICES, required=False, widget=forms.CheckboxSelectMultiple, label="Days"
    )
    window_start = forms.TimeField(
        required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"), label="From"
    )
    window_end = forms.TimeField(
        required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"), label="Until"
    )
    window_time_zone = forms.ChoiceField(choices=ZONE_CHOICES, initial="UTC", required=False, label="Zone")
    webhook_url = forms.URLField(max_length=500, required=False, label="Webhook URL", assume_scheme="https")
    repeat_times = forms.IntegerField(required=False, min_value=1, max_value=10, label="Repeat times")
    target_policy = forms.ModelChoiceField(
        queryset=EscalationPolicy.objects.order_by("name"), required=False, label="Continue with"
    )

    # Which fields each kind uses (the page shows those; the service checks them).
    KIND_FIELDS = {
        "persons": (StepKind.NOTIFY_PERSONS,),
        "round_robin": (StepKind.NOTIFY_PERSONS,),
        "schedule": (StepKind.NOTIFY_SCHEDULE,),
        "team": (StepKind.NOTIFY_TEAM,),
        "important": (StepKind.NOTIFY_PERSONS, StepKind.NOTIFY_SCHEDULE, StepKind.NOTIFY_TEAM),
        "wait_minutes": (StepKind.WAIT,),
        "window_weekdays": (StepKind.TIME_WINDOW,),
        "window_start": (StepKind.TIME_WINDOW,),
        "window_end": (StepKind.TIME_WINDOW,),
        "window_time_zone": (StepKind.TIME_WINDOW,),
        "webhook_url": (StepKind.WEBHOOK,),
        "repeat_times": (StepKind.REPEAT,),
        "target_policy": (StepKind.POLICY,),
    }
    # Where a service error about a step field is shown.
    ERROR_FIELDS = {"window": "window_weekdays"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, kinds in self.KIND_FIELDS.items():
            self.fields[name].widget.attrs["data-kinds"] = " ".join(kinds)


StepFormSet = forms.formset_factory(StepForm, extra=1, can_delete=True)
StepFormSetReadOnly = forms.formset_factory(StepForm, extra=0)


def steps_data(formset: forms.BaseFormSet) -> tuple[list[dict[str, Any]], list[forms.Form]]:
    """The steps ``policies.policy_save`` takes, and the form of each (so ``steps[i].field`` errors find it)."""
    steps, rows = [], []
    for f in _kept(formset):
        d = f.cleaned_data
        kind = d["kind"]
        step: dict[str, Any] = {"kind": kind, "important": d["important"]}
        if kind == StepKind.NOTIFY_PERSONS:
            step.update(persons=[u.pk for u in d["persons"]], round_robin=d["round_robin"])
        elif kind == StepKind.NOTIFY_SCHEDULE:
            step["schedule"] = d["schedule"].pk if d["schedule"] else None
        elif kind == StepKind.NOTIFY_TEAM:
            step["team"] = d["team"].pk if d["team"] else None
        elif kind == StepKind.WAIT:
            step["wait_minutes"] = d["wait_minutes"] or 0
        elif kind == StepKind.TIME_WINDOW:
            step["window"] = {
                "weekdays": _weekdays(d["window_weekdays"]),
                "start": _hhmm(d["window_start"]) if d["window_start"] else "",
                "end": _hhmm(d["window_end"]) if d["window_end"] else "",
                "time_zone": d["window_time_zone"] or "UTC",
            }
        elif kind == StepKind.WEBHOOK:
            step["webhook_url"] = d["webhook_url"]
        elif kind == StepKind.REPEAT:
            step["repeat_times"] = d["repeat_times"] or 0
        elif kind == StepKind.POLICY:
            step["target_policy"] = d["target_policy"].pk if d["target_policy"] else None
        steps.append(step)
        rows.append(f)
    return steps, rows


def step_initial(step: Any) -> dict[str, Any]:
    window = step.window or {}
    return {
        "kind": step.kind,
        "persons": step.persons,
        "round_robin": step.round_robin,
        "schedule": step.schedule_id,
        "team": step.team_id,
        "important": step.important,
        "wait_minutes": step.wait_minutes or None,
        "window_weekdays": [str(d) for d in window.get("weekdays", [])],
        "window_start": window.get("start"),
        "window_end": window.get("end"),
        "window_time_zone": window.get("time_zone", "UTC"),
        "webhook_url": step.webhook_url,
        "repeat_times": step.repeat_times or None,
        "target_policy": step.target_policy_id,
    }


class RoutePolicyForm(forms.Form):
    route = forms.ModelChoiceField(queryset=Route.objects.order_by("name", "pk"), label="Alert route")


class SeverityPolicyForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.order_by("name"))
    severity = forms.CharField(max_length=50, widget=forms.TextInput(attrs={"list": "severities"}))
    policy = forms.ModelChoiceField(
        queryset=EscalationPolicy.objects.order_by("name"), required=False, empty_label="(none: remove)"
    )


# Paging


class DirectPageForm(forms.Form):
    """Whom to page: one select over people, teams and schedules (``person:1``, ``team:2``, ``schedule:3``)."""

    target = forms.ChoiceField(label="Page")
    message = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}), help_text="Why you page.")
    severity = forms.ChoiceField(
        choices=SEVERITY_CHOICES, initial="critical", help_text="Critical uses people's important rules."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [
            ("", "Choose whom to page"),
            (
                "Schedules (whoever is on call)",
                [(f"schedule:{s.pk}", s.name) for s in Schedule.objects.order_by("name")],
            ),
            ("Teams (every member)", [(f"team:{t.pk}", t.name) for t in Team.objects.order_by("name")]),
            ("People", [(f"person:{u.pk}", user_label(u)) for u in people_options()]),
        ]

    def target_ids(self) -> dict[str, int]:
        kind, _, pk = self.cleaned_data["target"].partition(":")
        return {{"person": "user_id", "team": "team_id", "schedule": "schedule_id"}[kind]: int(pk)}


class NotificationFilterForm(forms.Form):
    state = forms.ChoiceField(choices=[("", "any"), *DeliveryState.choices], required=False)
    kind = forms.ChoiceField(choices=[("", "any"), *ContactKind.choices], required=False)
    person = PersonChoiceField(queryset=people_options(), required=False, empty_label="anyone")
