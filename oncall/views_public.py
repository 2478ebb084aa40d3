"""Pages reached without signing in, through a credential in the URL: a page's single-use action links and a
person's secret iCal feed. GET never acts (mail scanners open links): it shows what the link will do and a
button; POST acts once."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from alerts.selectors import group_with_alerts
from oncall.choices import LinkAction
from oncall.domain import ical as ical_domain
from oncall.domain.schedule import Shift
from oncall.selectors import feed_owner, shifts_of
from oncall.services.links import link_read, link_use, link_used
from oncall.services.people import feed_digest
from sre.errors import DomainError


class ActionLinkView(View):
    """``/oncall/a/<token>/``: confirm, then acknowledge / resolve / escalate / silence the group once."""

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            claim = link_read(token)
        except DomainError as exc:
            return render(request, "oncall/action_link.html", {"error": exc.message}, status=400)
        group = group_with_alerts(group_id=claim.group_id)
        context = {"claim": claim, "group": group, "used": link_used(claim), "action": _label(claim.action)}
        return render(request, "oncall/action_link.html", context)

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            outcome = link_use(token=token, now=timezone.now())
        except DomainError as exc:
            return render(request, "oncall/action_link.html", {"error": exc.message}, status=exc.status)
        return render(request, "oncall/action_link.html", {"done": outcome})


def _label(action: str) -> str:
    return LinkAction(action).label


class PersonFeedView(View):
    """``/oncall/feed/<token>.ics``: the person's shifts on every schedule, 7 days back to 60 ahead."""

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        found = feed_owner(token_digest=feed_digest(token))
        if found is None or not token or not found.user.is_active:
            return HttpResponse("Unknown feed.", status=404, content_type="text/plain")
        now = timezone.now()
        pairs = shifts_of(user_id=found.user_id, start=now - timedelta(days=7), end=now + timedelta(days=60))
        name = found.user.get_full_name() or found.user.get_username()
        shifts = [ical_domain_shift(schedule.name, shift) for schedule, shift in pairs]
        text = ical_domain.ical_export(name=f"On call: {name}", shifts=shifts, now=now)
        return HttpResponse(text, content_type="text/calendar; charset=utf-8")


def ical_domain_shift(schedule_name: str, shift: Shift) -> Shift:
    return Shift(start=shift.start, end=shift.end, people=(schedule_name,), source=shift.source)
