"""HTML pages of the incidents app: the list, declaring (by hand or from an alert group), the incident page
and its commands. Postmortems, action items, insights and settings are in ``views_followup``."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from alerts.selectors import firing_groups, group_with_alerts
from incidents import forms, services
from incidents.budget import budget_impact_cached
from incidents.choices import IncidentStatus, Severity, TimelineKind
from incidents.domain import lifecycle
from incidents.exports import timeline_csv_rows
from incidents.pages import IncidentsPage, create_prefill, incident_or_404, report_error
from incidents.selectors import (
    action_item_list,
    elapsed_end,
    incident_detail,
    incident_has_public_update,
    incident_list,
    incident_open_for_group,
    incident_postmortem,
    incident_timeline,
    incident_timeline_count,
    incident_updates,
    severity_levels,
)
from slo.selectors import service_names
from sre import pagecache
from sre.audit.services import audit_export
from sre.auth.roles import user_has_role
from sre.choices import Role
from sre.errors import DomainError

TIMELINE_SHOWN = 300
RESOLVE_HERE = (
    "Customers were told about this incident on the status page: resolve it with Resolve…, which posts the "
    "final public update (or make this update public)."
)


def _actor(request: HttpRequest) -> str:
    return request.user.get_username()


class IndexView(IncidentsPage):
    """All incidents, open first; filters by status, severity, service and text."""

    def _context(self, request: HttpRequest) -> dict:
        p = request.GET
        status = p.get("status", "")
        if status and status not in {"open", "closed", *IncidentStatus.values}:
            status = ""
        severity = p.get("severity", "") if p.get("severity", "") in Severity.values else ""
        service = p.get("service", "")[:100]
        q = p.get("q", "")[:200]
        page = Paginator(incident_list(status=status, severity=severity, service=service, q=q), 50).get_page(
            p.get("page")
        )
        filters = {"status": status, "severity": severity, "service": service, "q": q}
        context = {
            "page": page,
            "incidents": page.object_list,
            "filters": filters,
            "params": urlencode({k: v for k, v in filters.items() if v}),  # the pager's links keep the filters
            "statuses": IncidentStatus.choices,
            "severities": severity_levels(),
            "services": sorted(service_names()),
            "filtered": any((status, severity, service, q)),
        }
        return context

    @pagecache.shared_page("incidents:index")
    def get(self, request: HttpRequest) -> HttpResponse:
        """The page is shared for ``pagecache.TTL`` seconds by everyone of a role with the same filters; whoever
        just changed something gets it afresh (``sre.pagecache``)."""
        return render(request, "incidents/index.html", self._context(request))


class IncidentCreateView(IncidentsPage):
    read_role = Role.RESPONDER

    def get(self, request: HttpRequest) -> HttpResponse:
        initial = create_prefill(component_id=request.GET.get("component", ""), slo_id=request.GET.get("slo", ""))
        return render(request, "incidents/incident_form.html", {"form": forms.IncidentForm(initial=initial)})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = forms.IncidentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            component = data.get("component")
            try:
                with transaction.atomic():  # declared with its first public update, or not at all
                    incident = services.incident_create(
                        title=data["title"],
                        public_title=data["public_title"],
                        components=[(component, data["impact"] or "degraded_performance")] if component else [],
                        summary=data["summary"],
                        severity=data["severity"],
                        services=list(data["services"]),
                        started_at=data["started_at"],
                        commander=data["commander"],
                        actor=_actor(request),
                        now=timezone.now(),
                    )
                    if data["public_update"].strip():
                        services.status_update_post(
                            incident_id=incident.pk,
                            body=data["public_update"],
                            visibility="public",
                            actor=_actor(request),
                            now=timezone.now(),
                        )
            except DomainError as exc:
                _errors_on_form(form, exc)
            else:
                messages.success(request, f"Incident #{incident.pk} declared.")
                return redirect("incidents:detail", pk=incident.pk)
        return render(request, "incidents/incident_form.html", {"form": form}, status=400)


class FromGroupView(IncidentsPage):
    """The alert group page's "Declare incident" button lands here: a prefilled confirmation."""

    read_role = Role.RESPONDER

    def _group(self, group_id: int):

        group = group_with_alerts(group_id=group_id)
        if group is None:
            raise Http404("No such alert group.")
        return group

    def get(self, request: HttpRequest, group_id: int) -> HttpResponse:
        group = self._group(group_id)
        existing = incident_open_for_group(group_id=group_id)
        prefill = services.group_prefill(group)
        form = forms.FromGroupForm(initial={"title": prefill["title"], "severity": prefill["severity"]})
        context = {"group": group, "form": form, "prefill": prefill, "existing": existing}
        return render(request, "incidents/from_group.html", context)

    def post(self, request: HttpRequest, group_id: int) -> HttpResponse:
        group = self._group(group_id)
        form = forms.FromGroupForm(request.POST)
        if form.is_valid():
            try:
                incident = services.incident_create_from_group(
                    group_id=group.pk,
                    title=form.cleaned_data["title"],
                    public_title=form.cleaned_data["public_title"],
                    severity=form.cleaned_data["severity"],
                    actor=_actor(request),
                    now=timezone.now(),
                )
            except DomainError as exc:
                report_error(request, exc)
                return redirect("incidents:from-group", group_id=group.pk)
            messages.success(request, f"Incident #{incident.pk} declared from alert group {group.pk}.")
            return redirect("incidents:detail", pk=incident.pk)
        prefill = services.group_prefill(group)
        context = {"group": group, "form": form, "prefill": prefill, "existing": None}
        return render(request, "incidents/from_group.html", context, status=400)


class IncidentDetailView(IncidentsPage):
    """Header (status, severity, roles, elapsed), actions, timeline, update form, linked alerts, budget."""

    @pagecache.shared_page("incidents:detail")
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The page is shared for ``pagecache.TTL`` seconds by everyone of a role (each form keeps the incident's
        version, so a change made meanwhile is caught when they submit); whoever just changed it gets it afresh
        (``sre.pagecache``)."""
        return render_detail(request, pk)


def render_detail(request: HttpRequest, pk: int, *, status: int = 200, **forms_bound) -> HttpResponse:
    """The incident page; a command whose form failed renders it again with its bound form and errors
    (``update_form=…`` or ``resolve_form=…``) and status 400."""
    title, body = _detail_parts(request, pk, **forms_bound)
    return render(request, "incidents/detail.html", {"page_title": title, "body_html": body}, status=status)


def _detail_parts(request: HttpRequest, pk: int, **forms_bound) -> tuple[str, str]:
    """The page title and the rendered body."""
    incident = incident_detail(incident_id=pk)
    if incident is None:
        raise Http404("No such incident.")
    now = timezone.now()
    filter_form = forms.TimelineFilterForm(request.GET or None)
    kinds = filter_form.cleaned_data["kind"] if filter_form.is_bound and filter_form.is_valid() else []
    show_all = request.GET.get("all") == "1"
    # The latest entries; "show all" and the CSV export have the rest.
    timeline = incident_timeline(incident=incident, kinds=kinds, latest=None if show_all else TIMELINE_SHOWN)
    timeline_total = len(timeline) if show_all else incident_timeline_count(incident=incident, kinds=kinds)
    impacts = {ci.component_id: ci.status for ci in incident.component_impacts.all()}
    budget_state, budget_rows = budget_impact_cached(incident=incident, now=now)
    levels = severity_levels()
    can_write = user_has_role(request.user, Role.RESPONDER)
    updates = list(incident_updates(incident=incident)[:20])
    has_public = any(u.visibility == "public" for u in updates) or (
        len(updates) == 20 and incident_has_public_update(incident=incident)
    )
    context = {
        "incident": incident,
        "level": levels.get(incident.severity),
        "allowed_next": lifecycle.allowed_next(incident.status),
        "public_status": lifecycle.public_status(incident.status),
        "elapsed_end": elapsed_end(incident),
        "timeline": timeline,
        "timeline_total": timeline_total,
        "filter_form": filter_form,
        "kinds": kinds,
        "kind_choices": TimelineKind.choices,
        "updates": updates,
        "has_public": has_public,
        "budget_state": budget_state,
        "budget_rows": budget_rows,
        "postmortem": incident_postmortem(incident),
        "action_items": action_item_list(incident_id=incident.pk),
        "today": timezone.localdate(),
        "edit_form": forms.IncidentEditForm(
            initial={
                "version": incident.version,
                "title": incident.title,
                "public_title": incident.public_title,
                "severity": incident.severity,
                "summary": incident.summary,
                "services": list(incident.services.all()),
            }
        ),
        "roles_form": forms.RolesForm(
            initial={
                "version": incident.version,
                "commander": incident.commander_id,
                "communications_lead": incident.communications_lead_id,
                "scribe": incident.scribe_id,
            }
        ),
        "timestamps_form": forms.TimestampsForm(
            initial={"version": incident.version, **{f: getattr(incident, f) for f in lifecycle.TIMESTAMP_FIELDS}}
        ),
        "components_form": forms.ComponentsForm(initial={"version": incident.version}, current=impacts),
        "note_form": forms.NoteForm(),
        "update_form": forms_bound.get("update_form") or forms.StatusUpdateForm(),
        "resolve_form": forms_bound.get("resolve_form")
        or forms.ResolveForm(initial={"version": incident.version, "public_title": incident.public_title}),
        "link_form": forms.LinkGroupForm(),
        "tz_name": timezone.get_current_timezone_name(),
        "can_write": can_write,
        # Offered as you type in the link field: the groups that still fire (no ids to look up).
        "open_groups": firing_groups(limit=30) if can_write else [],
    }
    return f"#{incident.pk} {incident.title}", render_to_string("incidents/_detail_body.html", context, request)


class IncidentCommandView(IncidentsPage):
    """POST /incidents/<pk>/<command>/: one service call, then back to the incident with a message."""

    read_role = Role.RESPONDER
    COMMANDS = (
        "acknowledge",
        "transition",
        "edit",
        "roles",
        "timestamps",
        "components",
        "note",
        "update",
        "link",
        "unlink",
        "resolve",
    )

    def post(self, request: HttpRequest, pk: int, command: str) -> HttpResponse:
        if command not in self.COMMANDS:
            raise Http404("Unknown command.")
        incident = incident_or_404(pk)
        url = reverse("incidents:detail", args=[incident.pk])
        if command in ("update", "resolve"):
            return getattr(self, f"do_{command}")(request, incident)
        try:
            anchor = getattr(self, f"do_{command}")(request, incident)
        except DomainError as exc:
            report_error(request, exc)
            return redirect(url + "#actions")
        except _FormInvalid as exc:
            messages.error(request, str(exc))
            return redirect(url + "#actions")
        return redirect(url + (f"#{anchor}" if anchor else ""))

    def _form(self, form_class, request, **kwargs):
        form = form_class(request.POST, **kwargs)
        if not form.is_valid():
            errors = "; ".join(f"{name}: {' '.join(errs)}" for name, errs in form.errors.items())
            raise _FormInvalid(f"Not saved — {errors}")
        return form

    def do_acknowledge(self, request, incident) -> str:
        services.incident_acknowledge(
            incident_id=incident.pk, actor=_actor(request), user=request.user, now=timezone.now()
        )
        messages.success(request, "Acknowledged; you are the commander if there was none.")
        return "timeline"

    def do_transition(self, request, incident) -> str:
        data = self._form(forms.TransitionForm, request).cleaned_data
        services.incident_transition(
            incident_id=incident.pk,
            target=data["status"],
            version=data["version"],
            note=data["note"],
            actor=_actor(request),
            now=timezone.now(),
        )
        messages.success(request, f"Status is now {data['status']}.")
        return ""

    def do_edit(self, request, incident) -> str:
        data = self._form(forms.IncidentEditForm, request).cleaned_data
        changes = {k: data[k] for k in ("title", "public_title", "summary", "severity")}
        changes["services"] = list(data["services"])
        services.incident_update(
            incident_id=incident.pk, version=data["version"], changes=changes, actor=_actor(request), now=timezone.now()
        )
        messages.success(request, "Incident saved.")
        return ""

    def do_roles(self, request, incident) -> str:
        data = self._form(forms.RolesForm, request).cleaned_data
        roles = {k: data[k] for k in ("commander", "communications_lead", "scribe")}
        services.incident_set_roles(
            incident_id=incident.pk, roles=roles, version=data["version"], actor=_actor(request), now=timezone.now()
        )
        messages.success(request, "Roles saved.")
        return "roles"

    def do_timestamps(self, request, incident) -> str:
        form = self._form(forms.TimestampsForm, request)
        services.incident_set_timestamps(
            incident_id=incident.pk,
            values=form.changed_values(incident),
            version=form.cleaned_data["version"],
            actor=_actor(request),
            now=timezone.now(),
        )
        messages.success(request, "Timestamps saved; the change is in the timeline.")
        return "timestamps"

    def do_components(self, request, incident) -> str:
        form = self._form(forms.ComponentsForm, request)
        services.incident_set_components(
            incident_id=incident.pk,
            impacts=form.impacts(),
            version=form.cleaned_data["version"],
            actor=_actor(request),
            now=timezone.now(),
        )
        messages.success(request, "Component impact saved.")
        return "components"

    def do_note(self, request, incident) -> str:
        data = self._form(forms.NoteForm, request).cleaned_data
        services.timeline_note_add(
            incident_id=incident.pk, body=data["body"], actor=_actor(request), now=timezone.now()
        )
        return "timeline"

    def do_update(self, request, incident) -> HttpResponse:
        """Errors (no public title for a public update, …) come back on the form, on the page."""
        form = forms.StatusUpdateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            if (
                data["status"] == IncidentStatus.RESOLVED
                and data["visibility"] != "public"
                and incident_has_public_update(incident=incident)
            ):  # the Resolve form asks for the final public update: an internal update must not skip it
                form.add_error(None, RESOLVE_HERE)
                return render_detail(request, incident.pk, status=400, update_form=form)
            try:
                services.status_update_post(
                    incident_id=incident.pk,
                    body=data["body"],
                    visibility=data["visibility"],
                    status=data["status"] or None,
                    public_title=data["public_title"],
                    actor=_actor(request),
                    now=timezone.now(),
                )
            except DomainError as exc:
                _errors_on_form(form, exc)
            else:
                label = "Public" if data["visibility"] == "public" else "Internal"
                messages.success(request, f"{label} update posted.")
                return redirect(reverse("incidents:detail", args=[incident.pk]) + "#updates")
        return render_detail(request, incident.pk, status=400, update_form=form)

    def do_resolve(self, request, incident) -> HttpResponse:
        """Resolve with the final public update, or (once customers were told) an explicit confirmation."""
        form = forms.ResolveForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                posted = services.incident_resolve(
                    incident_id=incident.pk,
                    public_body=data["public_body"],
                    public_title=data["public_title"],
                    confirm_without_public=data["confirm_without_public"],
                    version=data["version"],
                    note=data["note"],
                    actor=_actor(request),
                    now=timezone.now(),
                )
            except DomainError as exc:
                _errors_on_form(form, exc)
            else:
                done = "Resolved; the final public update is on the status page." if posted else "Resolved."
                messages.success(request, done)
                return redirect("incidents:detail", pk=incident.pk)
        return render_detail(request, incident.pk, status=400, resolve_form=form)

    def do_link(self, request, incident) -> str:
        data = self._form(forms.LinkGroupForm, request).cleaned_data
        linked = services.incident_link_group(
            incident_id=incident.pk, group_id=data["group_id"], actor=_actor(request), now=timezone.now()
        )
        messages.success(request, "Alert group linked." if linked else "That alert group was already linked.")
        return "alerts"

    def do_unlink(self, request, incident) -> str:
        data = self._form(forms.LinkGroupForm, request).cleaned_data
        services.incident_unlink_group(
            incident_id=incident.pk, group_id=data["group_id"], actor=_actor(request), now=timezone.now()
        )
        messages.success(request, "Alert group unlinked.")
        return "alerts"


class _FormInvalid(Exception):
    pass


def _errors_on_form(form, exc: DomainError) -> None:
    """A domain error on the fields it names (the message once, on the first), else on the whole form."""
    named = [name for name in (exc.fields or {}) if name in form.fields]
    if named:
        form.add_error(named[0], exc.message)
    else:
        form.add_error(None, exc.message)


class IncidentChangesView(IncidentsPage):
    """GET /incidents/<pk>/changes/?since=<version>: polled by the incident page every few seconds; a
    banner with a reload link once someone else has changed the incident (the page never replaces itself
    under a responder who is typing)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident = incident_or_404(pk)
        try:
            since = int(request.GET.get("since", ""))
        except ValueError:
            return HttpResponse("", status=400)
        changed = incident.version > since
        return render(request, "incidents/_changed.html", {"incident": incident, "changed": changed})


class TimelineExportView(IncidentsPage):
    """The timeline as CSV (UTC times), with the same ``?kind=`` filter as the page."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident = incident_or_404(pk)
        kinds = [k for k in request.GET.getlist("kind") if k in TimelineKind.values]
        buffer = io.StringIO()
        csv.writer(buffer).writerows(timeline_csv_rows(incident_timeline(incident=incident, kinds=kinds)))
        audit_export(what="incident-timeline", fmt="csv", obj=incident, detail={"kinds": kinds})
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="incident-{incident.pk}-timeline.csv"'
        return response
