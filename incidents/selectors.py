"""Reads of the incidents app: lists, the merged timeline, budget impact, metrics, and the public feed the
status page renders."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value, When

from alerts.choices import GroupEventKind
from alerts.models import GroupEvent
from incidents.choices import ACTION_ITEM_CLOSED, OPEN_STATUSES, TimelineKind, UpdateVisibility
from incidents.domain import lifecycle
from incidents.domain.response import IncidentTimes
from incidents.models import (
    ActionItem,
    Incident,
    IncidentAlertGroup,
    IncidentComponent,
    IncidentPolicy,
    Postmortem,
    SeverityLevel,
    StatusUpdate,
    TimelineEntry,
)
from slo.models import SLO
from sre.domain.ids import parse_id
from statuspage.models import Component

if TYPE_CHECKING:
    from statuspage.models import Component

# How an alert group's own timeline event shows on the incident's timeline (read from alerts, not copied).
GROUP_EVENT_KINDS = {
    "alert_joined": TimelineKind.ALERT_FIRED,
    "alert_refired": TimelineKind.ALERT_FIRED,
    "reopened": TimelineKind.ALERT_FIRED,
    "alert_resolved": TimelineKind.ALERT_RESOLVED,
    "resolved": TimelineKind.ALERT_RESOLVED,
    "acknowledged": TimelineKind.ACKNOWLEDGE,
    "notified": TimelineKind.NOTIFICATION,
    "delivered": TimelineKind.NOTIFICATION,
    "delivery_failed": TimelineKind.NOTIFICATION,
    "silenced": TimelineKind.ALERT_OTHER,
    "unsilenced": TimelineKind.ALERT_OTHER,
    "unacknowledged": TimelineKind.ALERT_OTHER,
}
MAX_GROUP_EVENTS = 2000


def severity_levels() -> dict[str, SeverityLevel]:
    return {level.key: level for level in SeverityLevel.objects.all()}


def severity_label(key: str, levels: dict[str, SeverityLevel] | None = None) -> str:
    levels = severity_levels() if levels is None else levels
    level = levels.get(key)
    return level.label if level else key.upper()


def incident_list(*, status: str = "", severity: str = "", service: str = "", q: str = "") -> QuerySet[Incident]:
    """Incidents, open ones first, then newest first. ``status`` is a status, ``open`` or ``closed``
    (resolved or closed); ``service`` a service name."""
    q, service = q.replace("\x00", ""), service.replace("\x00", "")  # PostgreSQL refuses NUL in text
    qs = Incident.objects.select_related("commander").prefetch_related("services")
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status == "closed":
        qs = qs.exclude(status__in=OPEN_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if severity:
        qs = qs.filter(severity=severity)
    if service:
        # A subquery rather than a join: no duplicate rows, so no DISTINCT over every column.
        qs = qs.filter(pk__in=Incident.services.through.objects.filter(service__name=service).values("incident_id"))
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(summary__icontains=q) | Q(public_title__icontains=q))
    open_first = Case(When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField())
    # Open incidents by severity, then newest; resolved and closed ones by date only (newest first).
    open_severity = Case(When(status__in=OPEN_STATUSES, then="severity"), default=Value(""))
    return qs.annotate(open_rank=open_first, open_severity=open_severity).order_by(
        "open_rank", "open_severity", "-started_at", "-pk"
    )


def incident_has_public_update(*, incident: Incident) -> bool:
    return StatusUpdate.objects.filter(incident=incident, visibility="public").exists()


SEARCH_LIMIT = 10


def incident_search_open(*, q: str, limit: int = SEARCH_LIMIT) -> list[Incident]:
    """Open incidents whose number or title matches ``q`` ("#12", "12" or words of the title), most
    severe then newest first, at most ``limit``. An empty ``q`` lists the latest open incidents."""
    q = (q or "").replace("\x00", "").strip()[:200]  # PostgreSQL refuses NUL in a text parameter
    qs = Incident.objects.filter(status__in=OPEN_STATUSES).only("id", "title", "status", "severity", "started_at")
    number = parse_id(q.lstrip("#"))
    if number is not None:
        qs = qs.filter(Q(pk=number) | Q(title__icontains=q))
    elif q:
        qs = qs.filter(title__icontains=q)
    return list(qs.order_by("severity", "-started_at", "-pk")[: max(1, min(limit, 50))])


def incident_detail(*, incident_id: int) -> Incident | None:
    """One incident with what its page shows (roles, services, components, linked groups, postmortem)."""
    return (
        Incident.objects.select_related("commander", "communications_lead", "scribe")
        .prefetch_related(
            "services",
            Prefetch("component_impacts", queryset=IncidentComponent.objects.select_related("component")),
            Prefetch("alert_links", queryset=IncidentAlertGroup.objects.select_related("group")),
        )
        .filter(pk=incident_id)
        .first()
    )


def incident_postmortem(incident: Incident):

    return Postmortem.objects.filter(incident=incident).first()


def incidents_open(*, limit: int = 20) -> list[Incident]:
    return list(
        Incident.objects.filter(status__in=OPEN_STATUSES)
        .select_related("commander")
        .order_by("severity", "-started_at")[:limit]
    )


def incidents_open_count() -> int:
    return Incident.objects.filter(status__in=OPEN_STATUSES).count()


def incident_open_for_group(*, group_id: int) -> Incident | None:
    return Incident.objects.filter(alert_links__group_id=group_id, status__in=OPEN_STATUSES).first()


def incidents_for_group(*, group_id: int) -> list[Incident]:
    return list(Incident.objects.filter(alert_links__group_id=group_id).order_by("-started_at"))


@dataclass(slots=True)
class TimelineItem:
    """One row of the merged timeline: the incident's own entries and its alert groups' events."""

    at: datetime
    kind: str
    kind_label: str
    actor: str
    message: str
    source: str  # "incident" or "alert group 12"
    is_note: bool = False
    data: dict | None = None
    entry_id: int | None = None
    group_id: int | None = None


def incident_timeline(
    *, incident: Incident, kinds: list[str] | None = None, latest: int | None = None
) -> list[TimelineItem]:
    """The incident's timeline, oldest first, optionally only ``kinds`` and only the ``latest`` entries.
    Alert group events (fired, resolved, acknowledged, notifications) are read from the linked groups'
    timelines."""
    labels = dict(TimelineKind.choices)
    wanted = set(kinds or [])
    items: list[TimelineItem] = []
    entries = TimelineEntry.objects.filter(incident=incident)
    if wanted:
        entries = entries.filter(kind__in=wanted)
    notes = (TimelineKind.NOTE, TimelineKind.UPDATE)
    entries = entries.order_by("-at", "-pk").values("pk", "at", "kind", "actor", "message", "data")
    for entry in entries[:latest] if latest else entries:
        items.append(
            TimelineItem(
                at=entry["at"],
                kind=entry["kind"],
                kind_label=labels.get(entry["kind"], entry["kind"]),
                actor=entry["actor"],
                message=entry["message"],
                source="incident",
                is_note=entry["kind"] in notes,
                data=entry["data"],
                entry_id=entry["pk"],
            )
        )
    group_ids = list(IncidentAlertGroup.objects.filter(incident=incident).values_list("group_id", flat=True))
    event_kinds = [k for k, v in GROUP_EVENT_KINDS.items() if not wanted or v in wanted]
    if group_ids and event_kinds:
        group_labels = dict(GroupEventKind.choices)
        events = (
            GroupEvent.objects.filter(group_id__in=group_ids, kind__in=event_kinds)
            .order_by("-at", "-pk")
            .values("at", "kind", "actor", "message", "group_id")[: min(latest or MAX_GROUP_EVENTS, MAX_GROUP_EVENTS)]
        )
        for event in events:
            kind = GROUP_EVENT_KINDS[event["kind"]]
            label = group_labels.get(event["kind"], event["kind"])
            items.append(
                TimelineItem(
                    at=event["at"],
                    kind=kind,
                    kind_label=label,
                    actor=event["actor"],
                    message=event["message"],
                    source=f"alert group {event['group_id']}",
                    group_id=event["group_id"],
                )
            )
    items.sort(key=lambda item: (item.at, item.source != "incident"))
    return items[-latest:] if latest else items


def incident_timeline_count(*, incident: Incident, kinds: list[str] | None = None) -> int:
    """How many entries ``incident_timeline`` holds (two counts)."""
    entries = TimelineEntry.objects.filter(incident=incident)
    if kinds:
        entries = entries.filter(kind__in=kinds)
    event_kinds = [k for k, v in GROUP_EVENT_KINDS.items() if not kinds or v in kinds]
    group_ids = IncidentAlertGroup.objects.filter(incident=incident).values("group_id")
    events = GroupEvent.objects.filter(group_id__in=group_ids, kind__in=event_kinds).count() if event_kinds else 0
    return entries.count() + min(events, MAX_GROUP_EVENTS)


def incident_updates(*, incident: Incident, visibility: str = "") -> QuerySet[StatusUpdate]:
    qs = StatusUpdate.objects.filter(incident=incident)
    if visibility:
        qs = qs.filter(visibility=visibility)
    return qs.order_by("-created_at", "-pk")


def action_item_list(
    *, status: str = "", owner: str = "", overdue_on: date | None = None, incident_id: int | None = None
) -> QuerySet[ActionItem]:
    """Action items; ``status`` may be ``open`` (not done/won't do); ``overdue_on`` keeps open items due
    before that date."""
    qs = ActionItem.objects.select_related("owner", "incident")
    if status == "open":
        qs = qs.exclude(status__in=ACTION_ITEM_CLOSED)
    elif status:
        qs = qs.filter(status=status)
    if owner:
        qs = qs.filter(owner__username=owner)
    if incident_id is not None:
        qs = qs.filter(incident_id=incident_id)
    if overdue_on is not None:
        qs = qs.exclude(status__in=ACTION_ITEM_CLOSED).filter(due_date__lt=overdue_on)
    return qs.order_by(
        Case(When(status__in=ACTION_ITEM_CLOSED, then=Value(1)), default=Value(0), output_field=IntegerField()),
        "due_date",
        "priority",
        "pk",
    )


def action_item_get(*, action_item_id: int) -> ActionItem | None:
    return ActionItem.objects.filter(pk=action_item_id).first()


def incident_action_items(*, incident_id: int) -> list[ActionItem]:
    """An incident's action items with their owners, by due date (the postmortem export's checklist)."""
    return list(ActionItem.objects.filter(incident_id=incident_id).select_related("owner").order_by("due_date", "pk"))


def action_items_overdue(*, today: date, limit: int = 20) -> list[ActionItem]:
    return list(action_item_list(overdue_on=today)[:limit])


def action_item_is_overdue(item: ActionItem, *, today: date) -> bool:
    return item.due_date is not None and item.due_date < today and item.status not in ACTION_ITEM_CLOSED


def policy_list() -> QuerySet[IncidentPolicy]:
    return IncidentPolicy.objects.order_by("position", "pk")


def incident_counts() -> dict[str, int]:
    rows = Incident.objects.values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in rows}


def elapsed_end(incident: Incident) -> datetime | None:
    """Where the header's elapsed time stops: resolution, else still running (None)."""
    return incident.resolved_at if not lifecycle.is_open(incident.status) else None


def incident_get(*, incident_id: int) -> Incident | None:
    """One incident without its related rows (pages that only need its fields and id), or None."""
    return Incident.objects.filter(pk=incident_id).first()


def incident_times(*, since: datetime) -> list[IncidentTimes]:
    """The timestamps of every incident started since ``since`` (two flat queries, no model instances)."""
    rows = list(
        Incident.objects.filter(started_at__gte=since)
        .order_by("started_at")
        .values_list("pk", "severity", "started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at")
    )
    names: dict[int, list[str]] = defaultdict(list)
    links = Incident.services.through.objects.filter(incident__started_at__gte=since)
    for incident_id, name in links.values_list("incident_id", "service__name"):
        names[incident_id].append(name)
    return [
        IncidentTimes(
            severity=severity,
            services=tuple(names.get(pk, ())),
            started_at=started.astimezone(UTC),
            detected_at=detected,
            acknowledged_at=acknowledged,
            mitigated_at=mitigated,
            resolved_at=resolved,
        )
        for pk, severity, started, detected, acknowledged, mitigated, resolved in rows
    ]


# The columns a public incident is built from: the internal title and summary are never read here.
PUBLIC_FIELDS = (
    "id", "public_title", "status", "severity", "started_at", "created_at", "updated_at", "resolved_at",
    "postmortem__id", "postmortem__state",
)  # fmt: skip


def incidents_public(*, since: datetime | None = None, open_only: bool = False, limit: int = 50) -> list[Incident]:
    """Incidents with at least one public update, open first then newest first (at most ``limit``), each with its
    public updates newest first (``public_updates``), its component impacts and postmortem. ``since`` keeps incidents
    still open or resolved after it. Three queries whatever the count; only ``PUBLIC_FIELDS`` are read."""
    public_updates = StatusUpdate.objects.filter(visibility=UpdateVisibility.PUBLIC).order_by("-created_at", "-pk")
    has_public = StatusUpdate.objects.filter(incident=OuterRef("pk"), visibility=UpdateVisibility.PUBLIC)
    qs = Incident.objects.filter(Exists(has_public))
    if open_only:
        qs = qs.filter(status__in=OPEN_STATUSES)
    if since is not None:
        qs = qs.filter(Q(status__in=OPEN_STATUSES) | Q(resolved_at__gte=since) | Q(resolved_at__isnull=True))
    qs = (
        qs.only(*PUBLIC_FIELDS)
        .select_related("postmortem")
        .prefetch_related(
            Prefetch("updates", queryset=public_updates, to_attr="public_updates"),
            Prefetch("component_impacts", queryset=IncidentComponent.objects.select_related("component")),
        )
    )
    still_open = Case(When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField())
    return list(qs.order_by(still_open, "-started_at", "-pk")[:limit])


def declare_prefill_sources(*, component_id: int | None, slo_id: int | None) -> tuple[Component | None, SLO | None]:
    """The status page component and the SLO (with its service) a declare form is opened for; None when absent."""

    component = Component.objects.filter(pk=component_id).first() if component_id else None
    slo = SLO.objects.select_related("service").filter(pk=slo_id).first() if slo_id else None
    return component, slo
