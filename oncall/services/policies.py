"""Writes of escalation policies (with their steps), the route → policy links, the team severity matrix,
and direct paging."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from alerts.models import AlertGroup, Route
from alerts.services import alert_raise
from oncall.choices import StepKind
from oncall.domain.escalation import PolicyError, window_parse
from oncall.models import EscalationPolicy, EscalationStep, RoutePolicy, SeverityPolicy, Team
from oncall.selectors import schedule_list, schedule_oncall_at, user_label
from oncall.services.escalation import escalation_start
from oncall.services.schedules import ical_url_check
from oncall.services.snapshot import policy_check_cycle, policy_edges, snapshot_direct
from sre.errors import ConflictError, InvalidInputError

User = get_user_model()
STEP_FIELDS = (
    "persons",
    "round_robin",
    "schedule",
    "team",
    "important",
    "wait_minutes",
    "window",
    "webhook_url",
    "repeat_times",
    "target_policy",
)


def _step_error(index: int, field: str, message: str) -> InvalidInputError:
    return InvalidInputError(f"Step {index + 1}: {message}", fields={f"steps[{index}].{field}": [message]})


def _step_check(index: int, step: EscalationStep) -> None:
    kind = step.kind
    if kind not in StepKind.values:
        raise _step_error(index, "kind", f"unknown kind {kind!r}")
    if kind == StepKind.NOTIFY_PERSONS:
        ids = [int(p) for p in step.persons or []]
        if not ids:
            raise _step_error(index, "persons", "name at least one person")
        known = set(User.objects.filter(pk__in=ids).values_list("pk", flat=True))
        if set(ids) - known:
            raise _step_error(index, "persons", f"unknown people {sorted(set(ids) - known)}")
        step.persons = ids
    elif kind == StepKind.NOTIFY_SCHEDULE and step.schedule_id is None:
        raise _step_error(index, "schedule", "choose a schedule")
    elif kind == StepKind.NOTIFY_TEAM and step.team_id is None:
        raise _step_error(index, "team", "choose a team")
    elif kind == StepKind.WAIT and not 1 <= step.wait_minutes <= 1440:
        raise _step_error(index, "wait_minutes", "wait 1–1440 minutes")
    elif kind == StepKind.TIME_WINDOW:
        try:
            window_parse(step.window or {})
        except PolicyError as exc:
            raise _step_error(index, "window", exc.message) from None
    elif kind == StepKind.WEBHOOK:
        if not step.webhook_url:
            raise _step_error(index, "webhook_url", "give a URL")
        try:
            ical_url_check(step.webhook_url)
        except InvalidInputError as exc:
            raise _step_error(index, "webhook_url", exc.message) from None
    elif kind == StepKind.REPEAT and not 1 <= step.repeat_times <= 10:
        raise _step_error(index, "repeat_times", "repeat 1–10 times")
    elif kind == StepKind.POLICY and step.target_policy_id is None:
        raise _step_error(index, "target_policy", "choose a policy")


def policy_save(*, policy: EscalationPolicy | None, data: dict[str, Any]) -> EscalationPolicy:
    """Create or update a policy; ``steps`` (a list of dicts) replaces its steps. A policy that would
    continue with itself, directly or through others, is refused naming ``steps``."""
    policy = policy or EscalationPolicy()
    for name in ("name", "team", "description"):
        if name in data:
            setattr(policy, name, data[name])
    if not policy.name:
        raise InvalidInputError("A policy needs a name.", fields={"name": ["Required."]})
    if EscalationPolicy.objects.exclude(pk=policy.pk).filter(name=policy.name).exists():
        raise InvalidInputError("A policy with that name already exists.", fields={"name": ["Already used."]})
    with transaction.atomic():
        policy.save()
        if "steps" in data:
            steps = []
            for index, raw in enumerate(data["steps"]):
                step = EscalationStep(policy=policy, position=index, kind=raw.get("kind", ""))
                for name in STEP_FIELDS:
                    if name in raw:
                        setattr(
                            step,
                            name if name not in ("schedule", "team", "target_policy") else f"{name}_id",
                            _pk(raw[name]),
                        )
                _step_check(index, step)
                steps.append(step)
            if len(steps) > 50:
                raise InvalidInputError("A policy has 50 steps at most.", fields={"steps": ["Too many."]})
            edges = policy_edges()
            edges[policy.pk] = [
                s.target_policy_id for s in steps if s.kind == StepKind.POLICY and s.target_policy_id is not None
            ]
            policy_check_cycle(policy_id=policy.pk, edges=edges)
            policy.steps.all().delete()
            EscalationStep.objects.bulk_create(steps)
    return policy


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def policy_delete(*, policy: EscalationPolicy) -> None:
    """Delete a policy; refused while another policy continues with it (running escalations keep their
    snapshot either way)."""
    users = sorted(set(EscalationStep.objects.filter(target_policy=policy).values_list("policy__name", flat=True)))
    if users:
        raise ConflictError(f"These policies continue with this one: {', '.join(users)}.")
    policy.delete()


def route_policy_set(*, route: Route, policy: EscalationPolicy | None) -> None:
    """Page with ``policy`` when ``route`` matches (``None`` removes it)."""
    if policy is None:
        RoutePolicy.objects.filter(route=route).delete()
    else:
        RoutePolicy.objects.update_or_create(route=route, defaults={"policy": policy})


def severity_policy_set(*, team: Team, severity: str, policy: EscalationPolicy | None) -> None:
    """The team's matrix: ``severity`` → ``policy`` (``None`` removes the row)."""
    severity = severity.strip().lower()
    if not severity:
        raise InvalidInputError("Give a severity.", fields={"severity": ["Required."]})
    if policy is None:
        SeverityPolicy.objects.filter(team=team, severity=severity).delete()
    else:
        SeverityPolicy.objects.update_or_create(team=team, severity=severity, defaults={"policy": policy})


def direct_page(
    *,
    message: str,
    severity: str,
    actor: Any,
    now: datetime,
    user_id: int | None = None,
    team_id: int | None = None,
    schedule_id: int | None = None,
) -> AlertGroup:
    """Page a person, a team or whoever is on call on a schedule now: raises an alert (so it is grouped, on
    the timeline and in the ledger like any other) and starts its escalation at once."""
    targets = [t for t in (user_id, team_id, schedule_id) if t is not None]
    if len(targets) != 1:
        raise InvalidInputError("Page exactly one of: a person, a team, a schedule.", fields={"target": ["One."]})
    if not message.strip():
        raise InvalidInputError("Say why you page.", fields={"message": ["Required."]})
    persons, label = _page_targets(user_id=user_id, team_id=team_id, schedule_id=schedule_id, now=now)
    if not persons:
        raise ConflictError(f"Nobody to page: {label} has nobody on call now.")
    page_id = uuid.uuid4().hex[:12]
    with transaction.atomic():
        alert = alert_raise(
            labels={"alertname": "DirectPage", "severity": severity or "critical", "page_id": page_id},
            annotations={"summary": message[:500], "paged_by": actor.get_username()},
            status="firing",
            source="oncall",
            now=now,
        )
        group = AlertGroup.objects.filter(alerts=alert).order_by("pk").first()
        if group is None:
            raise ConflictError("The alert was not grouped (an inhibition or the routing tree dropped it).")
        snapshot = snapshot_direct(
            title=message,
            persons=persons,
            label=label,
            important=(severity or "critical").lower() in ("critical", "page"),
            now=now,
        )
        escalation_start(
            group_id=group.pk,
            snapshot=snapshot,
            policy_id=None,
            now=now,
            actor=actor.get_username(),
            severity=severity or "critical",
        )
    return group


def _page_targets(
    *, user_id: int | None, team_id: int | None, schedule_id: int | None, now: datetime
) -> tuple[list[int], str]:
    if user_id is not None:
        user = User.objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            raise InvalidInputError("Unknown person.", fields={"user": ["Unknown person."]})
        return [user.pk], user_label(user)
    if team_id is not None:
        team = Team.objects.filter(pk=team_id).first()
        if team is None:
            raise InvalidInputError("Unknown team.", fields={"team": ["Unknown team."]})
        return list(team.members.order_by("pk").values_list("pk", flat=True)), f"team {team.name}"
    schedule = schedule_list().filter(pk=schedule_id).first() if schedule_id is not None else None
    if schedule is None:
        raise InvalidInputError("Unknown schedule.", fields={"schedule": ["Unknown schedule."]})
    keys = schedule_oncall_at(schedule, at=now)
    return [int(k) for k in keys if k.isdigit()], f"schedule {schedule.name}"
