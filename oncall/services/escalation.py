"""Running escalations: start one when an alert group needs a human, run each due step exactly once, walk
each paged person's notification rules, and stop when the group is acknowledged, resolved or silenced.

Exactly once: a step runs inside a transaction that holds the escalation's row lock, re-reads its state and
due time, writes what the step produced (pages, ledger rows, timeline events) and moves ``step``/``due_at``
on, all in one commit. A worker killed mid-step leaves the row as it was, and the next run (a Celery task
at the due time, or the ``oncall.tick`` sweep) runs it again from the start; a step that ran late is marked
late on the group's timeline."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from types import SimpleNamespace

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from alerts.choices import GroupEventKind, GroupState
from alerts.models import AlertGroup, GroupEvent
from alerts.senders import send_webhook
from oncall.choices import DeliveryState, EscalationState, PageState, RuleKind, StepKind
from oncall.domain.escalation import PolicyError, after_step, is_important, lateness, round_robin_pick, rules_plan
from oncall.models import (
    ContactMethod,
    Escalation,
    NotificationRule,
    Page,
    PersonNotification,
    RoutePolicy,
    SeverityPolicy,
)
from oncall.selectors import user_label, users_by_key
from oncall.services import dispatch
from oncall.services.snapshot import snapshot_build

logger = logging.getLogger(__name__)

STOP_STATES: dict[str, EscalationState] = {
    GroupState.ACKNOWLEDGED: EscalationState.ACKNOWLEDGED,
    GroupState.RESOLVED: EscalationState.RESOLVED,
    GroupState.SILENCED: EscalationState.SILENCED,
}
RUNNING = (EscalationState.ACTIVE, EscalationState.EXHAUSTED)  # states in which paged people's rules go on
MAX_CHAIN = 50  # steps run back to back in one call before yielding (a loop of zero-length steps)


def _tunable(name: str, default: float) -> float:
    return settings.SRE.get(name, default)


def group_severity(labels: Sequence[dict] | dict) -> str:
    if isinstance(labels, dict):
        return str(labels.get("severity", ""))
    for item in labels:
        if item.get("severity"):
            return str(item["severity"])
    return ""


def policy_for_group(*, group: AlertGroup, labels: Sequence[dict]):
    """The route's policy, else the team's policy for the group's severity (labels ``team`` and ``severity``)."""
    route_policy = (
        RoutePolicy.objects.select_related("policy").filter(route_id=group.route_id).first()
        if group.route_id is not None
        else None
    )
    if route_policy is not None:
        return route_policy.policy
    merged = {**{k: v for item in labels for k, v in item.items()}, **(group.group_labels or {})}
    team, severity = merged.get("team"), merged.get("severity")
    if not team or not severity:
        return None
    match = SeverityPolicy.objects.select_related("policy").filter(team__slug=team, severity__iexact=severity).first()
    return match.policy if match else None


def alert_group_hook(*, group_id: int, firing_labels: list[dict]) -> None:
    """``SRE["ALERT_GROUP_HOOKS"]`` adapter: called after an alert group opened, changed state or notified."""
    group_escalate(group_id=group_id, firing_labels=firing_labels, now=timezone.now())


def group_escalate(*, group_id: int, firing_labels: list[dict], now: datetime) -> Escalation | None:
    """Start an escalation for a firing, unacknowledged group whose route or team has a policy (unless one
    runs already); stop the group's escalation when it is acknowledged, silenced or resolved."""
    group = AlertGroup.objects.filter(pk=group_id).first()
    if group is None:
        return None
    if group.state != GroupState.FIRING or group.acknowledged_at:
        escalations_stop(group_id=group_id, now=now)
        return None
    if Escalation.objects.filter(group_id=group_id, state=EscalationState.ACTIVE).exists():
        return None
    policy = policy_for_group(group=group, labels=firing_labels)
    if policy is None:
        return None
    try:
        snapshot = snapshot_build(policy=policy, now=now)
    except PolicyError as exc:
        GroupEvent.objects.create(group_id=group_id, at=now, kind=GroupEventKind.PAGE_FAILED, message=exc.message)
        return None
    return escalation_start(
        group_id=group_id,
        snapshot=snapshot,
        policy_id=policy.pk,
        now=now,
        actor="policy",
        severity=group_severity(firing_labels),
    )


def escalation_start(
    *, group_id: int, snapshot: dict, policy_id: int | None, now: datetime, actor: str, severity: str = ""
) -> Escalation | None:
    """Start an escalation of the group following ``snapshot``; its first step runs at once, in this process.
    Returns ``None`` when one is already running for the group (the partial unique constraint decides)."""
    snapshot = {**snapshot, "severity": severity}
    try:
        with transaction.atomic():
            escalation = Escalation.objects.create(
                group_id=group_id,
                policy_id=policy_id,
                snapshot=snapshot,
                state=EscalationState.ACTIVE,
                step=0,
                due_at=now,
                started_at=now,
                started_by=actor,
            )
            GroupEvent.objects.create(
                group_id=group_id,
                at=now,
                kind=GroupEventKind.ESCALATION,
                actor=actor,
                message=f"Escalation started: {snapshot.get('policy_name', '')} ({len(snapshot['steps'])} steps)",
            )
    except IntegrityError:
        return None
    logger.info("Escalation %s started for group %s (policy %s)", escalation.pk, group_id, policy_id)
    # The first step runs here and now, not through the broker (a queue behind other work made it seconds
    # late); if this process dies first, the tick runs it.
    escalation_advance(escalation_id=escalation.pk, now=now)
    return escalation


def escalations_stop(*, group_id: int, now: datetime, state: EscalationState | None = None, reason: str = "") -> int:
    """End the group's running escalation and its pages (acknowledged, resolved, silenced). Idempotent."""
    with transaction.atomic():
        rows = list(
            Escalation.objects.select_for_update()
            .filter(group_id=group_id, state=EscalationState.ACTIVE)
            .order_by("pk")
        )
        if not rows:
            return 0
        group = AlertGroup.objects.filter(pk=group_id).first()
        final = state or STOP_STATES.get(group.state if group else GroupState.RESOLVED, EscalationState.CANCELLED)
        if final == EscalationState.ACTIVE or (group and group.acknowledged_at and state is None):
            final = EscalationState.ACKNOWLEDGED
        for escalation in rows:
            _end(escalation, state=final, now=now, reason=reason or str(final.label))
    return len(rows)


def _end(escalation: Escalation, *, state: str, now: datetime, reason: str) -> None:
    escalation.state = state
    escalation.ended_at = now
    escalation.end_reason = reason[:200]
    escalation.due_at = None
    escalation.save(update_fields=["state", "ended_at", "end_reason", "due_at"])
    GroupEvent.objects.create(
        group_id=escalation.group_id, at=now, kind=GroupEventKind.ESCALATION, message=f"Escalation ended: {reason}"
    )
    if state == EscalationState.EXHAUSTED:
        return  # people already paged go on through their own rules until someone acknowledges
    Page.objects.filter(escalation=escalation, state=PageState.ACTIVE).update(state=PageState.STOPPED, due_at=None)
    PersonNotification.objects.filter(page__escalation=escalation, state=DeliveryState.PENDING).update(
        state=DeliveryState.FAILED, detail="Not sent: the escalation stopped first."
    )


def escalation_advance(*, escalation_id: int, now: datetime, force: bool = False) -> str:
    """Run the escalation's due steps (``force``: the next step now, for "escalate now"). Idempotent."""
    with transaction.atomic():
        escalation = Escalation.objects.select_for_update().filter(pk=escalation_id).first()
        if escalation is None:
            logger.info("Escalation %s vanished; nothing to run", escalation_id)
            return "gone"
        if escalation.state != EscalationState.ACTIVE:
            return "ended"
        if not force and (escalation.due_at is None or escalation.due_at > now):
            return "not_due"
        group = AlertGroup.objects.filter(pk=escalation.group_id).first()
        if group is None or group.state != GroupState.FIRING or group.acknowledged_at:
            state = STOP_STATES.get(group.state, EscalationState.CANCELLED) if group else EscalationState.CANCELLED
            if group is not None and group.acknowledged_at:
                state = EscalationState.ACKNOWLEDGED
            _end(escalation, state=state, now=now, reason=str(state.label))
            return "stopped"
        late = lateness(due=escalation.due_at, now=now)
        ran = _run_steps(escalation, now=now, late=late)
    return ran


def _run_steps(escalation: Escalation, *, now: datetime, late: float) -> str:
    steps = escalation.snapshot.get("steps", [])
    late_note = f" (late by {late:.0f} s)" if late > _tunable("ONCALL_LATE_SECONDS", 30.0) else ""
    for _ in range(MAX_CHAIN):
        if escalation.step >= len(steps):
            _end(escalation, state=EscalationState.EXHAUSTED, now=now, reason="No steps left; nobody acknowledged")
            return "exhausted"
        index = escalation.step
        step = steps[index]
        message = _run_step(escalation, step=step, now=now)
        nxt = after_step(steps=steps, index=index, repeats_done=escalation.repeats_done, now=now)
        GroupEvent.objects.create(
            group_id=escalation.group_id,
            at=now,
            kind=GroupEventKind.ESCALATION,
            message=f"Step {index + 1}: {message}{late_note}",
        )
        late_note = ""
        escalation.repeats_done = nxt.repeats_done
        if nxt.step is None:
            escalation.step = len(steps)
            if step["kind"] != StepKind.WAIT:
                continue
        else:
            escalation.step = nxt.step
        escalation.due_at = nxt.at
        if nxt.at > now:
            escalation.save(update_fields=["step", "repeats_done", "due_at"])
            dispatch.advance_later(escalation.pk, at=nxt.at)
            return "waiting"
    escalation.save(update_fields=["step", "repeats_done", "due_at"])
    dispatch.advance_later(escalation.pk, at=now)
    return "yielded"


def _run_step(escalation: Escalation, *, step: dict, now: datetime) -> str:
    kind = step["kind"]
    if kind in (StepKind.NOTIFY_PERSONS, StepKind.NOTIFY_SCHEDULE, StepKind.NOTIFY_TEAM):
        people = list(step.get("persons") or [])
        if step.get("round_robin"):
            people = round_robin_pick(people, turn=escalation.repeats_done)
        if not people:
            what = step.get("label") or kind
            return f"failed: nobody to notify ({what}); going on with the next step"
        important = bool(step.get("important")) or is_important(escalation.snapshot.get("severity", ""))
        names = _pages_create(escalation, people=people, important=important, now=now)
        return f"notifying {', '.join(names)}" + (f" ({step['label']})" if step.get("label") else "")
    if kind == StepKind.WAIT:
        return f"waiting {step.get('wait_minutes', 0)} min"
    if kind == StepKind.TIME_WINDOW:
        return "time window checked"
    if kind == StepKind.WEBHOOK:
        dispatch.webhook_later(escalation.pk, url=step.get("webhook_url", ""))
        return "webhook queued"
    if kind == StepKind.REPEAT:
        return f"repeat ({escalation.repeats_done} of {step.get('repeat_times', 0)} done)"
    return f"unknown step {kind!r} skipped"


def _pages_create(escalation: Escalation, *, people: list[int], important: bool, now: datetime) -> list[str]:
    users = users_by_key(str(p) for p in people)
    names = []
    for person in people:
        user = users.get(str(person))
        if user is None:
            GroupEvent.objects.create(
                group_id=escalation.group_id,
                at=now,
                kind=GroupEventKind.PAGE_FAILED,
                message=f"Person {person} no longer exists",
            )
            continue
        rules = _rules_frozen(user_id=user.pk, important=important)
        page = Page.objects.create(
            escalation=escalation,
            user=user,
            person=user_label(user),
            rules=rules,
            rule=0,
            state=PageState.ACTIVE,
            due_at=now,
            created_at=now,
        )
        _page_run(page, group_id=escalation.group_id, now=now)
        names.append(user_label(user))
    return names


def _rules_frozen(*, user_id: int, important: bool) -> list[dict]:
    """The person's chain (important or default), or, if they set none, every verified method at once."""
    rules = list(NotificationRule.objects.filter(user_id=user_id, important=important).order_by("position", "pk"))
    if not rules and important:
        rules = list(NotificationRule.objects.filter(user_id=user_id, important=False).order_by("position", "pk"))
    if rules:
        return [
            {"kind": r.kind, "contact_method_id": r.contact_method_id, "wait_minutes": r.wait_minutes} for r in rules
        ]
    methods = ContactMethod.objects.filter(user_id=user_id, verified_at__isnull=False).order_by("pk")
    return [{"kind": RuleKind.NOTIFY, "contact_method_id": m.pk, "wait_minutes": 0} for m in methods]


def _page_run(page: Page, *, group_id: int, now: datetime) -> None:
    """Run the page's due rules up to its next wait (the caller holds the escalation's lock)."""
    if not page.rules:
        _page_failed(page, group_id=group_id, now=now, reason="has no notification rules and no verified method")
    for _ in range(MAX_CHAIN):
        rule, following, at = rules_plan(rules=page.rules, index=page.rule, now=now)
        if rule is None:
            page.state, page.due_at = PageState.DONE, None
            break
        if rule["kind"] == RuleKind.NOTIFY:
            method = rule.get("contact_method_id")  # an int, or None for a rule whose method was deleted
            method_id = method if isinstance(method, int) else None
            dispatch.notification_create(page=page, group_id=group_id, method_id=method_id, now=now)
        if following is None:
            page.state, page.due_at = PageState.DONE, None
            break
        page.rule = following
        if at > now:
            page.due_at = at
            dispatch.advance_page_later(page.pk, at=at)
            break
    page.save(update_fields=["rule", "state", "due_at"])


def _page_failed(page: Page, *, group_id: int, now: datetime, reason: str) -> None:
    GroupEvent.objects.create(
        group_id=group_id, at=now, kind=GroupEventKind.PAGE_FAILED, message=f"{page.person} {reason}"
    )


def page_advance(*, page_id: int, now: datetime) -> str:
    """Run a page's next rules once its wait is over (stops if the escalation ended). Idempotent."""
    with transaction.atomic():
        page = Page.objects.filter(pk=page_id).select_related("escalation").first()
        if page is None:
            return "gone"
        escalation = Escalation.objects.select_for_update().get(pk=page.escalation_id)
        page.refresh_from_db()
        if page.state != PageState.ACTIVE or escalation.state not in RUNNING:
            return "ended"
        if page.due_at is None or page.due_at > now:
            return "not_due"
        group = AlertGroup.objects.filter(pk=escalation.group_id).first()
        if group is None or group.state != GroupState.FIRING or group.acknowledged_at:
            escalations_stop(group_id=escalation.group_id, now=now)
            Page.objects.filter(pk=page.pk).update(state=PageState.STOPPED, due_at=None)
            return "stopped"
        _page_run(page, group_id=escalation.group_id, now=now)
    return "ran"


def escalations_due(*, now: datetime, limit: int = 1000) -> tuple[list[int], list[int]]:
    """Ids of escalations and pages whose next step is due (the sweep's safety net)."""
    escalations = list(
        Escalation.objects.filter(state=EscalationState.ACTIVE, due_at__lte=now)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    pages = list(
        Page.objects.filter(Q(state=PageState.ACTIVE) & Q(due_at__lte=now))
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return escalations, pages


def oncall_tick(*, now: datetime) -> dict:
    """Run every due step and page rule, and hand due notifications to delivery (the beat's safety net for
    tasks lost with a worker or a broker restart)."""
    escalation_ids, page_ids = escalations_due(now=now)
    work = [partial(escalation_advance, escalation_id=pk) for pk in escalation_ids]
    work += [partial(page_advance, page_id=pk) for pk in page_ids]
    failed = 0
    for run in work:
        try:
            run(now=now)
        except Exception:  # one broken row must not hold up every other due step
            failed += 1
            logger.exception("%s%s failed in the tick; the others go on", run.func.__name__, run.keywords)
    queued = dispatch.notifications_sweep(now=now)
    return {"escalations": len(escalation_ids), "pages": len(page_ids), "notifications": queued, "failed": failed}


def escalation_webhook(*, escalation_id: int, url: str, now: datetime) -> str:
    """POST the group's state to a step's webhook (the alerts app's sender: SSRF guard, no redirects) and put
    the outcome on the group's timeline. One attempt: a webhook step is a signal, not a page."""
    escalation = Escalation.objects.filter(pk=escalation_id).select_related("group").first()
    if escalation is None:
        return "gone"
    group = escalation.group
    payload = {
        "event": "escalation_step",
        "group_id": group.pk,
        "state": group.state,
        "labels": group.group_labels,
        "policy": escalation.snapshot.get("policy_name", ""),
        "at": now.isoformat(),
    }
    target = SimpleNamespace(url=url, secret="", timeout_seconds=10.0)
    try:
        result = send_webhook(target, payload=payload)
        ok, detail = result.ok, result.error or f"HTTP {result.status}"
    except Exception as exc:  # noqa: BLE001 - a refused target (SSRF guard) or a bad URL is the outcome.
        ok, detail = False, f"{type(exc).__name__}: {exc}"
    GroupEvent.objects.create(
        group_id=group.pk,
        at=timezone.now(),
        kind=GroupEventKind.ESCALATION if ok else GroupEventKind.PAGE_FAILED,
        message=f"Webhook {'delivered' if ok else 'failed'}: {detail or 'no URL'}"[:1000],
    )
    return "delivered" if ok else "failed"
