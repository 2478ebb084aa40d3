"""Signed action links from pages: work without signing in, once each, until they expire; GET never acts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client

from alerts.choices import GroupState
from alerts.models import AlertGroup
from oncall.choices import EscalationState, StepKind
from oncall.models import Escalation, Page, PersonNotification, RoutePolicy
from oncall.services.dispatch import notification_deliver
from oncall.services.escalation import escalation_advance, group_escalate
from oncall.services.links import link_make
from oncall.services.people import feed_token_create
from oncall.services.policies import policy_save
from tests.oncall.conftest import NOW
from tests.oncall.test_escalation import LABELS, fire


@pytest.fixture
def paged_group(root_route, person):
    alice, bob = person("alice"), person("bob")
    policy = policy_save(policy=None, data={"name": "p", "steps": [
        {"kind": StepKind.NOTIFY_PERSONS, "persons": [alice.pk]},
        {"kind": StepKind.WAIT, "wait_minutes": 5},
        {"kind": StepKind.NOTIFY_PERSONS, "persons": [bob.pk]},
    ]})  # fmt: skip
    RoutePolicy.objects.create(route=root_route, policy=policy)
    group = fire()
    escalation = group_escalate(group_id=group.pk, firing_labels=[LABELS], now=NOW)
    escalation_advance(escalation_id=escalation.pk, now=NOW)
    (row,) = PersonNotification.objects.all()
    notification_deliver(notification_id=row.pk, now=NOW)
    return group, escalation


def link_from_mail(action: str) -> str:
    (message,) = mail.outbox
    found = re.search(rf"^{action}: (http\S+)", message.body, re.MULTILINE)
    assert found, message.body
    return found.group(1).split("://", 1)[1].split("/", 1)[1]


def test_acknowledge_link_from_the_email_stops_the_escalation_once(paged_group):
    group, escalation = paged_group
    path = "/" + link_from_mail("acknowledge")
    phone = Client(enforce_csrf_checks=True)  # not signed in
    page = phone.get(path)
    assert page.status_code == 200
    assert b"Acknowledge" in page.content
    assert AlertGroup.objects.get(pk=group.pk).state == GroupState.FIRING  # GET did nothing
    assert AlertGroup.objects.get(pk=group.pk).acknowledged_at is None
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
    done = phone.post(path, {"csrfmiddlewaretoken": token})
    assert done.status_code == 200
    assert b"Acknowledged" in done.content
    group.refresh_from_db()
    assert group.state == GroupState.ACKNOWLEDGED
    assert group.acknowledged_by == "alice (link)"
    escalation.refresh_from_db()
    assert escalation.state == EscalationState.ACKNOWLEDGED
    escalation_advance(escalation_id=escalation.pk, now=NOW + dt.timedelta(minutes=10))
    assert list(Page.objects.values_list("person", flat=True)) == ["alice"]
    again = phone.post(path, {"csrfmiddlewaretoken": token})
    assert again.status_code == 400
    assert b"already been used" in again.content


def test_escalate_now_link_runs_the_next_step(paged_group):
    path = "/" + link_from_mail("escalate")
    client = Client()
    response = client.post(path)
    assert response.status_code == 200, response.content
    assert sorted(Page.objects.values_list("person", flat=True)) == ["alice", "bob"]


def test_tampered_and_expired_links_are_refused(paged_group, settings):
    group, _ = paged_group
    client = Client()
    good = link_make(group_id=group.pk, action="resolve", user_id=None).split("8000", 1)[-1]
    tampered = good[:-3] + ("AAA" if not good.endswith("AAA/") else "BBB") + "/"
    assert client.post(tampered).status_code == 400
    settings.SRE = {**settings.SRE, "ONCALL_LINK_HOURS": 0}
    response = client.post(good)
    assert response.status_code == 400
    assert b"expired" in response.content
    assert AlertGroup.objects.get(pk=group.pk).state == GroupState.FIRING


def test_silence_link_silences_for_an_hour(paged_group):
    _, escalation = paged_group
    response = Client().post("/" + link_from_mail("silence_1h"))
    assert response.status_code == 200, response.content
    escalation.refresh_from_db()
    assert escalation.state == EscalationState.SILENCED
    assert Escalation.objects.filter(state=EscalationState.ACTIVE).count() == 0


def test_personal_ical_feed_at_a_secret_url(make_user, db):
    from oncall.models import Layer, Schedule

    alice = make_user(username="alice")
    schedule = Schedule.objects.create(name="primary", time_zone="UTC")
    Layer.objects.create(schedule=schedule, participants=[alice.pk], rotation="days", every=1,
                         start_date=dt.date(2026, 1, 1), handoff_time=dt.time(9))  # fmt: skip
    token = feed_token_create(user=alice)
    response = Client().get(f"/oncall/feed/{token}.ics")
    assert response.status_code == 200
    assert b"BEGIN:VEVENT" in response.content and b"primary" in response.content
    assert Client().get("/oncall/feed/wrong.ics").status_code == 404
    feed_token_create(user=alice)  # regenerated: the old URL stops working
    assert Client().get(f"/oncall/feed/{token}.ics").status_code == 404
