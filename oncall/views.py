"""HTML pages of the On call section: the home page (who is on call now and next), "Page someone now" and the
paging ledger, and the helpers the other page modules share. Schedules are in ``views_schedules``, people and
teams in ``views_people``, escalation policies in ``views_policies``.

Views read through ``oncall.selectors`` and write through exactly one ``oncall.services`` call per request;
the services decide what is allowed (a responder's overrides are their own, …), pages only offer it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from oncall.forms import DirectPageForm, NotificationFilterForm
from oncall.selectors import notification_list, oncall_board
from oncall.services.policies import direct_page
from sre.auth.roles import user_has_role
from sre.auth.views import RoleRequiredMixin
from sre.choices import Role
from sre.errors import DomainError


def roles(request: HttpRequest) -> dict[str, bool]:
    """What the page offers: ``can_respond`` (own overrides, swaps, contact methods, paging), ``can_admin``."""
    return {
        "can_respond": user_has_role(request.user, Role.RESPONDER),
        "can_admin": user_has_role(request.user, Role.ADMIN),
    }


def form_errors(form: forms.Form, exc: DomainError, *, names: dict[str, str] | None = None) -> None:
    """Show a service's error on the form: beside each field it names (``names`` maps service field names to
    form field names), else above the form."""
    placed = False
    for field, errors in exc.fields.items():
        name = (names or {}).get(field, field)
        if name in form.fields:
            for error in errors:
                form.add_error(name, error)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


class HomeView(RoleRequiredMixin, View):
    """Who is on call now and next, per schedule and per team."""

    def get(self, request: HttpRequest) -> HttpResponse:
        schedules, teams = oncall_board(at=timezone.now())
        context = {"schedules": schedules, "teams": teams, **roles(request)}
        return render(request, "oncall/home.html", context)


class PageView(RoleRequiredMixin, View):
    """ "Page someone now": a person, a team or a schedule's on-call person, with a message and a severity."""

    read_role = Role.RESPONDER
    write_role = Role.RESPONDER

    def _render(self, request: HttpRequest, form: DirectPageForm, status: int = 200) -> HttpResponse:
        return render(request, "oncall/page.html", {"form": form}, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, DirectPageForm(initial={"target": request.GET.get("target", "")}))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = DirectPageForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)
        try:
            group = direct_page(
                message=form.cleaned_data["message"],
                severity=form.cleaned_data["severity"],
                actor=request.user,
                now=timezone.now(),
                **form.target_ids(),
            )
        except DomainError as exc:
            form_errors(form, exc, names={"user": "target", "team": "target", "schedule": "target"})
            return self._render(request, form, status=exc.status)
        messages.success(request, "Paged. The escalation and every attempt to reach people are on this group.")
        return redirect("alerts:group", pk=group.pk)


class NotificationsView(RoleRequiredMixin, View):
    """The paging ledger: every attempt to reach a person, newest first, filtered by state, kind and person."""

    def get(self, request: HttpRequest) -> HttpResponse:
        form = NotificationFilterForm(request.GET or None)
        filters: dict[str, Any] = {}
        if form.is_valid():
            data = form.cleaned_data
            filters = {
                "state": data["state"],
                "kind": data["kind"],
                "user_id": data["person"].pk if data["person"] else None,
            }
        page = Paginator(notification_list(**filters), 50).get_page(request.GET.get("page"))
        params = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
        return render(request, "oncall/notifications.html", {"form": form, "page": page, "params": params})
