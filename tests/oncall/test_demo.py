"""The ``make run`` demo: a burn alert pages the on-call demo user, escalates to the team when nobody
acknowledges, and stops when the email's acknowledge link is used."""

from __future__ import annotations

import datetime as dt
import re

from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from alerts.services import alert_raise
from oncall.choices import EscalationState
from oncall.models import Escalation, Page, PersonNotification
from oncall.selectors import schedule_list, schedule_oncall_at
from oncall.services.dispatch import notifications_sweep
from oncall.services.escalation import oncall_tick

BURN = {"alertname": "SLOBurnRate", "service": "checkout", "slo": "availability", "severity": "page"}


def test_demo_burn_alert_pages_escalates_and_stops_on_the_acknowledge_link(db, django_capture_on_commit_callbacks):
    call_command("seed_demo", history_days=0)
    call_command("seed_demo", history_days=0)  # idempotent: still one schedule, one policy
    schedule = schedule_list().get(name="payments primary")
    now = timezone.now()
    (on_call,) = schedule_oncall_at(schedule, at=now)
    with django_capture_on_commit_callbacks(execute=True):
        alert = alert_raise(labels=BURN, annotations={"summary": "burning 14.4x"}, status="firing", source="slo",
                            now=now)  # fmt: skip
    group = alert.groups.get()
    escalation = Escalation.objects.get(group=group)
    now = timezone.now()  # the hook started the escalation after commit, a moment later
    oncall_tick(now=now)
    assert [p.user_id for p in Page.objects.filter(escalation=escalation)] == [int(on_call)]
    notifications_sweep(now=now)
    assert len(mail.outbox) == 1
    # Nobody acknowledges: two minutes later the whole team is paged.
    oncall_tick(now=now + dt.timedelta(minutes=2, seconds=1))
    assert Page.objects.filter(escalation=escalation).count() == 3
    notifications_sweep(now=now + dt.timedelta(minutes=2, seconds=1))
    assert PersonNotification.objects.filter(group=group, state="delivered").count() == 3
    link = re.search(r"^acknowledge: https?://[^/]+(/\S+)", mail.outbox[0].body, re.MULTILINE).group(1)
    response = Client().post(link)
    assert response.status_code == 200, response.content
    escalation.refresh_from_db()
    assert escalation.state == EscalationState.ACKNOWLEDGED
    oncall_tick(now=now + dt.timedelta(minutes=10))
    assert Page.objects.filter(escalation=escalation).count() == 3


def test_the_demo_override_changes_who_is_on_call(db):
    call_command("seed_demo", history_days=0)
    schedule = schedule_list().get(name="payments primary")
    override = schedule.overrides.get()
    middle = override.start + (override.end - override.start) / 2
    before = override.start - dt.timedelta(hours=1)
    assert schedule_oncall_at(schedule, at=middle) == (str(override.user_id),)
    assert schedule_oncall_at(schedule, at=before) != (str(override.user_id),)
