"""Writes of postmortems and action items."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction

from incidents.budget import budget_impact
from incidents.choices import (
    ACTION_ITEM_CLOSED,
    ActionItemPriority,
    ActionItemStatus,
    PostmortemState,
    TimelineKind,
)
from incidents.domain import lifecycle
from incidents.domain.postmortem import PostmortemFacts, TimelineLine, postmortem_template, worst_component_status
from incidents.models import ActionItem, Incident, Postmortem
from incidents.selectors import incident_timeline, severity_label
from incidents.services.common import StaleVersionError, incident_locked, incident_touch, timeline_add
from sre.errors import ConflictError, InvalidInputError, NotFoundError
from statuspage.choices import ComponentStatus

MAX_BODY = 500_000
POSTMORTEM_NEXT: dict[str, tuple[str, ...]] = {
    PostmortemState.DRAFT: (PostmortemState.IN_REVIEW,),
    PostmortemState.IN_REVIEW: (PostmortemState.DRAFT, PostmortemState.PUBLISHED),
    PostmortemState.PUBLISHED: (PostmortemState.DRAFT,),
}


def postmortem_facts(*, incident: Incident, now: datetime) -> PostmortemFacts:
    """Everything the template prefills, read from the incident, its timeline and its budget impact."""
    _, impacts = budget_impact(incident=incident, now=now)
    timeline = [
        TimelineLine(at=item.at, kind=item.kind_label, actor=item.actor, text=item.message)
        for item in incident_timeline(incident=incident)
        if item.kind != TimelineKind.NOTIFICATION
    ]

    labels = dict(ComponentStatus.choices)
    seen: dict[str, list[str]] = {}
    for ci in incident.component_impacts.select_related("component"):
        seen.setdefault(ci.component.name, []).append(ci.status)
    for snapshot in incident.updates.filter(visibility="public").values_list("components", flat=True):
        for item in snapshot or []:
            seen.setdefault(str(item.get("name", "")), []).append(str(item.get("status", "")))
    return PostmortemFacts(
        title=incident.title,
        severity=severity_label(incident.severity),
        summary=incident.summary,
        services=tuple(s.name for s in incident.services.all()),
        components=tuple(
            (name, labels.get(worst_component_status(statuses), "")) for name, statuses in sorted(seen.items()) if name
        ),
        started_at=incident.started_at,
        detected_at=incident.detected_at,
        acknowledged_at=incident.acknowledged_at,
        mitigated_at=incident.mitigated_at,
        resolved_at=incident.resolved_at,
        commander=incident.commander.get_username() if incident.commander else "",
        budget=tuple(i.as_line() for i in impacts),
        timeline=tuple(timeline[-200:]),
    )


def postmortem_create(*, incident_id: int, actor: str, now: datetime) -> Postmortem:
    """Start the postmortem of a resolved (or closed) incident from the blameless template, prefilled with
    the impact (budget numbers), detection times and the timeline. One per incident."""
    with transaction.atomic():
        incident = incident_locked(incident_id=incident_id)
        if lifecycle.is_open(incident.status):
            raise ConflictError("Resolve the incident before writing its postmortem.")
        if Postmortem.objects.filter(incident=incident).exists():
            raise ConflictError("This incident already has a postmortem.")
        body = postmortem_template(postmortem_facts(incident=incident, now=now))
        postmortem = Postmortem.objects.create(
            incident=incident, body=body, created_at=now, created_by=actor, updated_at=now, updated_by=actor
        )
        timeline_add(incident, kind=TimelineKind.POSTMORTEM, now=now, actor=actor, message="Postmortem started")
        incident_touch(incident, actor=actor, now=now)
    return postmortem


def _locked_postmortem(incident_id: int) -> Postmortem:
    postmortem = Postmortem.objects.select_for_update().filter(incident_id=incident_id).first()
    if postmortem is None:
        raise NotFoundError("This incident has no postmortem yet.")
    return postmortem


def postmortem_update(*, incident_id: int, body: str, version: int, actor: str, now: datetime) -> Postmortem:
    """Save the body. Refused while published (move it back to draft to revise) and when ``version`` is
    stale (someone saved in between)."""
    if len(body or "") > MAX_BODY:
        raise InvalidInputError(f"At most {MAX_BODY} characters.", fields={"body": ["Too long."]})
    with transaction.atomic():
        postmortem = _locked_postmortem(incident_id)
        if int(version) != postmortem.version:
            raise StaleVersionError(
                f"This postmortem was saved by {postmortem.updated_by or 'someone'} meanwhile (version "
                f"{postmortem.version}, you had {version}); reload, then apply your change again.",
                fields={"version": [f"Current version is {postmortem.version}."]},
            )
        if postmortem.state == PostmortemState.PUBLISHED:
            raise ConflictError("A published postmortem is read-only; move it back to draft to revise it.")
        postmortem.body = body or ""
        postmortem.version += 1
        postmortem.updated_at, postmortem.updated_by = now, actor
        postmortem.save(update_fields=["body", "version", "updated_at", "updated_by"])
    return postmortem


def postmortem_transition(*, incident_id: int, target: str, actor: str, now: datetime) -> Postmortem:
    """draft → in review → published; in review → draft (changes requested); published → draft (revise)."""
    with transaction.atomic():
        postmortem = _locked_postmortem(incident_id)
        allowed = POSTMORTEM_NEXT.get(postmortem.state, ())
        if target not in allowed:
            raise ConflictError(
                f"Cannot move a postmortem from {postmortem.state} to {target}; allowed: {', '.join(allowed)}.",
                fields={"allowed_next": list(allowed)},
            )
        old = postmortem.state
        postmortem.state = target
        if target == PostmortemState.PUBLISHED:
            postmortem.published_at, postmortem.published_by = now, actor
        postmortem.version += 1
        postmortem.updated_at, postmortem.updated_by = now, actor
        postmortem.save()
        incident = incident_locked(incident_id=incident_id)
        label = dict(PostmortemState.choices)
        timeline_add(
            incident,
            kind=TimelineKind.POSTMORTEM,
            now=now,
            actor=actor,
            message=f"Postmortem {label[old].lower()} → {label[target].lower()}",
            data={"old": old, "new": target},
        )
        incident_touch(incident, actor=actor, now=now)
    return postmortem


def _check_item(data: dict[str, Any]) -> dict[str, Any]:
    if "title" in data:
        data["title"] = (data["title"] or "").strip()[:300]
        if not data["title"]:
            raise InvalidInputError("An action item needs a title.", fields={"title": ["Required."]})
    if "priority" in data and data["priority"] not in ActionItemPriority.values:
        raise InvalidInputError("Unknown priority.", fields={"priority": ["Invalid."]})
    if "status" in data and data["status"] not in ActionItemStatus.values:
        raise InvalidInputError("Unknown status.", fields={"status": ["Invalid."]})
    return data


def action_item_create(
    *,
    incident_id: int,
    title: str,
    actor: str,
    now: datetime,
    owner: Any = None,
    due_date: date | None = None,
    priority: str = ActionItemPriority.P2,
    link: str = "",
) -> ActionItem:
    data = _check_item({"title": title, "priority": priority})
    if not Incident.objects.filter(pk=incident_id).exists():
        raise InvalidInputError("No such incident.", fields={"incident": ["Not found."]})
    return ActionItem.objects.create(
        incident_id=incident_id,
        title=data["title"],
        owner=owner,
        due_date=due_date,
        priority=priority,
        link=link or "",
        created_at=now,
        created_by=actor,
        updated_at=now,
    )


def action_item_update(*, item_id: int, changes: dict[str, Any], actor: str, now: datetime) -> ActionItem:
    """Edit an action item; moving it to done / won't do stamps ``completed_at`` (cleared on reopen)."""
    allowed = {"title", "owner", "due_date", "priority", "status", "link"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInputError(f"Cannot edit {', '.join(sorted(unknown))}.")
    changes = _check_item(dict(changes))
    with transaction.atomic():
        item = ActionItem.objects.select_for_update().filter(pk=item_id).first()
        if item is None:
            raise NotFoundError("No such action item.")
        for name, value in changes.items():
            setattr(item, name, value if name != "link" else (value or ""))
        if "status" in changes:
            closed = changes["status"] in ACTION_ITEM_CLOSED
            item.completed_at = (item.completed_at or now) if closed else None
        item.updated_at = now
        item.save()
    return item


def action_item_delete(*, item_id: int) -> None:
    deleted, _ = ActionItem.objects.filter(pk=item_id).delete()
    if not deleted:
        raise NotFoundError("No such action item.")
