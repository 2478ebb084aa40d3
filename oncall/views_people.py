"""HTML pages of people and teams: a person's page (contact methods, notification rules, their shifts, the
personal iCal feed) and the teams list and editor.

Anyone signed in sees a person's name, teams and shifts; only the person sees their own contact methods
(masked) and edits them, their rules and their feed (responder role). Teams are configured by admins."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from oncall.choices import RuleKind
from oncall.forms import ContactMethodForm, RuleFormSet, TeamForm, rules_data
from oncall.models import ContactMethod, Team
from oncall.selectors import (
    address_masked,
    contact_methods_of,
    rules_of,
    shifts_of,
    team_member_ids,
    teams_of,
    teams_with_schedules,
    user_label,
)
from oncall.services import people as svc
from oncall.views import form_errors, roles
from sre.auth.views import RoleRequiredMixin
from sre.choices import Role
from sre.errors import DomainError

User = get_user_model()
MY_SHIFTS = timedelta(weeks=4)
CHAINS = {"default": False, "important": True}


def _rule_formset(chain: str, methods: list[ContactMethod], rules: list, data: Any = None) -> Any:
    choices = [(m.pk, f"{m.get_kind_display()}: {m.label or address_masked(m)}") for m in methods]
    initial = [
        {"kind": r.kind, "contact_method": r.contact_method_id, "wait_minutes": r.wait_minutes or None} for r in rules
    ]
    return RuleFormSet(data, prefix=chain, initial=None if data else initial, form_kwargs={"methods": choices})


def person_page(request: HttpRequest, person: Any, *, status: int = 200, **extra: Any) -> HttpResponse:
    """A person's page; ``extra`` are bound forms to show back, or the feed URL just made."""
    own = person.pk == request.user.pk
    now = timezone.now()
    methods = list(contact_methods_of(user_id=person.pk))
    rules = list(rules_of(user_id=person.pk))
    chains = {}
    for chain, important in CHAINS.items():
        mine = [r for r in rules if r.important == important]
        chains[chain] = {
            "rules": mine,
            "formset": extra.get(f"{chain}_formset") or _rule_formset(chain, methods, mine),
            "error": extra.get(f"{chain}_error", ""),
        }
    context = {
        "person": person,
        "person_label": user_label(person),
        "own": own,
        "teams": teams_of(user_id=person.pk),
        # Addresses are shown masked, and only to their owner.
        "methods": [(m, address_masked(m) if own else "") for m in methods],
        "chains": chains,
        "shifts": shifts_of(user_id=person.pk, start=now, end=now + MY_SHIFTS),
        "method_form": extra.get("method_form") or ContactMethodForm(),
        "feed_url": extra.get("feed_url"),
        "rule_kinds": RuleKind,
        **roles(request),
    }
    return render(request, "oncall/person.html", context, status=status)


class PersonView(RoleRequiredMixin, View):
    """``/oncall/people/<pk>/`` (read-only unless it is you) and ``/oncall/me/``."""

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        person = get_object_or_404(User, pk=pk) if pk else request.user
        return person_page(request, person)


class _OwnWrite(RoleRequiredMixin, View):
    """Writes to the signed-in person's own settings (responder)."""

    read_role = Role.RESPONDER
    write_role = Role.RESPONDER


class ContactMethodCreateView(_OwnWrite):
    def post(self, request: HttpRequest) -> HttpResponse:
        form = ContactMethodForm(request.POST)
        if form.is_valid():
            try:
                method = svc.contact_method_create(user=request.user, **form.cleaned_data)
            except DomainError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, f"{method.get_kind_display()} added. Send yourself a test to verify it.")
                return redirect("oncall:me")
        return person_page(request, request.user, method_form=form, status=400)


class ContactMethodTestView(_OwnWrite):
    def post(self, request: HttpRequest, method_pk: int) -> HttpResponse:
        method = get_object_or_404(ContactMethod, pk=method_pk, user=request.user)
        method = svc.contact_method_test(method=method, now=timezone.now())
        if method.last_test_result == "Delivered":
            messages.success(request, f"Test delivered to {address_masked(method)}: the method is verified.")
        else:
            messages.warning(request, f"Test not delivered: {method.last_test_result}")
        return redirect("oncall:me")


class ContactMethodDeleteView(_OwnWrite):
    def get(self, request: HttpRequest, method_pk: int) -> HttpResponse:
        method = get_object_or_404(ContactMethod, pk=method_pk, user=request.user)
        context = {
            "title": f"Delete {method.get_kind_display()} {address_masked(method)}?",
            "text": "Notification rules that use it are deleted with it, so your chains get shorter.",
            "button": "Delete contact method",
            "back": reverse("oncall:me"),
        }
        return render(request, "sre/confirm.html", context)

    def post(self, request: HttpRequest, method_pk: int) -> HttpResponse:
        svc.contact_method_delete(method=get_object_or_404(ContactMethod, pk=method_pk, user=request.user))
        messages.success(request, "Contact method deleted.")
        return redirect("oncall:me")


class RulesView(_OwnWrite):
    """Replace one chain (``default`` or ``important``) of the person's notification rules."""

    def post(self, request: HttpRequest, chain: str) -> HttpResponse:
        if chain not in CHAINS:
            return redirect("oncall:me")
        methods = list(contact_methods_of(user_id=request.user.pk))
        formset = _rule_formset(chain, methods, [], data=request.POST)
        error = ""
        if formset.is_valid():
            try:
                svc.rules_replace(user=request.user, important=CHAINS[chain], rules=rules_data(formset))
            except DomainError as exc:
                error = exc.message
            else:
                messages.success(request, f"{chain.capitalize()} notification rules saved.")
                return redirect("oncall:me")
        extra = {f"{chain}_formset": formset, f"{chain}_error": error}
        return person_page(request, request.user, status=400, **extra)


class FeedTokenView(_OwnWrite):
    """Make (or remake) the secret URL of the person's iCal feed and show it once."""

    def post(self, request: HttpRequest) -> HttpResponse:
        token = svc.feed_token_create(user=request.user)
        url = request.build_absolute_uri(reverse("oncall:person-feed", args=[token]))
        messages.success(request, "New feed URL made; the previous one no longer works. Copy it now: it is shown once.")
        return person_page(request, request.user, feed_url=url)


# Teams


class TeamsView(RoleRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        teams = teams_with_schedules()
        return render(request, "oncall/teams.html", {"teams": teams, **roles(request)})


class TeamEditView(RoleRequiredMixin, View):
    read_role = Role.ADMIN

    def _render(self, request: HttpRequest, form: TeamForm, team: Team | None, status: int = 200) -> HttpResponse:
        return render(request, "oncall/team_form.html", {"form": form, "team": team}, status=status)

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        team = get_object_or_404(Team, pk=pk) if pk else None
        initial = {}
        if team is not None:
            initial = {"name": team.name, "slug": team.slug, "description": team.description}
            initial["members"] = team_member_ids(team_id=team.pk)
        return self._render(request, TeamForm(initial=initial), team)

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        team = get_object_or_404(Team, pk=pk) if pk else None
        form = TeamForm(request.POST)
        if form.is_valid():
            try:
                saved = svc.team_save(team=team, data=form.service_data())
            except DomainError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, f"Team “{saved.name}” saved.")
                return redirect("oncall:teams")
        return self._render(request, form, team, status=400)


class TeamDeleteView(RoleRequiredMixin, View):
    read_role = Role.ADMIN

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        team = get_object_or_404(Team, pk=pk)
        context = {
            "title": f"Delete team “{team.name}”?",
            "text": "Its schedules and policies stay (without a team); its severity → policy matrix is deleted.",
            "button": "Delete team",
            "back": reverse("oncall:teams"),
        }
        return render(request, "sre/confirm.html", context)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        team = get_object_or_404(Team, pk=pk)
        try:
            svc.team_delete(team=team)
        except DomainError as exc:
            messages.warning(request, exc.message)
            return redirect("oncall:teams")
        messages.success(request, f"Team “{team.name}” deleted.")
        return redirect("oncall:teams")
