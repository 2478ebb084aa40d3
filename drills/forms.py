"""HTML forms of the drills app (writes still go through ``drills.services``)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from drills.choices import BackupMode, CheckKind, TargetKind
from slo.models import Service

SECRET_HELP = "Stored encrypted and never shown again. Leave blank to keep the stored value."  # noqa: S105


class TargetForm(forms.Form):
    name = forms.SlugField(max_length=100, help_text="Letters, digits, - and _.")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    kind = forms.ChoiceField(choices=[c for c in TargetKind.choices if c[0] != TargetKind.SELF])
    backup_mode = forms.ChoiceField(choices=BackupMode.choices, initial=BackupMode.TAKE)
    service = forms.ModelChoiceField(queryset=Service.objects.order_by("name"), required=False)
    enabled = forms.BooleanField(required=False, initial=True, help_text="Disabled targets do not run on schedule.")
    connection = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="PostgreSQL: source connection string or URL. restic: the repository. " + SECRET_HELP,
    )
    scratch_connection = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="PostgreSQL: server to create scratch databases on (needs CREATEDB); default the source's. "
        + SECRET_HELP,
    )
    secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="restic: repository password. " + SECRET_HELP,
    )
    environment = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off"}),
        help_text='JSON object of environment variables for commands, e.g. {"AWS_PROFILE": "backup"}. ' + SECRET_HELP,
    )
    location = forms.CharField(
        required=False,
        max_length=1000,
        help_text="SQLite: the database file (take) or a directory of copies (latest). PostgreSQL latest: the "
        "directory of dumps. restic: the path to back up. Command: directory of backups if no backup command.",
    )
    backup_command = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2, "class": "mono"}))
    restore_command = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2, "class": "mono"}))
    rto_target_seconds = forms.IntegerField(min_value=1, initial=4 * 3600, help_text="Seconds; 14400 = 4 h.")
    rpo_target_seconds = forms.IntegerField(min_value=1, initial=15 * 60, help_text="Seconds; 900 = 15 min.")
    timeout_seconds = forms.IntegerField(min_value=60, initial=6 * 3600, help_text="A drill is stopped after this.")
    schedule = forms.CharField(
        required=False, max_length=100, help_text="Crontab in UTC, e.g. '0 3 * * *'. Empty: run manually only."
    )

    def cleaned_for_service(self) -> dict:
        data = dict(self.cleaned_data)
        for field in ("connection", "scratch_connection", "secret", "environment"):
            if not data.get(field):
                data[field] = None  # blank keeps the stored secret
        return data


class CheckForm(forms.Form):
    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=[c for c in CheckKind.choices if c[0] != CheckKind.BUILTIN])
    table = forms.CharField(required=False, max_length=200, help_text="Row count and checksum checks.")
    query = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2, "class": "mono"}))
    expected = forms.CharField(required=False, max_length=500, help_text="SQL: the value; checksums: optional.")
    min_rows = forms.IntegerField(required=False, min_value=0)
    path = forms.CharField(required=False, max_length=1000, help_text="File checksums: path of the file.")


class EvidenceForm(forms.Form):
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), help_text="Inclusive.")
    format = forms.ChoiceField(choices=[("csv", "CSV"), ("json", "JSON")], initial="csv")

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError("The end date is before the start date.")
        return data

    def period(self) -> tuple[dt.datetime, dt.datetime]:
        tz = dt.UTC
        start = dt.datetime.combine(self.cleaned_data["start"], dt.time.min, tzinfo=tz)
        end = dt.datetime.combine(self.cleaned_data["end"], dt.time.min, tzinfo=tz) + dt.timedelta(days=1)
        return start, end

    @classmethod
    def initial_period(cls) -> dict:
        today = timezone.now().date()
        return {"start": today - dt.timedelta(days=90), "end": today, "format": "csv"}
