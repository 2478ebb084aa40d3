"""HTML pages to add, edit and delete inhibition rules and named time intervals (listed on the Routes page).

Admin-only writes, like the rest of the routing configuration; every write goes through a service in
``alerts.services.config``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from alerts.forms import InhibitRuleForm, TimeIntervalForm
from alerts.models import InhibitRule, TimeInterval
from alerts.services.config import inhibit_rule_delete, inhibit_rule_save, time_interval_delete, time_interval_save
from sre.auth.views import RoleRequiredMixin
from sre.errors import DomainError


def _add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal on the field it names (``entries[2]`` -> ``entries``), else above the form."""
    names = {key.split("[")[0] for key in exc.fields}
    field = next((name for name in names if name in form.fields), None)
    form.add_error(field, exc.message)


class InhibitRuleEditView(RoleRequiredMixin, View):
    """Create or edit an inhibition rule (``POST delete`` deletes it). Viewers may look; writes need the
    admin role (the mixin's default, as for routes)."""

    template = "alerts/inhibit_rule_form.html"

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        rule = get_object_or_404(InhibitRule, pk=pk) if pk else None
        return render(request, self.template, {"form": InhibitRuleForm(rule=rule), "rule": rule})

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        rule = get_object_or_404(InhibitRule, pk=pk) if pk else None
        if "delete" in request.POST and rule is not None:
            inhibit_rule_delete(rule=rule)
            messages.success(request, "Inhibition rule deleted.")
            return redirect(reverse("alerts:routes") + "#inhibit-rules")
        form = InhibitRuleForm(request.POST, rule=rule)
        if form.is_valid():
            try:
                inhibit_rule_save(rule=rule, data=form.service_data())
            except DomainError as exc:
                _add_domain_error(form, exc)
            else:
                messages.success(request, "Inhibition rule saved.")
                return redirect(reverse("alerts:routes") + "#inhibit-rules")
        return render(request, self.template, {"form": form, "rule": rule}, status=400)


class TimeIntervalEditView(RoleRequiredMixin, View):
    """Create or edit a named time interval from YAML entries (``POST delete`` deletes it, refused while a
    route names it). Viewers may look; writes need the admin role."""

    template = "alerts/time_interval_form.html"

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        interval = get_object_or_404(TimeInterval, pk=pk) if pk else None
        return render(request, self.template, {"form": TimeIntervalForm(interval=interval), "interval": interval})

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        interval = get_object_or_404(TimeInterval, pk=pk) if pk else None
        if "delete" in request.POST and interval is not None:
            try:
                time_interval_delete(interval=interval)
            except DomainError as exc:
                messages.warning(request, exc.message)
            else:
                messages.success(request, f"Time interval {interval.name} deleted.")
            return redirect(reverse("alerts:routes") + "#time-intervals")
        form = TimeIntervalForm(request.POST, interval=interval)
        if form.is_valid():
            try:
                time_interval_save(
                    interval=interval, name=form.cleaned_data["name"], entries=form.cleaned_data["entries"]
                )
            except DomainError as exc:
                _add_domain_error(form, exc)
            else:
                messages.success(request, "Time interval saved.")
                return redirect(reverse("alerts:routes") + "#time-intervals")
        return render(request, self.template, {"form": form, "interval": interval}, status=400)
