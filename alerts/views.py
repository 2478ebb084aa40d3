"""HTML pages of the alerts app: group detail, silences, the notification ledger. The alert list and its bulk
actions are in ``alerts.views_triage``; configuration pages (routes, receivers, maintenance) in
``alerts.views_config``."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import unquote

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views import View

from alerts.choices import AttemptOutcome, NotificationEvent
from alerts.domain.suppression import silence_matchers, silence_state
from alerts.forms import SilenceForm
from alerts.models import Silence
from alerts.selectors import (
    attempt_list,
    group_notifications,
    group_with_alerts,
    receiver_list,
    silence_prefill_labels,
    silence_preview,
    silences_recent,
    triage_row,
)
from alerts.services import alert_resolve, group_acknowledge, group_resolve
from alerts.services.silences import silence_create, silence_expire
from sre import pagecache
from sre.auth.roles import user_has_role
from sre.auth.views import RoleRequiredMixin
from sre.choices import Role
from sre.domain.ids import parse_id
from sre.domain.timewords import duration_words
from sre.errors import DomainError

# The other apps' cards on a group's page read their rows through their own selectors, called here with the group's
# id: {context key: dotted path}. incidents and oncall import alerts, so alerts names them instead of importing them
# (as ``views_triage.ESCALATION_READER`` and ``SRE["ALERT_GROUP_HOOKS"]`` do), resolved when the page is drawn.
GROUP_CARD_READERS = {
    "linked_incidents": "incidents.selectors.incidents_for_group",  # templates/incidents/_from_alert_group.html
    "oncall": "oncall.selectors.group_escalations",  # templates/oncall/_group.html
}


class GroupDetailView(RoleRequiredMixin, View):
    """One group. Its body is shared for ``pagecache.TTL`` seconds by everyone of a role; whoever just acted on it
    gets it afresh (``sre.pagecache``)."""

    @pagecache.shared_page("alerts:group")
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        parts = _group_parts(request, pk)
        if parts is False:
            return render(
                request, "sre/error.html", {"title": "Not found", "message": "No such alert group."}, status=404
            )
        title, body = parts
        return render(request, "alerts/group_detail.html", {"page_title": title, "body_html": body})


def _group_parts(request: HttpRequest, pk: int) -> tuple[str, str] | bool:
    group = group_with_alerts(group_id=pk)
    if group is None:
        return False
    attempts = attempt_list(group_id=group.pk)[:100]
    context = {
        "group": group,
        "row": triage_row(group, now=timezone.now()),
        "can_respond": user_has_role(request.user, Role.RESPONDER),
        "alerts": list(group.alerts.all()),
        "events": list(group.events.all()),
        "attempts": attempts,
        "notifications": group_notifications(group_id=group.pk),
        **{key: import_string(reader)(group_id=group.pk) for key, reader in GROUP_CARD_READERS.items()},
    }
    title = f"{context['row'].title} · alert group {group.pk}"
    return title, render_to_string("alerts/_group_detail_body.html", context, request)


class GroupActionView(RoleRequiredMixin, View):
    """POST acknowledge | resolve (responders)."""

    write_role = Role.RESPONDER

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        actor, now = request.user.get_username(), timezone.now()
        try:
            if action == "acknowledge":
                group_acknowledge(group_id=pk, actor=actor, now=now)
                messages.success(request, "Acknowledged. Repeats stop; the receiver was told if it had been paged.")
            elif action == "resolve":
                group_resolve(group_id=pk, actor=actor, now=now)
                messages.success(request, "Resolved. The receiver was told if it had been paged.")
            else:
                messages.error(request, "Unknown action.")
        except DomainError as exc:
            messages.warning(request, exc.message)
        if request.POST.get("next"):
            return redirect(alerts_next(request.POST["next"]))
        return redirect("alerts:group", pk=pk)


def alerts_next(target: str) -> str:
    """Where to go back after an action: ``target`` when it is an alerts page on this site (the list with its
    filters, a group), else ``/alerts/``. Refused: another site (``//host``, a backslash), control characters and a
    ``..`` segment, even percent-encoded, which the browser would resolve to a page outside alerts."""
    path = unquote(target.split("?", 1)[0])
    ok = target.startswith("/alerts/") and target.isprintable() and "//" not in target and "\\" not in target
    return target if ok and ".." not in path.split("/") else "/alerts/"


class AlertResolveView(RoleRequiredMixin, View):
    write_role = Role.RESPONDER

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            alert_resolve(alert_id=pk, actor=request.user.get_username(), now=timezone.now())
            messages.success(request, "Alert resolved.")
        except DomainError as exc:
            messages.warning(request, exc.message)
        return redirect(alerts_next(request.POST.get("next", "")))


class SilenceListView(RoleRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        rows = []
        for silence in silences_recent():
            rows.append(
                {
                    "silence": silence,
                    "state": silence_state(starts_at=silence.starts_at, ends_at=silence.ends_at, now=now),
                }
            )
        wanted = request.GET.get("state", "")
        if wanted:
            rows = [row for row in rows if row["state"] == wanted]
        return render(request, "alerts/silences.html", {"rows": rows, "state": wanted})


def _prefill(request: HttpRequest) -> str:
    """Matchers text from ?alert=<id> (all its labels) or ?group=<id> (its group labels)."""
    alert_id, group_id = parse_id(request.GET.get("alert")), parse_id(request.GET.get("group"))
    labels = silence_prefill_labels(alert_id=alert_id, group_id=None if alert_id else group_id)
    return "\n".join(f'{k}="{v}"' for k, v in sorted(labels.items()))


class SilenceCreateView(RoleRequiredMixin, View):
    """Create a silence, prefilled from an alert or group; "Preview" shows what it would silence now."""

    write_role = Role.RESPONDER

    def get(self, request: HttpRequest) -> HttpResponse:
        form = SilenceForm(initial={"matchers": _prefill(request)})
        return render(request, "alerts/silence_form.html", {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SilenceForm(request.POST)
        preview = None
        if form.is_valid():
            if "preview" in request.POST:
                preview = silence_preview(matchers=silence_matchers(form.api_matchers()))
            else:
                now = timezone.now()
                try:
                    silence = silence_create(
                        matchers=form.api_matchers(),
                        starts_at=now,
                        ends_at=now + timedelta(hours=form.cleaned_data["duration_hours"]),
                        created_by=request.user.get_username(),
                        comment=form.cleaned_data["comment"],
                        now=now,
                    )
                except DomainError as exc:
                    form.add_error(None, exc.message)
                else:
                    length = duration_words((silence.ends_at - silence.starts_at).total_seconds())
                    messages.success(
                        request, f"Silence created for {length}; the alerts it covers stay quiet until then."
                    )
                    return redirect("alerts:silences")
        status = 400 if form.errors else 200
        return render(request, "alerts/silence_form.html", {"form": form, "preview": preview}, status=status)


class SilenceExpireView(RoleRequiredMixin, View):
    """GET asks for confirmation; POST expires the silence now."""

    write_role = Role.RESPONDER

    def get(self, request: HttpRequest, pk: str) -> HttpResponse:
        return render(request, "alerts/silence_expire.html", {"silence": get_object_or_404(Silence, pk=pk)})

    def post(self, request: HttpRequest, pk: str) -> HttpResponse:
        silence = get_object_or_404(Silence, pk=pk)
        try:
            silence_expire(silence_id=silence.pk, now=timezone.now())
            messages.success(request, "Silence expired; the alerts it covered notify again.")
        except DomainError as exc:
            messages.warning(request, exc.message)
        return redirect("alerts:silences")


class NotificationsView(RoleRequiredMixin, View):
    """The ledger: every delivery attempt, filterable by receiver, event, outcome and group."""

    def get(self, request: HttpRequest) -> HttpResponse:
        q = request.GET
        attempts = attempt_list(
            receiver=q.get("receiver", ""),
            event=q.get("event", ""),
            outcome=q.get("outcome", ""),
            group_id=parse_id(q.get("group")),
            dedup_key=q.get("dedup_key", ""),
        )
        page = Paginator(attempts, 100).get_page(q.get("page"))
        params = q.copy()
        params.pop("page", None)
        context = {
            "page": page,
            "receivers": receiver_list(),
            "events": NotificationEvent.choices,
            "outcomes": AttemptOutcome.choices,
            "filters": q,
            "params": params.urlencode(),
        }
        return render(request, "alerts/notifications.html", context)
