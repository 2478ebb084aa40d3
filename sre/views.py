"""HTML pages of the project package: Overview and Settings (API tokens)."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views import View

from alerts import overview as alerts_overview
from drills import overview as drills_overview
from incidents import overview as incidents_overview
from slo import overview as slo_overview
from slo.selectors import service_list
from sre import pagecache
from sre.auth.views import RoleRequiredMixin
from sre.choices import Role
from sre.errors import DomainError
from sre.forms import ApiTokenForm
from sre.models import ApiToken
from sre.selectors import api_token_list, heartbeat_get
from sre.services import api_token_create, api_token_revoke
from statuspage import overview as statuspage_overview
from telemetry import overview as telemetry_overview

# Each app contributes one card to the Overview through ``<app>/overview.py:overview_panel``.
OVERVIEW_PANELS = (
    slo_overview,
    alerts_overview,
    incidents_overview,
    statuspage_overview,
    drills_overview,
    telemetry_overview,
)
# Apps that consume sre's own neighbours (oncall imports alerts) are named, not imported, as SRE["ALERT_GROUP_HOOKS"]
# names its hooks: the same ``overview_panel`` contract, resolved when the page is drawn.
OVERVIEW_PANEL_MODULES = ("oncall.overview",)


class OverviewView(RoleRequiredMixin, View):
    """What needs attention now: one card per app (``<app>/overview.py``), the background heartbeat, services.

    Live refresh: htmx asks for the cards every 30 s (``HX-Request``) and gets them without the page around. The
    cards are aggregates over everything (every SLO, alert, incident) and the same for everyone of a role, so the
    page is shared for ``pagecache.TTL`` seconds per role through ``sre.pagecache`` (as the lists of each app
    are): a change shows within 5 s, at once for whoever made it, instead of every open Overview recounting 1,000
    SLOs on each request."""

    SERVICES_SHOWN = 12

    def _panels_context(self) -> dict[str, Any]:
        services = list(service_list()[: self.SERVICES_SHOWN + 1])
        modules = [*OVERVIEW_PANELS, *(import_module(name) for name in OVERVIEW_PANEL_MODULES)]
        return {
            "heartbeat": heartbeat_get(),
            "services": services[: self.SERVICES_SHOWN],
            "more_services": len(services) > self.SERVICES_SHOWN,
            "panels": [module.overview_panel(user=self.request.user) for module in modules],
            "now": timezone.now(),
        }

    @pagecache.shared_page("overview")
    def get(self, request: HttpRequest) -> HttpResponse:
        panels = render_to_string("sre/_overview_panels.html", self._panels_context(), request)
        if request.headers.get("HX-Request") == "true":
            return HttpResponse(panels)
        return render(request, "sre/overview.html", {"panels_html": panels})


class SettingsView(RoleRequiredMixin, View):
    """API tokens (any role manages their own; admins see all) and how the control plane is configured."""

    write_role = Role.VIEWER

    def _tokens(self) -> QuerySet[ApiToken]:
        return api_token_list(user=self.request.user)

    def _render(self, request: HttpRequest, form: ApiTokenForm, new_token: str | None = None) -> HttpResponse:
        integrations = {
            "Database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
            "Task broker": settings.CELERY_BROKER_URL.split("://", 1)[0],
            "Prometheus": "configured" if settings.PROMETHEUS_URL else "not configured",
            "Elasticsearch": "configured" if settings.ELASTICSEARCH_URL else "not configured (logs in the database)",
            "Email": settings.EMAIL_BACKEND.rsplit(".", 2)[-2],
        }
        context = {
            "form": form,
            "tokens": self._tokens(),
            "new_token": new_token,
            "integrations": integrations,
            "heartbeat": heartbeat_get(),
            "now": timezone.now(),
        }
        return render(request, "sre/settings.html", context, status=400 if form.errors else 200)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, ApiTokenForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ApiTokenForm(request.POST)
        if not form.is_valid():
            return self._render(request, form)
        try:
            token, plaintext = api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.cleaned_data["expires_at"],
                now=timezone.now(),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            return self._render(request, form)
        messages.success(request, f"Token “{token.name}” created. Copy it now: it will not be shown again.")
        return self._render(request, ApiTokenForm(), new_token=plaintext)


class ApiTokenRevokeView(RoleRequiredMixin, View):
    """GET asks for confirmation; POST revokes."""

    write_role = Role.VIEWER

    def _token(self, request: HttpRequest, pk: int) -> ApiToken:
        return get_object_or_404(api_token_list(user=request.user), pk=pk)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, "sre/token_revoke_confirm.html", {"token": self._token(request, pk)})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        token = self._token(request, pk)
        try:
            api_token_revoke(token=token, now=timezone.now())
        except DomainError as exc:
            messages.warning(request, exc.message)
        else:
            messages.success(request, f"Token “{token.name}” revoked. Requests using it now get 401.")
        return redirect("settings")
