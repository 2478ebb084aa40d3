"""The rule editor (create and edit, admin) and the Prometheus rule file import (dry run, then import).

The editor's fields follow the rule's kind, labels and annotations are key/value rows, and "Backtest" (rules.js)
sends the unsaved fields to ``POST /api/v1/rules/backtest`` and draws when the rule would have fired. Saving goes
through ``rule_save``: a field it refuses is shown beside the field and nothing is saved."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from rules.choices import RuleSource
from rules.forms import FIELD_KINDS, PAIRS, RuleForm, RuleImportForm, pairs_from
from rules.models import AlertRule
from rules.selectors import rule_get
from rules.services.files import rules_import
from rules.services.rules import rule_save
from rules.views import roles
from sre.auth.views import RoleRequiredMixin
from sre.choices import Role
from sre.errors import DomainError


def _place_errors(form: RuleForm, pair_errors: dict[str, str], exc: DomainError) -> None:
    """A service error beside the field it names (labels and annotations beside their rows), else above."""
    placed = False
    for field, errors in exc.fields.items():
        name = field.split(".")[0].split("[")[0]
        if name in PAIRS:
            pair_errors[name] = " ".join(errors)
            placed = True
        elif name in form.fields:
            for error in errors:
                form.add_error(name, error)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


class RuleEditView(RoleRequiredMixin, View):
    """``/rules/new/`` and ``/rules/<pk>/edit/`` (admin)."""

    read_role = Role.ADMIN

    def _rule(self, pk: int | None) -> AlertRule | None:
        if pk is None:
            return None
        rule = rule_get(rule_id=pk)
        if rule is None:
            raise Http404("No such rule.")
        return rule

    def _render(self, request, rule, form, rows, pair_errors=None, status=200) -> HttpResponse:
        fields = {name: {"field": form[name], "kinds": FIELD_KINDS.get(name, "")} for name in form.fields}
        context = {
            "rule": rule,
            "form": form,
            "f": fields,
            "rows": rows,
            "pair_errors": pair_errors or {},
            **roles(request),
        }
        return render(request, "rules/form.html", context, status=status)

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        rule = self._rule(pk)
        if rule is None:
            return self._render(request, None, RuleForm(), {"labels": [], "annotations": []})
        rows = {name: list(getattr(rule, name).items()) for name in PAIRS}
        return self._render(request, rule, RuleForm(initial=RuleForm.initial_of(rule)), rows)

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        rule = self._rule(pk)
        form = RuleForm(request.POST)
        rows, pairs, pair_errors = {}, {}, {}
        for name in PAIRS:
            rows[name], pairs[name], problem = pairs_from(request.POST, name)
            if problem:
                pair_errors[name] = problem
        if not form.is_valid() or pair_errors:
            return self._render(request, rule, form, rows, pair_errors, status=400)
        try:
            saved = rule_save(rule=rule, data=form.service_data(pairs))
        except DomainError as exc:
            _place_errors(form, pair_errors, exc)
            return self._render(request, rule, form, rows, pair_errors, status=400)
        messages.success(
            request, f"Rule “{saved.name}” saved. Rules are evaluated every {settings.SRE['RULES_INTERVAL']} s."
        )
        return redirect("rules:detail", pk=saved.pk)


class ImportView(RoleRequiredMixin, View):
    """Paste or upload a Prometheus rule file: "Dry run" reports what would be created, updated and skipped;
    "Import" saves every rule or, when any has a problem, none (each problem listed with its path)."""

    read_role = Role.ADMIN

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "rules/import.html", {"form": RuleImportForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = RuleImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, "rules/import.html", {"form": form}, status=400)
        data = form.cleaned_data
        dry_run = "import" not in request.POST
        context: dict[str, Any] = {}
        try:
            report = rules_import(text=data["text"], source=data["source"] or RuleSource.LOCAL, dry_run=dry_run)
        except DomainError as exc:
            context = {"error": exc.message, "problems": [p for lines in exc.fields.values() for p in lines]}
            status = exc.status
        else:
            if not dry_run:
                made, changed = len(report["created"]), len(report["updated"])
                messages.success(request, f"Imported the rule file: {made} rules created, {changed} updated.")
                return redirect("rules:index")
            context, status = {"report": report}, 200
        # The text stays in the box (an uploaded file's too), so "Import" after a dry run sends the same file.
        form = RuleImportForm(initial={"text": data["text"], "source": data["source"]})
        return render(request, "rules/import.html", {"form": form, **context}, status=status)
