"""A real Celery worker runs an escalation, is SIGKILLed, and beat stays away for 5 minutes: after recovery
every due step runs exactly once and the late one is marked late on the group's timeline."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db.models import F
from django.utils import timezone

from alerts.choices import GroupEventKind
from alerts.models import GroupEvent
from alerts.services import alert_raise
from oncall.choices import EscalationState, StepKind
from oncall.models import Escalation, Page, RoutePolicy
from oncall.services.policies import policy_save
from sre.celery import app
from tests.alerts.worker import delivery_worker

pytestmark = pytest.mark.integration

LABELS = {"alertname": "PaymentsDown", "service": "payments-api", "severity": "critical"}


def wait_for(condition, *, timeout: float, what: str, worker) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pages = list(Page.objects.values_list("person", "state"))
            escalations = list(Escalation.objects.values_list("state", "step", "due_at"))
            pytest.fail(
                f"timed out waiting for {what}: pages={pages} escalations={escalations}\n{worker.output()[-3000:]}"
            )
        time.sleep(0.1)


def paged() -> list[str]:
    return list(Page.objects.order_by("pk").values_list("person", flat=True))


def test_sigkilled_worker_and_stopped_beat_run_each_due_step_once(transactional_db, root_route, person):
    alice, bob, carol = person("alice"), person("bob"), person("carol")
    policy = policy_save(policy=None, data={"name": "payments", "steps": [
        {"kind": StepKind.NOTIFY_PERSONS, "persons": [alice.pk]},
        {"kind": StepKind.WAIT, "wait_minutes": 1},
        {"kind": StepKind.NOTIFY_PERSONS, "persons": [bob.pk]},
        {"kind": StepKind.WAIT, "wait_minutes": 1},
        {"kind": StepKind.NOTIFY_PERSONS, "persons": [carol.pk]},
    ]})  # fmt: skip
    RoutePolicy.objects.create(route=root_route, policy=policy)
    with delivery_worker({}) as worker:
        # The group flushes at once (group_wait 0); the hook starts the escalation and the worker runs step 1.
        alert_raise(labels=LABELS, annotations={"summary": "payments down"}, status="firing", source="test",
                    now=timezone.now())  # fmt: skip
        wait_for(lambda: paged() == ["alice"], timeout=120, what="the worker paging alice", worker=worker)
        escalation = Escalation.objects.get()
        wait_for(lambda: Escalation.objects.get().due_at > escalation.started_at, timeout=60,
                 what="the first wait", worker=worker)  # fmt: skip
        # The worker dies holding the step's timed task; beat is stopped too. Five minutes pass.
        worker.kill()
        Escalation.objects.update(due_at=F("due_at") - dt.timedelta(minutes=6))
        worker.start()
        # Beat comes back: its tick runs the overdue step. Three ticks at once must not run it three times.
        for _ in range(3):
            app.send_task("oncall.tick")  # by name, as beat sends it
        wait_for(lambda: "bob" in paged(), timeout=120, what="the overdue step", worker=worker)
        wait_for(lambda: Escalation.objects.get().due_at > timezone.now(), timeout=60, what="the second wait",
                 worker=worker)  # fmt: skip
        Escalation.objects.update(due_at=timezone.now() - dt.timedelta(seconds=1))
        for _ in range(2):
            app.send_task("oncall.tick")  # by name, as beat sends it
        wait_for(lambda: Escalation.objects.get().state == EscalationState.EXHAUSTED, timeout=120,
                 what="the last step", worker=worker)  # fmt: skip
    assert paged() == ["alice", "bob", "carol"]
    steps = list(
        GroupEvent.objects.filter(kind=GroupEventKind.ESCALATION, message__startswith="Step ")
        .order_by("pk")
        .values_list("message", flat=True)
    )
    assert [m.split(":")[0] for m in steps] == ["Step 1", "Step 2", "Step 3", "Step 4", "Step 5"]
    late = [m for m in steps if "late by" in m]
    assert len(late) == 1 and late[0].startswith("Step 3: notifying bob")
