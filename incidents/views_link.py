"""Linking an alert group to an open incident from the alert group page: a type-ahead search over open
incidents (by number or title) and the link command."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from incidents import forms, services
from incidents.pages import IncidentsPage, report_error
from incidents.selectors import SEARCH_LIMIT, incident_search_open
from sre.choices import Role
from sre.domain.ids import parse_id
from sre.errors import DomainError


class IncidentSearchView(IncidentsPage):
    """GET /incidents/search/?q=…&group=…: up to ten open incidents matching ``q``, each with a "Link" button
    for alert group ``group`` (an HTML fragment for htmx; a whole page otherwise)."""

    read_role = Role.RESPONDER

    def get(self, request: HttpRequest) -> HttpResponse:
        q = request.GET.get("q", "")[:200]
        group_id = parse_id(request.GET.get("group", ""))
        matches = incident_search_open(q=q, limit=SEARCH_LIMIT)
        context = {"matches": matches, "q": q, "group_id": group_id, "limit": SEARCH_LIMIT}
        # Enter in the search box (or no script) submits the form: then a whole page, not the bare fragment.
        template = "incidents/_search_results.html" if request.headers.get("HX-Request") else "incidents/search.html"
        return render(request, template, context)


class LinkGroupView(IncidentsPage):
    """POST /incidents/link-alert-group/<group_id>/ with ``incident``: link, then back to the group page."""

    read_role = Role.RESPONDER

    def post(self, request: HttpRequest, group_id: int) -> HttpResponse:
        form = forms.LinkToIncidentForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose an open incident from the search first.")
            return redirect("alerts:group", group_id)
        incident_id = form.cleaned_data["incident"]
        try:
            linked = services.incident_link_group(
                incident_id=incident_id, group_id=group_id, actor=request.user.get_username(), now=timezone.now()
            )
        except DomainError as exc:
            report_error(request, exc)
            return redirect("alerts:group", group_id)
        text = f"Linked to incident #{incident_id}." if linked else f"Already linked to incident #{incident_id}."
        messages.success(request, text)
        return redirect("alerts:group", group_id)
