"""Shared plumbing of the incidents pages: role checks, the viewer's time zone, domain errors as messages."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views import View

from incidents.models import Incident
from incidents.selectors import declare_prefill_sources, incident_get
from sre.auth.views import RoleRequiredMixin
from sre.choices import Role
from sre.domain.ids import parse_id
from sre.errors import DomainError

TZ_COOKIE = "tz"


def viewer_zone(request: HttpRequest) -> zoneinfo.ZoneInfo | None:
    """The browser's IANA zone (cookie set by static/js/incidents.js), or None to use the server's."""
    name = request.COOKIES.get(TZ_COOKIE, "")[:64]
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return None


class IncidentsPage(RoleRequiredMixin, View):
    """Viewers read; responders write. Renders times in the viewer's time zone (stored in UTC)."""

    read_role = Role.VIEWER
    write_role = Role.RESPONDER

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        zone = viewer_zone(request)
        if zone is not None:
            timezone.activate(zone)
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            timezone.deactivate()


def incident_or_404(pk: int) -> Incident:
    incident = incident_get(incident_id=pk)
    if incident is None:
        raise Http404("No such incident.")
    return incident


def report_error(request: HttpRequest, exc: DomainError) -> None:
    detail = ""
    allowed = exc.fields.get("allowed_next") if exc.fields else None
    if allowed is not None and str(exc.message).find("allowed") < 0:
        detail = f" Allowed next: {', '.join(allowed) or 'none'}."
    messages.error(request, f"{exc.message}{detail}")


def back(request: HttpRequest, default: str, anchor: str = "") -> HttpResponse:
    return redirect(default + (f"#{anchor}" if anchor else ""))


def create_prefill(*, component_id: str, slo_id: str) -> dict[str, Any]:
    """Initial values of the declare form when the status page admin opens a public incident for a component
    an SLO burn degraded: the component (degraded performance), a public title, the SLO's service. Junk ids
    give an empty form."""
    component, slo = declare_prefill_sources(component_id=parse_id(component_id), slo_id=parse_id(slo_id))
    if component is None:
        return {}
    initial: dict[str, Any] = {
        "component": component.pk,
        "impact": "degraded_performance",
        "public_title": f"Degraded performance of {component.name}",
        "title": f"{component.name} degraded",
        "severity": "sev3",
        "public_update": f"We are investigating degraded performance of {component.name}.",
    }
    if slo is not None:
        initial["title"] = f"{component.name} degraded: SLO {slo.service.name}/{slo.name} burning its budget"
        initial["services"] = [slo.service.name]
    return initial
