"""HTML pages of escalation policies: the list with every team's severity → policy matrix, and the policy
page (steps as ordered rows, the routes that page with it). Viewers read; admins edit."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from alerts.models import Route
from oncall.forms import (
    PolicyForm,
    RoutePolicyForm,
    SeverityPolicyForm,
    StepForm,
    StepFormSet,
    StepFormSetReadOnly,
    step_initial,
    steps_data,
)
from oncall.models import EscalationPolicy
from oncall.selectors import policy_choices, policy_list, policy_routes, severity_matrix
from oncall.services import policies as svc
from oncall.views import form_errors, roles
from sre.auth.views import RoleRequiredMixin
from sre.choices import Role
from sre.errors import DomainError

STEP_ERROR = re.compile(r"^steps\[(\d+)\]\.(\w+)$")


class PoliciesView(RoleRequiredMixin, View):
    """Every policy, and per team the severity → policy matrix (used when no route names a policy)."""

    def _render(self, request: HttpRequest, form: SeverityPolicyForm, status: int = 200) -> HttpResponse:
        context = {
            "policies": policy_list(),
            "matrix": severity_matrix(),
            "severity_form": form,
            "policy_choices": policy_choices(),
            **roles(request),
        }
        return render(request, "oncall/policies.html", context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, SeverityPolicyForm())


class SeverityPolicyView(PoliciesView):
    """Set or remove one cell of a team's matrix (admin)."""

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SeverityPolicyForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                svc.severity_policy_set(team=data["team"], severity=data["severity"], policy=data["policy"])
            except DomainError as exc:
                form_errors(form, exc)
            else:
                done = f"now pages with {data['policy']}" if data["policy"] else "no longer has a policy"
                messages.success(request, f"{data['team']}: severity {data['severity'].strip().lower()} {done}.")
                return redirect("oncall:policies")
        return self._render(request, form, status=400)


def _step_formset(policy: EscalationPolicy | None, data: Any = None, *, read_only: bool = False) -> Any:
    initial = [step_initial(s) for s in policy.steps.all()] if policy and data is None else None
    formset = (StepFormSetReadOnly if read_only else StepFormSet)(data, prefix="steps", initial=initial)
    if read_only:
        for form in formset.forms:
            for field in form.fields.values():
                field.disabled = True
    return formset


def _step_errors(form: PolicyForm, rows: list, exc: DomainError) -> None:
    """Put ``steps[i].field`` errors beside the field of row ``i``; the rest above the form."""
    placed = False
    for key, errors in exc.fields.items():
        match = STEP_ERROR.match(key)
        if match and int(match[1]) < len(rows):
            row, field = rows[int(match[1])], StepForm.ERROR_FIELDS.get(match[2], match[2])
            for error in errors:
                row.add_error(field if field in row.fields else None, error)
            placed = True
        elif key in form.fields:
            for error in errors:
                form.add_error(key, error)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


class PolicyView(RoleRequiredMixin, View):
    """A policy's page: its steps (an editor for admins), and the alert routes that page with it."""

    def _render(self, request, policy, form, formset, *, route_form=None, status=200) -> HttpResponse:
        context = {
            "policy": policy,
            "form": form,
            "formset": formset,
            "routes": policy_routes(policy_id=policy.pk) if policy else [],
            "route_form": route_form or RoutePolicyForm(),
            **roles(request),
        }
        return render(request, "oncall/policy_form.html", context, status=status)

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        policy = get_object_or_404(policy_list(), pk=pk) if pk else None
        read_only = not roles(request)["can_admin"]
        initial = {"name": policy.name, "team": policy.team_id, "description": policy.description} if policy else {}
        form = PolicyForm(initial=initial)
        if read_only:
            for field in form.fields.values():
                field.disabled = True
        return self._render(request, policy, form, _step_formset(policy, read_only=read_only))

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        policy = get_object_or_404(policy_list(), pk=pk) if pk else None
        form = PolicyForm(request.POST)
        formset = _step_formset(policy, request.POST)
        if form.is_valid() and formset.is_valid():
            steps, rows = steps_data(formset)
            try:
                saved = svc.policy_save(policy=policy, data={**form.cleaned_data, "steps": steps})
            except DomainError as exc:
                _step_errors(form, rows, exc)
            else:
                messages.success(request, f"Policy “{saved.name}” saved.")
                return redirect("oncall:policy", pk=saved.pk)
        return self._render(request, policy, form, formset, status=400)


class PolicyCreateView(PolicyView):
    read_role = Role.ADMIN


class PolicyRouteView(RoleRequiredMixin, View):
    """Link an alert route to this policy, or (``unset``) unlink one (admin)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        policy = get_object_or_404(EscalationPolicy, pk=pk)
        if request.POST.get("unset"):
            route = get_object_or_404(Route, pk=request.POST["unset"], oncall_policy__policy=policy)
            svc.route_policy_set(route=route, policy=None)
            messages.success(request, f"Route “{route}” no longer pages with this policy.")
            return redirect("oncall:policy", pk=pk)
        form = RoutePolicyForm(request.POST)
        if not form.is_valid():
            messages.warning(request, "Choose a route.")
            return redirect("oncall:policy", pk=pk)
        svc.route_policy_set(route=form.cleaned_data["route"], policy=policy)
        messages.success(request, f"Route “{form.cleaned_data['route']}” now pages with this policy.")
        return redirect("oncall:policy", pk=pk)


class PolicyDeleteView(RoleRequiredMixin, View):
    read_role = Role.ADMIN

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        policy = get_object_or_404(EscalationPolicy, pk=pk)
        context = {
            "title": f"Delete policy “{policy.name}”?",
            "text": "Routes and team severities that page with it stop paging; running escalations go on.",
            "button": "Delete policy",
            "back": reverse("oncall:policy", args=[pk]),
        }
        return render(request, "sre/confirm.html", context)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        policy = get_object_or_404(EscalationPolicy, pk=pk)
        try:
            svc.policy_delete(policy=policy)
        except DomainError as exc:
            messages.warning(request, exc.message)
            return redirect("oncall:policy", pk=pk)
        messages.success(request, f"Policy “{policy.name}” deleted.")
        return redirect("oncall:policies")
