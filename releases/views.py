"""HTML pages of the Releases section: every service's deploy gate, one service's gate with its overrides, budget
policies and deployments, the deployments list and one deployment's watch and rollback ledger.

Viewers read; responders override the gate and record deployments; admins edit policies. Views read through
``releases.selectors`` and write through one ``releases.services`` call per request; the pages offer only what the
role may do, and the services decide what is valid."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from releases.forms import DeploymentForm, OverrideForm, PolicyForm, ServicePolicyForm
from releases.models import BudgetPolicy, Deployment
from releases.selectors import (
    deploy_gates,
    deployment_get,
    deployment_list,
    notice_list,
    override_get,
    override_list,
    policies_of,
    policy_get,
    policy_of,
    policy_rules,
    rules_for,
    service_get,
    service_list,
    slo_get,
    slos_of_service,
)
from releases.services.deployments import deployment_record
from releases.services.gate import override_create, override_revoke
from releases.services.policies import KEEP, policy_delete, policy_save
from slo.models import SLO, Service
from sre.auth.roles import user_has_role
from sre.auth.views import RoleRequiredMixin
from sre.choices import Role
from sre.errors import DomainError

PAGE = 50


def roles(request: HttpRequest) -> dict[str, bool]:
    return {
        "can_respond": user_has_role(request.user, Role.RESPONDER),
        "can_admin": user_has_role(request.user, Role.ADMIN),
    }


def form_errors(form: forms.Form, exc: DomainError) -> None:
    """A service's error beside each field it names, else above the form."""
    placed = False
    for field, errors in exc.fields.items():
        if field in form.fields:
            for error in errors:
                form.add_error(field, error)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def _service_or_404(pk: int) -> Service:
    service = service_get(service_id=pk)
    if service is None:
        raise Http404("No such service.")
    return service


def _slo_or_404(pk: int) -> SLO:
    slo = slo_get(slo_id=pk)
    if slo is None:
        raise Http404("No such SLO.")
    return slo


def highest_per_slo(notices) -> list:
    """The open notice of the highest threshold per SLO (the list reads newest first)."""
    best: dict = {}
    for notice in notices:
        key = notice.slo_id or (notice.labels.get("service"), notice.labels.get("slo"))  # names repeat per service
        if key not in best or notice.threshold > best[key].threshold:
            best[key] = notice
    return sorted(best.values(), key=lambda n: (-n.threshold, n.labels.get("slo", "")))


class IndexView(RoleRequiredMixin, View):
    """Every service's gate (deny first), the open budget notices and the latest deployments."""

    def get(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        services = list(service_list())
        gates = deploy_gates(services=services, now=now)
        rows = sorted(
            ({"service": s, "gate": gates[s.pk]} for s in services),
            key=lambda r: (r["gate"].decision != "deny", not r["gate"].frozen, r["service"].name),
        )
        context = {
            "rows": rows,
            "notices": highest_per_slo(notice_list(open_only=True)[:500]),
            "deployments": list(deployment_list()[:15]),
            "now": now,
            **roles(request),
        }
        return render(request, "releases/index.html", context)


class _ServicePage(RoleRequiredMixin, View):
    """One service: its gate with the reasons, the override form (responders), its overrides, the policies in
    force per SLO (admins edit them) and its deployments."""

    def _render(self, request: HttpRequest, service: Service, form: OverrideForm, status: int = 200) -> HttpResponse:
        now = timezone.now()
        slos = slos_of_service(service_id=service.pk)
        rules = rules_for(slos=slos)
        policies = policies_of(service_ids=[service.pk])
        service_policy = policies.get((service.pk, None))
        rows = [{"slo": slo, "rules": rules[slo.pk], "own": policies.get((service.pk, slo.pk))} for slo in slos]
        context = {
            "service": service,
            "gate": deploy_gates(services=[service], now=now)[service.pk],
            "form": form,
            "overrides": list(override_list(service_id=service.pk)[:20]),
            "service_policy": service_policy,
            "service_rules": policy_rules(service_policy),
            "slo_rows": rows,
            "notices": list(notice_list(service_id=service.pk)[:20]),
            "deployments": list(deployment_list(service_id=service.pk)[:20]),
            "now": now,
            **roles(request),
        }
        return render(request, "releases/service.html", context, status=status)


class ServiceView(_ServicePage):
    model = Service  # the role matrix opens a real one

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._render(request, _service_or_404(pk), OverrideForm())


class OverrideCreateView(_ServicePage):
    """Lift the service's freeze for a number of hours, with a reason (responder; the page asks to confirm)."""

    write_role = Role.RESPONDER

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        service = _service_or_404(pk)
        form = OverrideForm(request.POST)
        if form.is_valid():
            now = timezone.now()
            try:
                override = override_create(
                    service=service,
                    reason=form.cleaned_data["reason"],
                    expires_at=form.expires_at(now=now),
                    user=request.user,
                    now=now,
                )
            except DomainError as exc:
                form_errors(form, exc)
            else:
                until = f"{override.expires_at:%Y-%m-%d %H:%M} UTC"
                messages.success(request, f"The deploy gate of {service.name} allows releases until {until}.")
                return redirect("releases:service", pk=service.pk)
        return self._render(request, service, form, status=400)


class OverrideRevokeView(RoleRequiredMixin, View):
    read_role = Role.RESPONDER
    write_role = Role.RESPONDER

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        override = override_get(override_id=pk)
        if override is None:
            raise Http404("No such override.")
        try:
            override_revoke(override=override, user=request.user, now=timezone.now())
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, f"Override revoked: the gate of {override.service.name} follows the budgets again."
            )
        return redirect("releases:service", pk=override.service_id)


class _PolicyView(RoleRequiredMixin, View):
    """Edit (or create) a policy; ``slo`` None is the service's own."""

    read_role = Role.ADMIN
    form_class: type[PolicyForm] = PolicyForm

    def _target(self, pk: int) -> tuple[Service, SLO | None, BudgetPolicy | None]:
        raise NotImplementedError

    def _initial(self, policy: BudgetPolicy | None) -> dict[str, Any]:
        if policy is None:
            return {}
        return {
            "thresholds": ", ".join(f"{t:g}" for t in policy.thresholds),
            "freeze_on_exhaustion": policy.freeze_on_exhaustion,
            "release_burn_factor": policy.release_burn_factor,
            "release_watch_minutes": policy.release_watch_minutes,
            "release_min_bad_events": policy.release_min_bad_events,
            "rollback_webhook_url": policy.rollback_webhook_url,
        }

    def _render(self, request, service, slo, policy, form, status=200) -> HttpResponse:
        context = {"service": service, "slo": slo, "policy": policy, "form": form}
        return render(request, "releases/policy_form.html", context, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        service, slo, policy = self._target(pk)
        start = policy
        if start is None and slo is not None:  # a new SLO policy starts from its service's
            start = policy_of(service_id=service.pk, slo_id=None)
        initial = self._initial(start)
        if slo is not None:
            initial.pop("rollback_webhook_url", None)
        return self._render(request, service, slo, policy, self.form_class(initial=initial))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        service, slo, policy = self._target(pk)
        form = self.form_class(request.POST)
        if form.is_valid():
            data = {**form.service_data(), "service": service, "slo": slo}
            secret: Any = KEEP
            if isinstance(form, ServicePolicyForm):
                if form.cleaned_data["remove_secret"]:
                    secret = ""
                elif form.cleaned_data["rollback_webhook_secret"]:
                    secret = form.cleaned_data["rollback_webhook_secret"]
            try:
                policy_save(policy=policy, data=data, secret=secret)
            except DomainError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, f"Budget policy of {slo.name if slo else service.name} saved.")
                return redirect("releases:service", pk=service.pk)
        return self._render(request, service, slo, policy, form, status=400)


class ServicePolicyView(_PolicyView):
    model = Service
    form_class = ServicePolicyForm

    def _target(self, pk: int) -> tuple[Service, SLO | None, BudgetPolicy | None]:
        service = _service_or_404(pk)
        return service, None, policy_of(service_id=service.pk, slo_id=None)


class SloPolicyView(_PolicyView):
    model = SLO
    form_class = PolicyForm

    def _target(self, pk: int) -> tuple[Service, SLO | None, BudgetPolicy | None]:
        slo = _slo_or_404(pk)
        return slo.service, slo, policy_of(service_id=slo.service_id, slo_id=slo.pk)


class PolicyDeleteView(RoleRequiredMixin, View):
    model = BudgetPolicy
    read_role = Role.ADMIN

    def _policy(self, pk: int) -> BudgetPolicy:
        policy = policy_get(policy_id=pk)
        if policy is None:
            raise Http404("No such policy.")
        return policy

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        policy = self._policy(pk)
        fallback = f"{policy.service.name}'s policy" if policy.slo_id else "the defaults"
        context = {
            "title": f"Delete the budget policy of {policy.slo.name if policy.slo_id else policy.service.name}?",
            "text": f"Its SLOs then follow {fallback}.",
            "button": "Delete the policy",
            "back": reverse("releases:service", args=[policy.service_id]),
        }
        return render(request, "sre/confirm.html", context)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        policy = self._policy(pk)
        policy_delete(policy=policy)
        messages.success(request, "Budget policy deleted.")
        return redirect("releases:service", pk=policy.service_id)


class DeploymentsView(RoleRequiredMixin, View):
    """Deployments, newest first (filter by service); responders record one by hand."""

    write_role = Role.RESPONDER

    def _render(self, request: HttpRequest, form: DeploymentForm, status: int = 200) -> HttpResponse:
        service = request.GET.get("service", "")
        qs = deployment_list(service_name=service)
        try:
            page = max(1, int(request.GET.get("page", "1")))
        except ValueError:
            page = 1
        rows = list(qs[(page - 1) * PAGE : page * PAGE + 1])
        context = {
            "deployments": rows[:PAGE],
            "page": page,
            "has_next": len(rows) > PAGE,
            "service": service,
            "services": service_list(),
            "form": form,
            **roles(request),
        }
        return render(request, "releases/deployments.html", context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, DeploymentForm(initial={"service": request.GET.get("service", "")}))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = DeploymentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                deployment = deployment_record(
                    service=data["service"],
                    version=data["version"],
                    url=data["url"].strip(),
                    description=data["description"],
                    user=request.user,
                    now=timezone.now(),
                )
            except DomainError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, f"Deployment {deployment.version} of {deployment.service.name} recorded.")
                return redirect("releases:deployment", pk=deployment.pk)
        return self._render(request, form, status=400)


class DeploymentView(RoleRequiredMixin, View):
    model = Deployment

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        deployment = deployment_get(deployment_id=pk)
        if deployment is None:
            raise Http404("No such deployment.")
        slos = {s.pk: s for s in slos_of_service(service_id=deployment.service_id)}
        watched = [{**w, "slo": slos.get(w["id"])} for w in deployment.watch_policy.get("slos", [])]
        numbers = {n["slo_id"]: n for n in deployment.release_burn.get("slos", [])}
        for w in watched:
            w["numbers"] = numbers.get(w["id"])
        context = {"deployment": deployment, "watched": watched, "worst": deployment.release_burn.get("worst")}
        return render(request, "releases/deployment.html", context)
