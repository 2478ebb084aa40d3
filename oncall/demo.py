"""Demo on-call set-up for ``make run``: idempotent, called from ``sre.demo.services.demo_seed``.

A "payments" team whose two demo users rotate weekly on a schedule (with one override), reachable by email
(files in ``var/mail/`` with the default ``EMAIL_URL``), and a policy on the demo "paging" route: page whoever
is on call, wait 2 minutes, page the whole team, then once more. A burn alert therefore pages the on-call
demo user, escalates when nobody acknowledges, and stops when the email's acknowledge link is opened."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction

from alerts.models import Route
from oncall.choices import ContactKind, StepKind
from oncall.models import ContactMethod, EscalationPolicy, Override, Schedule
from oncall.services.people import team_save
from oncall.services.policies import policy_save, route_policy_set
from oncall.services.schedules import layer_save, schedule_save

TEAM = "payments"
SCHEDULE = "payments primary"
POLICY = "payments paging"
PEOPLE = ("demo-responder", "demo-admin")


def oncall_demo_seed(*, now: datetime) -> None:
    """Create the demo team, schedule, override, contact methods and policy unless the schedule exists."""
    User = get_user_model()
    users = list(User.objects.filter(username__in=PEOPLE).order_by("-username"))
    if len(users) != len(PEOPLE) or Schedule.objects.filter(name=SCHEDULE).exists():
        return
    with transaction.atomic():
        for user in users:
            if not user.email:
                user.email = f"{user.username}@example.com"
                user.save(update_fields=["email"])
            ContactMethod.objects.get_or_create(
                user=user, kind=ContactKind.EMAIL,
                defaults={"address": user.email, "label": "email (var/mail)", "verified_at": now},
            )  # fmt: skip
        team = team_save(team=None, data={"name": TEAM, "members": [u.pk for u in users]})
        schedule = schedule_save(schedule=None, data={"name": SCHEDULE, "team": team, "time_zone": "UTC"})
        monday = (now - timedelta(days=now.weekday())).date()
        layer_save(schedule=schedule, layer=None, data={
            "name": "weekly", "level": 0, "rotation": "weeks", "every": 1, "start_date": monday,
            "handoff_time": time(9, 0), "participants": [u.pk for u in users],
        })  # fmt: skip
        # Next week is users[1]'s turn; users[0] covers Wednesday afternoon of it, so the override shows.
        cover = datetime.combine(monday + timedelta(days=9), time(12, 0), tzinfo=now.tzinfo)
        Override.objects.create(schedule=schedule, user=users[0], start=cover, end=cover + timedelta(hours=6),
                                created_by="demo")  # fmt: skip
        if not EscalationPolicy.objects.filter(name=POLICY).exists():
            policy = policy_save(policy=None, data={"name": POLICY, "team": team, "steps": [
                {"kind": StepKind.NOTIFY_SCHEDULE, "schedule": schedule.pk},
                {"kind": StepKind.WAIT, "wait_minutes": 2},
                {"kind": StepKind.NOTIFY_TEAM, "team": team.pk},
                {"kind": StepKind.WAIT, "wait_minutes": 2},
                {"kind": StepKind.REPEAT, "repeat_times": 1},
            ]})  # fmt: skip
            route = Route.objects.filter(name="paging").first()
            if route is not None:
                route_policy_set(route=route, policy=policy)
