"""The alert list built for triage (``/alerts/``) and its bulk actions (``/alerts/bulk/``).

Each group is a card: title, severity, how long it has fired, service, who is on it (acknowledged by, the on-call
escalation step) and the last notification. Filters and sort live in the query string, so a link (and the live
refresh) reproduces the view. Reads in ``alerts.selectors.triage_list``; writes through the per-group services.

Who is escalated is the oncall app's state, and oncall imports alerts, so alerts must not import oncall: the reader
is named by ``ESCALATION_READER`` (a dotted path, as ``SRE["ALERT_GROUP_HOOKS"]`` names hooks) and resolved when the
page is drawn; without it (or without the oncall app) the cards simply show no escalation step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views import View

from alerts.choices import GroupState
from alerts.domain.matchers import MatcherError, parse_matchers
from alerts.domain.triage import SEVERITIES
from alerts.forms import BULK_ACTIONS, BulkActionForm, TriageFilterForm
from alerts.selectors import receiver_choices, triage_list
from alerts.services import group_acknowledge, group_resolve
from alerts.services.silences import groups_silence
from alerts.views import alerts_next
from sre import pagecache
from sre.auth.roles import user_has_role
from sre.auth.views import RoleRequiredMixin
from sre.choices import Role
from sre.errors import DomainError

logger = logging.getLogger(__name__)

# oncall.selectors.group_escalation_steps(group_ids=[...]) -> {group_id: {...}}; see the module docstring.
ESCALATION_READER = "oncall.selectors.group_escalation_steps"
SORT_LABELS = (("severity", "Severity"), ("newest", "Newest first"), ("oldest", "Oldest first"))


def _escalation_reader() -> Callable[..., dict[int, dict]] | None:
    try:
        return import_string(ESCALATION_READER)
    except ImportError:
        return None


def triage_context(request: HttpRequest) -> dict[str, Any]:
    form = TriageFilterForm(request.GET)
    filters = form.filters()
    error, matchers = "", ()
    if filters["labels"]:
        try:
            matchers = parse_matchers([m for m in filters["labels"].split(",") if m.strip()])
        except MatcherError as exc:
            error = f"Label filter: {exc}"
    result = triage_list(
        states=filters["states"],
        receiver=filters["receiver"],
        severity=filters["severity"],
        service=filters["service"],
        matchers=matchers,
        sort=filters["sort"],
        limit=filters["show"],
        now=timezone.now(),
    )
    reader = _escalation_reader()
    if reader is not None and result.rows:
        steps = reader(group_ids=[row.group.pk for row in result.rows])
        for row in result.rows:
            row.escalation = steps.get(row.group.pk)
    query = _query(filters)
    return {
        "rows": result.rows,
        "total": result.total,
        "capped": result.capped,
        "services": result.services,
        "filters": filters,
        "filtered": _filtered(filters),
        "filter_summary": _summary(filters),
        "all_states": GroupState.choices,
        "severities": SEVERITIES,
        "sorts": SORT_LABELS,
        "receivers": receiver_choices(),
        "filter_error": error,
        "query": query,
        "here": "/alerts/" + (f"?{query}" if query else ""),
        "show_more": _query({**filters, "show": 500 if result.total > 200 else 200}),
        "can_respond": user_has_role(request.user, Role.RESPONDER),
        "bulk_actions": BULK_ACTIONS,
    }


def _query(filters: dict[str, Any]) -> str:
    """The filters as a query string with only what differs from the defaults (a short, shareable link)."""
    pairs: list[tuple[str, str]] = []
    if set(filters["states"]) != set(TriageFilterForm.OPEN_STATES):
        pairs += [("state", state) for state in filters["states"]]
    for name in ("labels", "receiver", "severity", "service"):
        if filters[name]:
            pairs.append((name, filters[name]))
    if filters["sort"] != "severity":
        pairs.append(("sort", filters["sort"]))
    if filters["show"] != 50:
        pairs.append(("show", str(filters["show"])))
    return urlencode(pairs)


def _filtered(filters: dict[str, Any]) -> bool:
    return bool(_query({**filters, "sort": "severity", "show": 50}))


def _summary(filters: dict[str, Any]) -> str:
    """The filters in words for the folded filter box: "Firing, Acknowledged · severity critical · by severity"."""
    labels = dict(GroupState.choices)
    parts = [", ".join(str(labels.get(state, state)) for state in filters["states"])]
    parts += [f"{name} {filters[name]}" for name in ("severity", "service", "receiver", "labels") if filters[name]]
    parts.append("by " + dict(SORT_LABELS).get(filters["sort"], "severity").lower())
    return " · ".join(parts)


class IndexView(RoleRequiredMixin, View):
    """The alert list (live refresh through htmx: the partial ``alerts/_groups.html`` for ``HX-Request``)."""

    @pagecache.shared_page("alerts:index")
    def get(self, request: HttpRequest) -> HttpResponse:
        """The page is shared for ``pagecache.TTL`` seconds by everyone of a role with the same filters (a triage
        pass over 500 open groups was ~70 ms a request)."""
        partial = request.headers.get("HX-Request")
        return render(request, "alerts/_groups.html" if partial else "alerts/index.html", triage_context(request))


VERBS = {"acknowledge": "Acknowledged", "silence": "Silenced", "resolve": "Resolved"}


class BulkActionView(RoleRequiredMixin, View):
    """POST action=acknowledge|silence|resolve with group=<id> repeated. Acknowledge and resolve go through each
    group's own service, so a group that cannot take the action (already acknowledged, resolved, gone) is skipped
    with the service's reason while the others go through; silence goes through ``groups_silence`` (one silence per
    group, the open groups re-evaluated once). One message says what was done and what was skipped and why."""

    write_role = Role.RESPONDER

    def post(self, request: HttpRequest) -> HttpResponse:
        form = BulkActionForm(request.POST)
        target = alerts_next(request.POST.get("next", ""))
        if not form.is_valid():
            errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
            messages.error(request, f"Nothing was changed: {errors}")
            return redirect(target)
        data = form.cleaned_data
        actor, now = request.user.get_username(), timezone.now()
        action = data["action"]
        if action == "silence":
            done, skipped = groups_silence(
                group_ids=data["group"],
                actor=actor,
                now=now,
                duration=timedelta(hours=data["duration_hours"] or 2),
                comment=data["comment"].strip() or f"Silenced from the alert list by {actor}.",
            )
        else:
            done, skipped = _each(data["group"], action=action, actor=actor, now=now)
        logger.info("bulk %s by %s: done %s, skipped %s", action, actor, done, skipped)
        _report(request, action=action, done=done, skipped=skipped, hours=data["duration_hours"] or 2)
        return redirect(target)


def _each(group_ids: list[int], *, action: str, actor: str, now) -> tuple[list[int], list[tuple[int, str]]]:
    """Acknowledge or resolve each group through its own service (its own transaction and guards; a group that is
    gone is the service's ``NotFoundError``)."""
    service = group_acknowledge if action == "acknowledge" else group_resolve
    done: list[int] = []
    skipped: list[tuple[int, str]] = []
    for group_id in group_ids:
        try:
            service(group_id=group_id, actor=actor, now=now)
        except DomainError as exc:
            skipped.append((group_id, exc.message.rstrip(".")))
        else:
            done.append(group_id)
    return done, skipped


def _report(request: HttpRequest, *, action: str, done: list[int], skipped: list[tuple[int, str]], hours: float):
    parts = []
    if done:
        ids = ", ".join(f"#{pk}" for pk in done)
        extra = f" for {hours:g} h" if action == "silence" else ""
        parts.append(f"{VERBS[action]} {len(done)} group{'s' if len(done) != 1 else ''}{extra} ({ids}).")
    else:
        parts.append(f"No group was {VERBS[action].lower()}.")
    if skipped:
        reasons = "; ".join(f"#{pk}: {reason}" for pk, reason in skipped)
        parts.append(f"Skipped {len(skipped)}: {reasons}.")
    level = messages.success if done and not skipped else messages.warning
    level(request, " ".join(parts))
