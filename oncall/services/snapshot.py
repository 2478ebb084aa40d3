"""Freezing an escalation policy into the snapshot a running escalation follows.

The snapshot holds every step with the people it will page already resolved (a schedule's on-call people
and a team's members at the start), so editing the policy, a schedule or a team does not change an
escalation that is running: the rule OnCall follows for policies, extended to schedules."""

from __future__ import annotations

from datetime import datetime

from oncall.choices import StepKind
from oncall.domain.escalation import MAX_STEPS, PolicyError, policy_cycle
from oncall.models import EscalationPolicy, EscalationStep, Schedule
from oncall.selectors import schedule_list, schedule_oncall_at
from sre.errors import InvalidInputError


def policy_edges() -> dict[int, list[int]]:
    """Policy id → the policies its steps continue with."""
    edges: dict[int, list[int]] = {}
    rows = EscalationStep.objects.filter(kind=StepKind.POLICY, target_policy__isnull=False)
    for policy_id, target_id in rows.values_list("policy_id", "target_policy_id"):
        edges.setdefault(policy_id, []).append(target_id)
    return edges


def policy_check_cycle(*, policy_id: int, edges: dict[int, list[int]] | None = None) -> None:
    """Raise ``InvalidInputError`` naming the steps field when the policy's chain loops back."""
    cycle = policy_cycle(start=policy_id, edges=policy_edges() if edges is None else edges)
    if cycle:
        names = dict(EscalationPolicy.objects.filter(pk__in=cycle).values_list("pk", "name"))
        chain = " → ".join(names.get(p, str(p)) for p in cycle)
        raise InvalidInputError(
            f"These policies continue with each other in a loop: {chain}.", fields={"steps": [chain]}
        )


def snapshot_build(*, policy: EscalationPolicy, now: datetime) -> dict:
    """The frozen form of ``policy`` at ``now``: ``{"policy_id", "policy_name", "frozen_at", "steps": [...]}``."""
    steps: list[dict] = []
    _flatten(policy, steps=steps, seen=[], now=now)
    return {"policy_id": policy.pk, "policy_name": policy.name, "frozen_at": now.isoformat(), "steps": steps}


def snapshot_direct(*, title: str, persons: list[int], label: str, important: bool, now: datetime) -> dict:
    """The snapshot of a direct page: notify the chosen people, repeat twice after 5 minutes each."""
    steps = [
        {
            "kind": StepKind.NOTIFY_PERSONS,
            "persons": persons,
            "round_robin": False,
            "important": important,
            "label": label,
        },
        {"kind": StepKind.WAIT, "wait_minutes": 5},
        {"kind": StepKind.REPEAT, "repeat_times": 2},
    ]
    return {
        "policy_id": None,
        "policy_name": f"Direct page: {title}"[:200],
        "frozen_at": now.isoformat(),
        "steps": steps,
    }


def _flatten(policy: EscalationPolicy, *, steps: list[dict], seen: list[int], now: datetime) -> None:
    if policy.pk in seen:
        raise PolicyError(f"Policy {policy.name!r} continues with itself.", field="steps")
    seen.append(policy.pk)
    for step in policy.steps.select_related("schedule", "team", "target_policy").order_by("position", "pk"):
        if len(steps) >= MAX_STEPS:
            raise PolicyError(f"More than {MAX_STEPS} steps once policies are followed.", field="steps")
        if step.kind == StepKind.POLICY:
            if step.target_policy is not None:
                _flatten(step.target_policy, steps=steps, seen=seen, now=now)
            continue
        steps.append(_frozen_step(step, now=now))


def _frozen_step(step: EscalationStep, *, now: datetime) -> dict:
    out: dict = {"kind": step.kind, "important": step.important}
    if step.kind == StepKind.NOTIFY_PERSONS:
        out.update(persons=[int(p) for p in step.persons], round_robin=step.round_robin, label="")
    elif step.kind == StepKind.NOTIFY_SCHEDULE:
        persons: list[int] = []
        if step.schedule_id:
            schedule = schedule_list().get(pk=step.schedule_id)
            persons = [int(k) for k in schedule_oncall_at(schedule, at=now) if k.isdigit()]
        out.update(
            persons=persons, round_robin=False, label=f"on call on {_name(step.schedule)}", schedule_id=step.schedule_id
        )
    elif step.kind == StepKind.NOTIFY_TEAM:
        persons = list(step.team.members.order_by("pk").values_list("pk", flat=True)) if step.team else []
        out.update(
            persons=persons, round_robin=step.round_robin, label=f"team {_name(step.team)}", team_id=step.team_id
        )
    elif step.kind == StepKind.WAIT:
        out["wait_minutes"] = step.wait_minutes
    elif step.kind == StepKind.TIME_WINDOW:
        out["window"] = step.window
    elif step.kind == StepKind.WEBHOOK:
        out["webhook_url"] = step.webhook_url
    elif step.kind == StepKind.REPEAT:
        out["repeat_times"] = step.repeat_times
    return out


def _name(obj: Schedule | object | None) -> str:
    return str(obj) if obj is not None else "(deleted)"
