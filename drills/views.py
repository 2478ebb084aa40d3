"""HTML pages of the drills app: targets, run detail with live progress, run now, cancel, evidence export."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from drills.choices import RunTrigger, TargetKind
from drills.evidence import evidence_csv, evidence_json
from drills.forms import CheckForm, EvidenceForm, TargetForm
from drills.models import BackupTarget, DrillRun, VerificationCheck
from drills.selectors import (
    check_get,
    evidence_runs,
    next_run_at,
    run_get,
    run_list,
    target_get,
    target_list,
    trend,
)
from drills.services import check_create, check_delete, drill_cancel, drill_request, target_delete, target_save
from sre.audit.services import audit_export
from sre.auth.views import RoleRequiredMixin
from sre.choices import Role
from sre.errors import DomainError


def _target_or_404(pk: int) -> BackupTarget:
    try:
        return target_get(pk=pk)
    except BackupTarget.DoesNotExist:
        raise Http404("No such backup target.") from None


def _run_or_404(pk: int) -> DrillRun:
    try:
        return run_get(pk=pk)
    except DrillRun.DoesNotExist:
        raise Http404("No such drill run.") from None


def _check_or_404(pk: int) -> VerificationCheck:
    try:
        return check_get(pk=pk)
    except VerificationCheck.DoesNotExist:
        raise Http404("No such check.") from None


class IndexView(RoleRequiredMixin, View):
    """All targets with their last result and next scheduled run."""

    def get(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        targets = list(target_list())
        for t in targets:
            t.next_run = next_run_at(schedule=t.schedule, enabled=t.enabled, now=now)
        recent = run_list()[:15]
        # Live refresh (htmx every 30 s) asks for the tables only.
        template = "drills/_index_body.html" if request.headers.get("HX-Request") == "true" else "drills/index.html"
        return render(request, template, {"targets": targets, "recent": recent})


class TargetDetailView(RoleRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        target = _target_or_404(pk)
        target.next_run = next_run_at(schedule=target.schedule, enabled=target.enabled, now=timezone.now())
        context = {
            "target": target,
            "checks": target.checks.all(),
            "runs": run_list(target_id=target.pk)[:30],
            "trend": trend(target_id=target.pk),
            "check_form": CheckForm(),
        }
        return render(request, "drills/target_detail.html", context)


class _TargetFormView(RoleRequiredMixin, View):
    def _render(self, request: HttpRequest, form: TargetForm, target: BackupTarget | None) -> HttpResponse:
        status = 400 if form.is_bound and (form.errors or form.non_field_errors()) else 200
        return render(request, "drills/target_form.html", {"form": form, "target": target}, status=status)

    def _save(self, request: HttpRequest, target: BackupTarget | None) -> HttpResponse:
        form = TargetForm(request.POST)
        if target is not None and target.kind == TargetKind.SELF:
            form.fields["kind"].choices = TargetKind.choices
        if not form.is_valid():
            return self._render(request, form, target)
        try:
            saved = target_save(target=target, data=form.cleaned_for_service())
        except DomainError as exc:
            for field, errors in exc.fields.items():
                if field in form.fields:
                    for error in errors:
                        form.add_error(field, error)
            if not any(f in form.fields for f in exc.fields):
                form.add_error(None, exc.message)
            return self._render(request, form, target)
        messages.success(request, f"Target “{saved.name}” saved.")
        return redirect("drills:target-detail", pk=saved.pk)


class TargetCreateView(_TargetFormView):
    read_role = Role.ADMIN

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, TargetForm(), None)

    def post(self, request: HttpRequest) -> HttpResponse:
        return self._save(request, None)


class TargetEditView(_TargetFormView):
    read_role = Role.ADMIN

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        target = _target_or_404(pk)
        initial = {f: getattr(target, f) for f in TargetForm.base_fields if f not in (
            "connection", "scratch_connection", "secret", "environment")}  # fmt: skip
        form = TargetForm(initial=initial)
        if target.kind == TargetKind.SELF:
            form.fields["kind"].choices = TargetKind.choices
        return self._render(request, form, target)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._save(request, _target_or_404(pk))


class TargetDeleteView(RoleRequiredMixin, View):
    read_role = Role.ADMIN

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, "drills/target_delete_confirm.html", {"target": _target_or_404(pk)})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        target = _target_or_404(pk)
        try:
            target_delete(target=target)
        except DomainError as exc:
            messages.warning(request, exc.message)
            return redirect("drills:target-detail", pk=pk)
        messages.success(request, f"Target “{target.name}” and its drill history were deleted.")
        return redirect("drills:index")


class RunNowView(RoleRequiredMixin, View):
    """GET asks for confirmation; POST queues a drill (responders may run drills)."""

    write_role = Role.RESPONDER

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, "drills/run_now_confirm.html", {"target": _target_or_404(pk)})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        target = _target_or_404(pk)
        try:
            run = drill_request(target=target, trigger=RunTrigger.MANUAL, user=request.user, now=timezone.now())
        except DomainError as exc:
            messages.warning(request, exc.message)
            return redirect("drills:target-detail", pk=pk)
        messages.success(request, f"Drill #{run.pk} of {target.name} queued.")
        return redirect("drills:run-detail", pk=run.pk)


class CheckCreateView(RoleRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        target = _target_or_404(pk)
        form = CheckForm(request.POST)
        if form.is_valid():
            try:
                check = check_create(target=target, data=form.cleaned_data)
            except DomainError as exc:
                messages.warning(request, exc.message)
            else:
                messages.success(request, f"Check “{check.name}” added; it runs from the next drill on.")
        else:
            first = next(iter(form.errors.items()))
            messages.warning(request, f"Check not added: {first[0]}: {first[1][0]}")
        return redirect("drills:target-detail", pk=pk)


class CheckDeleteView(RoleRequiredMixin, View):
    read_role = Role.ADMIN

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        check = _check_or_404(pk)
        return render(request, "drills/check_delete_confirm.html", {"check": check})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        check = _check_or_404(pk)
        check_delete(check=check)
        messages.success(request, f"Check “{check.name}” removed.")
        return redirect("drills:target-detail", pk=check.target_id)


class RunDetailView(RoleRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = _run_or_404(pk)
        plan = json.dumps(run.plan, indent=2, sort_keys=True)
        return render(request, "drills/run_detail.html", {"run": run, "plan_json": plan})


class RunProgressView(RoleRequiredMixin, View):
    """The htmx fragment polled while a run is active (it stops polling once the run has finished)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, "drills/_run_progress.html", {"run": _run_or_404(pk)})


class RunCancelView(RoleRequiredMixin, View):
    write_role = Role.RESPONDER

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, "drills/run_cancel_confirm.html", {"run": _run_or_404(pk)})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = _run_or_404(pk)
        try:
            run = drill_cancel(run=run, user=request.user, now=timezone.now())
        except DomainError as exc:
            messages.warning(request, exc.message)
        else:
            messages.success(request, run.message)
        return redirect("drills:run-detail", pk=pk)


class EvidenceView(RoleRequiredMixin, View):
    """A form for a period; with ``start`` and ``end`` in the query it downloads CSV or JSON."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if "start" not in request.GET:
            form = EvidenceForm(initial=EvidenceForm.initial_period())
            return render(request, "drills/evidence.html", {"form": form})
        form = EvidenceForm(request.GET)
        if not form.is_valid():
            return render(request, "drills/evidence.html", {"form": form}, status=400)
        start, end = form.period()
        runs = evidence_runs(start=start, end=end)
        period = {"start": str(form.cleaned_data["start"]), "end": str(form.cleaned_data["end"])}
        audit_export(what="drill-evidence", fmt=form.cleaned_data["format"], detail=period)
        stem = f"drill-evidence-{form.cleaned_data['start']}-{form.cleaned_data['end']}"
        if form.cleaned_data["format"] == "json":
            response: HttpResponse = JsonResponse(
                evidence_json(runs, start=start, end=end), json_dumps_params={"indent": 2}
            )
            response["Content-Disposition"] = f'attachment; filename="{stem}.json"'
            return response
        response = HttpResponse(evidence_csv(runs), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
        return response
