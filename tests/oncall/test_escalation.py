"""Escalations: each step once, waits, stopping on acknowledge, failures that never stall, frozen snapshots."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from alerts.choices import GroupEventKind, GroupState
from alerts.models import AlertGroup, GroupEvent
from alerts.services import alert_raise, group_acknowledge, group_resolve
from oncall import senders
from oncall.choices import DeliveryState, EscalationState, StepKind
from oncall.models import Escalation, Layer, Page, PersonNotification, RoutePolicy, Schedule
from oncall.services.dispatch import notification_deliver, notifications_sweep
from oncall.services.escalation import escalation_advance, group_escalate, oncall_tick
from oncall.services.policies import policy_save
from sre.errors import InvalidInputError
from tests.oncall.conftest import NOW

LABELS = {"alertname": "CheckoutDown", "service": "checkout", "severity": "warning"}


def fire(now=NOW, labels=None):
    alert = alert_raise(labels=labels or LABELS, annotations={"summary": "checkout is down"}, status="firing",
                        source="test", now=now)  # fmt: skip
    return alert.groups.get()


def two_step_policy(alice, bob, root_route, **extra):
    policy = policy_save(
        policy=None,
        data={
            "name": "checkout",
            "steps": [
                {"kind": StepKind.NOTIFY_PERSONS, "persons": [alice.pk]},
                {"kind": StepKind.WAIT, "wait_minutes": 5},
                {"kind": StepKind.NOTIFY_PERSONS, "persons": [bob.pk]},
            ],
            **extra,
        },
    )
    RoutePolicy.objects.create(route=root_route, policy=policy)
    return policy


def paged(group):
    return list(Page.objects.filter(escalation__group=group).order_by("pk").values_list("person", flat=True))


def events(group, kind=GroupEventKind.ESCALATION):
    return list(GroupEvent.objects.filter(group=group, kind=kind).order_by("pk").values_list("message", flat=True))


def test_escalates_to_the_next_person_when_nobody_acknowledges(root_route, person):
    alice, bob = person("alice"), person("bob")
    two_step_policy(alice, bob, root_route)
    group = fire()
    escalation = group_escalate(group_id=group.pk, firing_labels=[LABELS], now=NOW)
    assert escalation_advance(escalation_id=escalation.pk, now=NOW) == "not_due"  # step 1 ran as it started
    assert paged(group) == ["alice"]
    assert escalation_advance(escalation_id=escalation.pk, now=NOW + dt.timedelta(minutes=4)) == "not_due"
    assert paged(group) == ["alice"]
    escalation_advance(escalation_id=escalation.pk, now=NOW + dt.timedelta(minutes=5))
    assert paged(group) == ["alice", "bob"]
    escalation.refresh_from_db()
    assert escalation.state == EscalationState.EXHAUSTED
    assert any("notifying alice" in m for m in events(group))
    # The ledger: one row per person, sent by email with the signed acknowledge link.
    rows = PersonNotification.objects.filter(group=group).order_by("pk")
    assert [r.user.username for r in rows] == ["alice", "bob"]
    for row in rows:
        assert notification_deliver(notification_id=row.pk, now=NOW + dt.timedelta(minutes=6)) == "delivered"
    assert [m.to for m in mail.outbox] == [["alice@example.com"], ["bob@example.com"]]
    assert "/oncall/a/" in mail.outbox[0].body


def test_running_a_step_twice_pages_once(root_route, person):
    alice, bob = person("alice"), person("bob")
    two_step_policy(alice, bob, root_route)
    group = fire()
    escalation = group_escalate(group_id=group.pk, firing_labels=[LABELS], now=NOW)
    later = NOW + dt.timedelta(minutes=5, seconds=1)
    for at in (NOW, NOW, later, later):
        escalation_advance(escalation_id=escalation.pk, now=at)
    oncall_tick(now=later)
    assert paged(group) == ["alice", "bob"]
    assert PersonNotification.objects.filter(group=group).count() == 2


def test_acknowledge_stops_the_escalation(root_route, person):
    alice, bob = person("alice"), person("bob")
    two_step_policy(alice, bob, root_route)
    group = fire()
    escalation = group_escalate(group_id=group.pk, firing_labels=[LABELS], now=NOW)
    escalation_advance(escalation_id=escalation.pk, now=NOW)
    group_acknowledge(group_id=group.pk, actor="alice", now=NOW + dt.timedelta(minutes=1))
    assert escalation_advance(escalation_id=escalation.pk, now=NOW + dt.timedelta(minutes=5)) == "stopped"
    escalation.refresh_from_db()
    assert escalation.state == EscalationState.ACKNOWLEDGED
    assert paged(group) == ["alice"]


def test_a_group_firing_again_after_resolving_escalates_again(root_route, person):
    alice, bob = person("alice"), person("bob")
    two_step_policy(alice, bob, root_route)
    group = fire()
    first = group_escalate(group_id=group.pk, firing_labels=[LABELS], now=NOW)
    group_resolve(group_id=group.pk, actor="alice", now=NOW + dt.timedelta(minutes=1))
    group_escalate(group_id=group.pk, firing_labels=[], now=NOW + dt.timedelta(minutes=1))
    first.refresh_from_db()
    assert first.state == EscalationState.RESOLVED
    # A new episode: the source fires again.
    fire(now=NOW + dt.timedelta(minutes=10), labels={**LABELS, "instance": "b"})
    group.refresh_from_db()
    assert group.state == GroupState.FIRING
    second = group_escalate(group_id=group.pk, firing_labels=[LABELS], now=NOW + dt.timedelta(minutes=10))
    assert second is not None and second.pk != first.pk


def test_person_without_contact_method_never_stalls_the_policy(root_route, person, make_user):
    nobody = make_user("responder", username="nobody")
    bob = person("bob")
    policy = policy_save(policy=None, data={"name": "p", "steps": [
        {"kind": StepKind.NOTIFY_PERSONS, "persons": [nobody.pk]},
        {"kind": StepKind.NOTIFY_PERSONS, "persons": [bob.pk]},
    ]})  # fmt: skip
    RoutePolicy.objects.create(route=root_route, policy=policy)
    group = fire()
    escalation = group_escalate(group_id=group.pk, firing_labels=[LABELS], now=NOW)
    escalation_advance(escalation_id=escalation.pk, now=NOW)
    assert paged(group) == ["nobody", "bob"]
    failures = events(group, GroupEventKind.PAGE_FAILED)
    assert failures == ["nobody has no notification rules and no verified method"]


def test_schedule_with_nobody_on_call_is_a_failed_step_and_the_next_runs(root_route, person):
    bob = person("bob")
    empty = Schedule.objects.create(name="empty", time_zone="UTC")
    policy = policy_save(policy=None, data={"name": "p", "steps": [
        {"kind": StepKind.NOTIFY_SCHEDULE, "schedule": empty.pk},
        {"kind": StepKind.NOTIFY_PERSONS, "persons": [bob.pk]},
    ]})  # fmt: skip
    RoutePolicy.objects.create(route=root_route, policy=policy)
    group = fire()
    escalation = group_escalate(group_id=group.pk, firing_labels=[LABELS], now=NOW)
    escalation_advance(escalation_id=escalation.pk, now=NOW)
    assert paged(group) == ["bob"]
    assert any("nobody to notify (on call on empty)" in m for m in events(group))


def test_schedule_edited_during_an_escalation_does_not_change_it(root_route, person):
    alice, bob = person("alice"), person("bob")
    schedule = Schedule.objects.create(name="primary", time_zone="UTC")
    layer = Layer.objects.create(schedule=schedule, participants=[alice.pk], rotation="weeks", every=1,
                                 start_date=dt.date(2026, 1, 1), handoff_time=dt.time(9, 0))  # fmt: skip
    policy = policy_save(policy=None, data={"name": "p", "steps": [
        {"kind": StepKind.WAIT, "wait_minutes": 5},
        {"kind": StepKind.NOTIFY_SCHEDULE, "schedule": schedule.pk},
    ]})  # fmt: skip
    RoutePolicy.objects.create(route=root_route, policy=policy)
    group = fire()
    escalation = group_escalate(group_id=group.pk, firing_labels=[LABELS], now=NOW)
    escalation_advance(escalation_id=escalation.pk, now=NOW)
    layer.participants = [bob.pk]
    layer.save()
    policy_save(policy=policy, data={"steps": [{"kind": StepKind.NOTIFY_PERSONS, "persons": [bob.pk]}]})
    escalation_advance(escalation_id=escalation.pk, now=NOW + dt.timedelta(minutes=5))
    assert paged(group) == ["alice"]


def test_a_late_step_is_marked_late_on_the_timeline(root_route, person):
    alice, bob = person("alice"), person("bob")
    two_step_policy(alice, bob, root_route)
    group = fire()
    escalation = group_escalate(group_id=group.pk, firing_labels=[LABELS], now=NOW)
    escalation_advance(escalation_id=escalation.pk, now=NOW)
    # Beat and the worker were down: the due step runs 5 minutes late, once.
    oncall_tick(now=NOW + dt.timedelta(minutes=10))
    oncall_tick(now=NOW + dt.timedelta(minutes=10, seconds=5))
    assert paged(group) == ["alice", "bob"]
    assert any(m.startswith("Step 3: notifying bob") and "(late by 300 s)" in m for m in events(group))


def test_policies_that_continue_with_each_other_are_refused(db):
    first = policy_save(policy=None, data={"name": "first", "steps": []})
    second = policy_save(policy=None, data={"name": "second", "steps": [
        {"kind": StepKind.POLICY, "target_policy": first.pk}]})  # fmt: skip
    with pytest.raises(InvalidInputError) as caught:
        policy_save(policy=first, data={"steps": [{"kind": StepKind.POLICY, "target_policy": second.pk}]})
    assert "steps" in caught.value.fields
    assert "first → second → first" in caught.value.message


def test_round_robin_pages_one_person_per_run(root_route, person):
    alice, bob = person("alice"), person("bob")
    policy = policy_save(policy=None, data={"name": "rr", "steps": [
        {"kind": StepKind.NOTIFY_PERSONS, "persons": [alice.pk, bob.pk], "round_robin": True},
        {"kind": StepKind.WAIT, "wait_minutes": 1},
        {"kind": StepKind.REPEAT, "repeat_times": 1},
    ]})  # fmt: skip
    RoutePolicy.objects.create(route=root_route, policy=policy)
    group = fire()
    escalation = group_escalate(group_id=group.pk, firing_labels=[LABELS], now=NOW)
    escalation_advance(escalation_id=escalation.pk, now=NOW)
    escalation_advance(escalation_id=escalation.pk, now=NOW + dt.timedelta(minutes=1))
    escalation_advance(escalation_id=escalation.pk, now=NOW + dt.timedelta(minutes=2))
    assert paged(group) == ["alice", "bob"]


def test_time_window_holds_the_escalation_until_it_opens(root_route, person):
    alice = person("alice")
    # NOW is Monday 12:00 UTC; the window opens at 18:00.
    policy = policy_save(policy=None, data={"name": "evening", "steps": [
        {"kind": StepKind.TIME_WINDOW, "window": {"weekdays": [0], "start": "18:00", "end": "20:00"}},
        {"kind": StepKind.NOTIFY_PERSONS, "persons": [alice.pk]},
    ]})  # fmt: skip
    RoutePolicy.objects.create(route=root_route, policy=policy)
    group = fire()
    escalation = group_escalate(group_id=group.pk, firing_labels=[LABELS], now=NOW)
    escalation_advance(escalation_id=escalation.pk, now=NOW)
    escalation.refresh_from_db()
    assert escalation.due_at == NOW.replace(hour=18)
    assert paged(group) == []
    escalation_advance(escalation_id=escalation.pk, now=NOW.replace(hour=18))
    assert paged(group) == ["alice"]


def test_critical_alerts_use_important_rules_and_failed_delivery_is_retried(root_route, person, settings):
    from oncall.models import ContactMethod, NotificationRule

    alice = person("alice")
    hook = ContactMethod.objects.create(user=alice, kind="webhook", address="http://127.0.0.1:9/x", verified_at=NOW)
    NotificationRule.objects.create(user=alice, important=True, position=0, kind="notify", contact_method=hook)
    policy = policy_save(policy=None, data={"name": "p", "steps": [
        {"kind": StepKind.NOTIFY_PERSONS, "persons": [alice.pk]}]})  # fmt: skip
    RoutePolicy.objects.create(route=root_route, policy=policy)
    settings.SRE = {**settings.SRE, "ALERTS_ALLOW_PRIVATE_TARGETS": True, "ONCALL_MAX_ATTEMPTS": 2}
    group = fire(labels={**LABELS, "severity": "critical"})
    escalation = group_escalate(group_id=group.pk, firing_labels=[{**LABELS, "severity": "critical"}], now=NOW)
    escalation_advance(escalation_id=escalation.pk, now=NOW)
    (row,) = PersonNotification.objects.filter(group=group)
    assert row.kind == "webhook"
    assert notification_deliver(notification_id=row.pk, now=NOW) == "retry"
    notifications_sweep(now=NOW + dt.timedelta(minutes=1))
    row.refresh_from_db()
    assert row.state == DeliveryState.FAILED and row.attempts == 2
    assert any("alice: Signed webhook failed" in m for m in events(group, GroupEventKind.PAGE_FAILED))


def test_no_policy_means_no_escalation(root_route):
    group = fire()
    assert group_escalate(group_id=group.pk, firing_labels=[LABELS], now=NOW) is None
    assert not Escalation.objects.exists()
    assert AlertGroup.objects.get().state == GroupState.FIRING


def test_the_alert_group_page_shows_the_escalation_and_who_was_paged(root_route, person, session_client):
    alice, bob = person("alice"), person("bob")
    two_step_policy(alice, bob, root_route)
    group = fire()
    group_escalate(group_id=group.pk, firing_labels=[LABELS], now=NOW)
    page = session_client("viewer").get(f"/alerts/groups/{group.pk}/")
    assert page.status_code == 200
    card = page.content.decode().split('data-testid="group-oncall"', 1)[1].split("</section>", 1)[0]
    assert "checkout" in card and "Escalating" in card and "Paged: alice" in card
    assert "alice" in card.split("<table", 1)[1]  # the ledger row


def test_one_broken_escalation_does_not_hold_up_the_others_in_the_tick(root_route, person):
    alice, bob = person("alice"), person("bob")
    two_step_policy(alice, bob, root_route)
    broken = fire(labels={**LABELS, "alertname": "Broken"})
    group = fire()
    first = group_escalate(group_id=broken.pk, firing_labels=[LABELS], now=NOW)
    second = group_escalate(group_id=group.pk, firing_labels=[LABELS], now=NOW)
    Escalation.objects.filter(pk=first.pk).update(snapshot={"steps": [{"kind": "wait", "wait_minutes": "x"}]}, step=0)
    result = oncall_tick(now=NOW + dt.timedelta(minutes=5))
    assert result["failed"] == 1
    assert paged(group) == ["alice", "bob"]
    second.refresh_from_db()
    assert second.state == EscalationState.EXHAUSTED


def test_the_page_carries_the_alerts_severity(root_route, person, monkeypatch):
    alice, bob = person("alice"), person("bob")
    two_step_policy(alice, bob, root_route)
    group = fire(labels={**LABELS, "severity": "page"})
    group_escalate(group_id=group.pk, firing_labels=[{**LABELS, "severity": "page"}], now=NOW)
    sent = []
    monkeypatch.setattr(
        senders, "contact_send", lambda **kw: sent.append(kw["message"]) or senders.ContactResult(ok=True)
    )
    (row,) = PersonNotification.objects.filter(group=group)
    notification_deliver(notification_id=row.pk, now=NOW)
    assert [m.severity for m in sent] == ["page"]
