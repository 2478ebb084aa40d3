"""HTML pages of the heartbeats app: the list, a check's page (ping URL for responders and admins, schedule in
words, last pings, run-duration chart), create/edit forms, delete, pause/resume and a new ping URL."""

from __future__ import annotations

from zoneinfo import available_timezones

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from heartbeats.charts import CHART_PINGS, ping_chart
from heartbeats.choices import CheckState
from heartbeats.domain.schedule import timing_in_words
from heartbeats.forms import CheckForm
from heartbeats.models import Check
from heartbeats.selectors import RECENT_PINGS, check_get, check_list, ping_url, recent_pings, timing_of
from heartbeats.services import check_delete, check_pause, check_ping_key_regenerate, check_resume, check_save
from sre.auth.roles import user_has_role
from sre.auth.views import RoleRequiredMixin
from sre.choices import Role
from sre.errors import DomainError

EXAMPLE_URL = "/api/v1/heartbeats/<uuid>"
ZONES = sorted(available_timezones())


def _check_or_404(pk: int) -> Check:
    try:
        return check_get(pk=pk)
    except Check.DoesNotExist:
        raise Http404("No such heartbeat check.") from None


class IndexView(RoleRequiredMixin, View):
    """Every check with its state, last ping and when it is next due."""

    def get(self, request: HttpRequest) -> HttpResponse:
        checks = list(check_list())
        for check in checks:
            check.schedule_words = timing_in_words(timing_of(check))
        counts = {state: sum(c.state == state for c in checks) for state in CheckState.values}
        context = {
            "checks": checks,
            "counts": counts,
            "alerting": counts[CheckState.DOWN] + counts[CheckState.FAILED],
            "example_url": settings.SRE["BASE_URL"].rstrip("/") + EXAMPLE_URL,
        }
        return render(request, "heartbeats/index.html", context)


class DetailView(RoleRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        check = _check_or_404(pk)
        pings = recent_pings(check_id=check.pk, limit=max(RECENT_PINGS, CHART_PINGS))
        context = {
            "check": check,
            "schedule_words": timing_in_words(timing_of(check)),
            "pings": pings[:RECENT_PINGS],
            "chart": ping_chart(pings),
            "ping_url": ping_url(check) if user_has_role(request.user, Role.RESPONDER) else None,
            "alert_firing": (check.alert_labels or {}).get("alertname"),
            "now": timezone.now(),
        }
        return render(request, "heartbeats/detail.html", context)


class _FormView(RoleRequiredMixin, View):
    read_role = Role.ADMIN

    def _render(self, request: HttpRequest, form: CheckForm, check: Check | None) -> HttpResponse:
        status = 400 if form.is_bound and form.errors else 200
        return render(request, "heartbeats/form.html", {"form": form, "check": check, "zones": ZONES}, status=status)

    def _save(self, request: HttpRequest, check: Check | None) -> HttpResponse:
        form = CheckForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, check)
        try:
            saved = check_save(check=check, data=form.cleaned_for_service(), now=timezone.now())
        except DomainError as exc:
            form.add_service_errors(exc.fields, exc.message)
            return self._render(request, form, check)
        messages.success(request, f"Heartbeat check “{saved.name}” saved.")
        return redirect("heartbeats:detail", pk=saved.pk)


class CheckCreateView(_FormView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, CheckForm(), None)

    def post(self, request: HttpRequest) -> HttpResponse:
        return self._save(request, None)


class CheckEditView(_FormView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        check = _check_or_404(pk)
        return self._render(request, CheckForm(initial=CheckForm.initial_of(check)), check)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._save(request, _check_or_404(pk))


class CheckDeleteView(RoleRequiredMixin, View):
    read_role = Role.ADMIN

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, "heartbeats/confirm.html", {"check": _check_or_404(pk), "action": "delete"})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        check = _check_or_404(pk)
        check_delete(check=check, now=timezone.now())
        messages.success(request, f"Heartbeat check “{check.name}” and its pings were deleted.")
        return redirect("heartbeats:index")


class PingKeyView(RoleRequiredMixin, View):
    """GET asks for confirmation; POST makes a new ping URL (the old one stops working)."""

    read_role = Role.ADMIN

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, "heartbeats/confirm.html", {"check": _check_or_404(pk), "action": "ping-key"})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        check = check_ping_key_regenerate(check=_check_or_404(pk))
        messages.success(request, "New ping URL made: give it to the job; the old URL now answers 404.")
        return redirect("heartbeats:detail", pk=check.pk)


class PauseView(RoleRequiredMixin, View):
    write_role = Role.RESPONDER

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        check = check_pause(check=_check_or_404(pk), now=timezone.now())
        messages.success(request, f"“{check.name}” is paused: pings are recorded, nothing alerts.")
        return redirect("heartbeats:detail", pk=check.pk)


class ResumeView(RoleRequiredMixin, View):
    write_role = Role.RESPONDER

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        check = check_resume(check=_check_or_404(pk), now=timezone.now())
        messages.success(request, f"“{check.name}” is monitored again ({check.get_state_display().lower()}).")
        return redirect("heartbeats:detail", pk=check.pk)
