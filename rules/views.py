"""HTML pages of alert rules: the list (grouped as in a rule file), a rule's page (health, active alerts with links
to their alert groups and a silence, the backtest chart), delete, enable/disable and "evaluate now". The editor
and the rule file import are in ``rules.views_edit``.

Viewers read (and may backtest: it reads stored data only); responders also evaluate now and silence; admins
configure. Pages read through the selectors and write through one ``rules.services`` call per request."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from rules.choices import AlertState, RuleHealth, RuleKind
from rules.forms import RuleFilterForm
from rules.models import AlertRule
from rules.selectors_ui import intake_alerts, rule_detail, rule_groups, rule_list_filtered
from rules.services.evaluate import rule_evaluate_now
from rules.services.rules import FIELDS, rule_delete, rule_save
from sre.auth.roles import user_has_role
from sre.auth.views import RoleRequiredMixin
from sre.choices import Role
from sre.domain.durations import format_duration
from sre.errors import ConflictError, DomainError

EXAMPLE_EXPR = 'sum by (service) (rate(http_requests_total{code=~"5.."}[5m])) > 1'


def roles(request: HttpRequest) -> dict[str, bool]:
    """What the page offers: ``can_respond`` (evaluate now, silence), ``can_admin`` (edit, delete, enable)."""
    return {
        "can_respond": user_has_role(request.user, Role.RESPONDER),
        "can_admin": user_has_role(request.user, Role.ADMIN),
    }


def rule_states(rule: AlertRule) -> list[dict[str, str]]:
    """The pills of a rule's state: disabled; erroring (with the message); firing n; pending n; ok; not yet."""
    if not rule.enabled:
        return [{"css": "muted", "text": "disabled"}]
    out = []
    if rule.health == RuleHealth.ERROR:
        out.append({"css": "bad", "text": "erroring", "detail": rule.last_error})
    firing, pending = getattr(rule, "firing_count", 0), getattr(rule, "pending_count", 0)
    if firing:
        out.append({"css": "bad", "text": f"firing {firing}"})
    if pending:
        out.append({"css": "warn", "text": f"pending {pending}"})
    if not out:
        if rule.kind == RuleKind.LOG_LINE:
            out.append({"css": "ok", "text": "watching lines"})
        elif rule.health == RuleHealth.OK:
            out.append({"css": "ok", "text": "ok"})
        else:
            out.append({"css": "muted", "text": "not evaluated yet"})
    return out


def condition(rule: AlertRule) -> str:
    """The rule's condition in one line."""
    if rule.kind == RuleKind.METRIC:
        return rule.expr
    levels = "/".join(rule.log_levels)
    of = f" of {rule.log_service}" if rule.log_service else ""
    if rule.kind == RuleKind.LOG_LINE:
        matching = f" matching /{rule.log_pattern}/" if rule.log_pattern else ""
        return f"each {levels + ' ' if levels else ''}line{of}{matching}"
    words = f" with “{rule.log_text}”" if rule.log_text else ""
    per = f" per {' and '.join(rule.log_group_by)}" if rule.log_group_by else ""
    window = format_duration(rule.window_seconds)
    lines = f"{levels} lines" if levels else "lines"
    return f"count of {lines}{of}{words} over {window}{per} {rule.comparison} {rule.threshold:g}"


def rule_data(rule: AlertRule) -> dict[str, Any]:
    """The rule's fields as the API takes them (the backtest of a saved rule sends these)."""
    return {name: getattr(rule, name) for name in FIELDS if name != "enabled"}


class IndexView(RoleRequiredMixin, View):
    """Every rule, grouped by its group, with its state and last evaluation; filters in the URL."""

    def get(self, request: HttpRequest) -> HttpResponse:
        form = RuleFilterForm(request.GET or None, groups=rule_groups())
        filters = form.cleaned_data if form.is_valid() else {}
        rules = list(rule_list_filtered(**{k: v for k, v in filters.items() if v}))
        for rule in rules:
            rule.states = rule_states(rule)
            rule.condition = condition(rule)
            rule.for_text = format_duration(rule.for_seconds)
        context = {
            "rules": rules,
            "form": form,
            "filtered": any(filters.values()),
            "example_expr": EXAMPLE_EXPR,
            **roles(request),
        }
        return render(request, "rules/index.html", context)


def _alert_rows(rule: AlertRule) -> list[dict[str, Any]]:
    alerts = list(rule.alerts.all())
    found = intake_alerts(fingerprints=[a.fingerprint for a in alerts if a.state == AlertState.FIRING])
    rows = []
    for alert in alerts:
        intake = found.get(alert.fingerprint)
        rows.append(
            {
                "alert": alert,
                "since": alert.fired_at or alert.active_at,
                "intake": intake,
                "groups": list(intake.groups.all()) if intake else [],
            }
        )
    return rows


class DetailView(RoleRequiredMixin, View):
    """A rule: its condition, health (with the error), active alerts, and when it would have fired lately."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        rule = rule_detail(pk=pk)
        if rule is None:
            raise Http404("No such rule.")
        context = {
            "rule": rule,
            "states": rule_states(rule),
            "condition": condition(rule),
            "alert_rows": _alert_rows(rule),
            "rule_data": rule_data(rule),
            "alerts_href": reverse("alerts:index") + "?" + urlencode({"labels": f'alertname="{rule.name}"'}),
            "durations": {
                "for": format_duration(rule.for_seconds),
                "keep": format_duration(rule.keep_firing_for_seconds),
                "window": format_duration(rule.window_seconds),
            },
            **roles(request),
        }
        return render(request, "rules/detail.html", context)


class DeleteView(RoleRequiredMixin, View):
    """GET asks; POST deletes the rule (its firing alerts are resolved first)."""

    read_role = Role.ADMIN

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        rule = get_object_or_404(AlertRule, pk=pk)
        context = {
            "title": f"Delete rule “{rule.name}”?",
            "text": "Its firing alerts are resolved now and it is no longer evaluated. Export it first to keep a copy.",
            "button": "Delete rule",
            "back": reverse("rules:detail", args=[pk]),
        }
        return render(request, "sre/confirm.html", context)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        rule = get_object_or_404(AlertRule, pk=pk)
        rule_delete(rule=rule, now=timezone.now())
        messages.success(request, f"Rule “{rule.name}” deleted; its firing alerts were resolved.")
        return redirect("rules:index")


class EnabledView(RoleRequiredMixin, View):
    """POST ``enabled=1`` or ``0`` (admin). Disabling resolves the rule's firing alerts."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        rule = get_object_or_404(AlertRule, pk=pk)
        enabled = request.POST.get("enabled") == "1"
        try:
            rule_save(rule=rule, data={"enabled": enabled})
        except DomainError as exc:
            messages.warning(request, exc.message)
        else:
            done = "enabled: it is evaluated from the next pass" if enabled else "disabled; its alerts resolved"
            messages.success(request, f"Rule “{rule.name}” {done}.")
        return redirect("rules:detail", pk=pk)


class EvaluateView(RoleRequiredMixin, View):
    """POST: evaluate the rule now, as the minute's evaluation does (responder)."""

    write_role = Role.RESPONDER

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        rule = get_object_or_404(AlertRule, pk=pk)
        try:
            report = rule_evaluate_now(rule=rule, now=timezone.now())
        except ConflictError as exc:
            messages.warning(request, exc.message)
            return redirect("rules:detail", pk=pk)
        rule.refresh_from_db()
        if rule.health == RuleHealth.ERROR:
            messages.warning(request, f"Evaluated: the rule errors: {rule.last_error}")
        else:
            messages.success(request, f"Evaluated: {report.fired} started firing, {report.resolved} resolved.")
        return redirect("rules:detail", pk=pk)
