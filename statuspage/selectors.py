"""Reads of the statuspage app: components with their derived status, maintenance occurrences, subscribers,
and ``page_data`` — everything the public page, its JSON and its feeds show, gathered once.

Only public things go into ``PageData``: component names/descriptions, public incident updates (through
``incidents.public``), maintenance written for customers. Never internal notes, people or alert labels."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet

from alerts.choices import AlertStatus
from alerts.models import Alert
from alerts.selectors import firing_alert_counts
from incidents.choices import OPEN_STATUSES
from incidents.models import IncidentComponent
from incidents.public import public_incidents
from slo import selectors as slo_selectors
from statuspage import conf
from statuspage.domain import occurrences as occ
from statuspage.domain import status as status_domain
from statuspage.domain import uptime as uptime_domain
from statuspage.models import (
    Component,
    ComponentGroup,
    ScheduledMaintenance,
    Subscriber,
    SubscriberNotification,
)

logger = logging.getLogger(__name__)
UPTIME_DAYS = 90


# --- components -----------------------------------------------------------------------------------


def component_list() -> QuerySet[Component]:
    return Component.objects.select_related("group", "override_incident").prefetch_related("services", "slos__service")


def component_statuses() -> list[dict[str, str]]:
    """``{"name", "status"}`` of every component by name, nothing else (the Overview's card)."""
    return list(Component.objects.order_by("name").values("name", "status"))


def group_list() -> QuerySet[ComponentGroup]:
    return ComponentGroup.objects.prefetch_related("components")


def _open_impacts() -> dict[int, list[str]]:

    out: dict[int, list[str]] = defaultdict(list)
    rows = IncidentComponent.objects.filter(incident__status__in=OPEN_STATUSES).values_list("component_id", "status")
    for component_id, status in rows:
        out[component_id].append(status)
    return out


def maintenance_active_components(*, now: datetime) -> set[int]:
    """Components under a maintenance (that sets status) in progress at ``now``."""
    found: set[int] = set()
    for maintenance in maintenance_live(now=now):
        if not maintenance.set_component_status:
            continue
        current = maintenance_occurrence(maintenance, now=now)
        if current and current[0] <= now < current[1]:
            found.update(c.pk for c in maintenance.components.all())
    return found


def _burn_statuses(components: list[Component]) -> dict[int, str | None]:
    out: dict[int, str | None] = {}
    for component in components:
        if not component.status_from_slo_burn:
            continue
        severities = []
        for slo in component.slos.all():
            if not slo.enabled:
                continue
            # ``SLO.burn_alerts`` holds the label sets of the firing burn alerts (with ``severity``).
            severities += [
                labels.get("severity", "page") if isinstance(labels, dict) else "page"
                for labels in slo.burn_alerts or []
            ]
        out[component.pk] = status_domain.burn_status(severities)
    return out


def override_active(component: Component) -> bool:
    """A hand-set status is in force: set, and its incident (if any) still open."""
    if not component.override_status:
        return False
    incident = component.override_incident
    if component.override_incident_id and incident is None:
        return False
    return incident is None or incident.is_open


@dataclass(frozen=True)
class ComponentState:
    component: Component
    status: str
    impacts: tuple[str, ...]
    in_maintenance: bool
    burn: str | None
    override: str | None


def component_states(*, now: datetime, components: list[Component] | None = None) -> list[ComponentState]:
    """Every component with its derived status and the parts it was derived from."""
    components = list(component_list()) if components is None else components
    impacts = _open_impacts()
    maintained = maintenance_active_components(now=now)
    burns = _burn_statuses(components)
    out = []
    for component in components:
        override = component.override_status if override_active(component) else None
        status = status_domain.component_status(
            impacts=impacts.get(component.pk, []),
            in_maintenance=component.pk in maintained,
            burn=burns.get(component.pk),
            override=override,
        )
        out.append(
            ComponentState(
                component=component,
                status=status,
                impacts=tuple(impacts.get(component.pk, [])),
                in_maintenance=component.pk in maintained,
                burn=burns.get(component.pk),
                override=override,
            )
        )
    return out


@dataclass(frozen=True)
class SloBurn:
    """An SLO whose burn sets a component's status: since when its burn alerts fire (``None`` when none
    fires, e.g. resolved by hand while the condition still holds) and how many fire now."""

    slo: object  # slo.models.SLO
    since: datetime | None
    firing: int


def component_burns(states: list[ComponentState]) -> dict[int, list[SloBurn]]:
    """For each component an SLO burn degrades (status from burn, linked SLOs burning), the SLOs doing it.
    Firing counts come from the one selector of firing alerts; two queries whatever the counts."""
    burning: dict[int, list] = {}
    for state in states:
        slos = [slo for slo in state.component.slos.all() if slo.enabled and slo.burn_alerts] if state.burn else []
        if slos:
            burning[state.component.pk] = slos
    if not burning:
        return {}
    counts = firing_alert_counts(source="slo", by=("service", "slo"))
    since: dict[tuple[str, str], datetime] = {}
    rows = Alert.objects.filter(status=AlertStatus.FIRING, source="slo").values_list("labels", "starts_at")
    for labels, starts_at in rows:
        key = (str((labels or {}).get("service", "")), str((labels or {}).get("slo", "")))
        if key not in since or starts_at < since[key]:
            since[key] = starts_at
    out: dict[int, list[SloBurn]] = {}
    for pk, slos in burning.items():
        out[pk] = [
            SloBurn(
                slo=slo,
                since=since.get((slo.service.name, slo.name)),
                firing=counts.get((slo.service.name, slo.name), 0),
            )
            for slo in slos
        ]
    return out


# --- maintenance ----------------------------------------------------------------------------------


def maintenance_list() -> QuerySet[ScheduledMaintenance]:
    return ScheduledMaintenance.objects.prefetch_related("components").select_related("alert_window")


def maintenance_recent(*, limit: int = 100) -> list[ScheduledMaintenance]:
    """Scheduled maintenance, latest start first (the admin page)."""
    return list(maintenance_list().order_by("-starts_at")[:limit])


def maintenance_live(*, now: datetime) -> list[ScheduledMaintenance]:
    """Maintenance not cancelled or completed that may have an occurrence now or later."""
    qs = maintenance_list().filter(cancelled_at__isnull=True, completed_at__isnull=True)
    qs = qs.filter(Q(recurrence="none", ends_at__gt=now) | ~Q(recurrence="none"))
    return [
        m
        for m in qs
        if m.recurrence == "none" or m.recurrence_until is None or m.recurrence_until > now - timedelta(days=40)
    ]


def maintenance_occurrence(maintenance: ScheduledMaintenance, *, now: datetime) -> tuple[datetime, datetime] | None:
    return occ.current_or_next(
        starts_at=maintenance.starts_at,
        ends_at=maintenance.ends_at,
        recurrence=maintenance.recurrence,
        until=maintenance.recurrence_until,
        now=now,
    )


def maintenance_status(
    maintenance: ScheduledMaintenance, *, now: datetime
) -> tuple[str, tuple[datetime, datetime] | None]:
    """Statuspage status and the occurrence it is about (current or next; the last one once over)."""
    finished = maintenance.cancelled_at is not None or maintenance.completed_at is not None
    current = None if finished else maintenance_occurrence(maintenance, now=now)
    if current is None:
        current = occ.last_before(
            starts_at=maintenance.starts_at,
            ends_at=maintenance.ends_at,
            recurrence=maintenance.recurrence,
            until=maintenance.recurrence_until,
            now=now,
        ) or (maintenance.starts_at, maintenance.ends_at)
        return "completed", current
    return occ.maintenance_status(occurrence=current, now=now, verifying=maintenance.verifying), current


# --- subscribers ----------------------------------------------------------------------------------


def subscriber_list() -> QuerySet[Subscriber]:
    return Subscriber.objects.prefetch_related("components")


def subscriber_counts() -> tuple[int, int]:
    """``(all, not confirmed yet)`` subscribers, in one query."""
    counts = Subscriber.objects.aggregate(n=Count("pk"), pending=Count("pk", filter=Q(confirmed_at__isnull=True)))
    return counts["n"], counts["pending"]


def components_in_page_order() -> list[Component]:
    """Components with their groups in the order the public page lists them."""
    return list(Component.objects.select_related("group").order_by("group__position", "position", "name"))


def subscribers_for(*, component_ids: set[int]) -> list[Subscriber]:
    """Confirmed subscribers that want news about any of ``component_ids`` (or about everything)."""
    out = []
    for subscriber in subscriber_list().filter(confirmed_at__isnull=False):
        wanted = {c.pk for c in subscriber.components.all()}
        if not wanted or not component_ids or wanted & component_ids:
            out.append(subscriber)
    return out


def notification_list(*, state: str = "") -> QuerySet[SubscriberNotification]:
    qs = SubscriberNotification.objects.select_related("subscriber")
    return qs.filter(state=state) if state else qs


# --- the public page ------------------------------------------------------------------------------


@dataclass
class PublicComponentRow:
    id: int
    name: str
    description: str
    group_id: int | None
    position: int
    status: str
    only_show_if_degraded: bool
    created_at: datetime
    updated_at: datetime
    days: list[uptime_domain.Day] = field(default_factory=list)
    uptime: object = None

    @property
    def visible(self) -> bool:
        return not self.only_show_if_degraded or self.status != status_domain.OPERATIONAL

    @property
    def status_label(self) -> str:
        return status_domain.STATUS_LABELS.get(self.status, self.status)


@dataclass
class PublicGroupRow:
    id: int
    name: str
    description: str
    position: int
    created_at: datetime | None
    updated_at: datetime | None
    components: list[PublicComponentRow] = field(default_factory=list)

    @property
    def status(self) -> str:
        return status_domain.worst(c.status for c in self.components)

    @property
    def visible_components(self) -> list[PublicComponentRow]:
        return [c for c in self.components if c.visible]


@dataclass
class PublicMaintenance:
    id: int
    name: str
    body: str
    status: str
    scheduled_for: datetime
    scheduled_until: datetime
    created_at: datetime
    updated_at: datetime
    recurrence: str
    components: list[tuple[int, str, str]]  # (id, name, current status)
    events: list[tuple[str, datetime]]  # ("start"/"end", when)


@dataclass
class PageData:
    name: str
    url: str
    time_zone: str
    updated_at: datetime
    components: list[PublicComponentRow]
    groups: list[PublicGroupRow]
    ungrouped: list[PublicComponentRow]
    incidents: list  # incidents.public.PublicIncident, open first then newest
    maintenances: list[PublicMaintenance]
    indicator: str
    description: str

    @property
    def unresolved(self) -> list:
        return [i for i in self.incidents if i.is_open]

    @property
    def maintenance_shown(self) -> list[PublicMaintenance]:
        return [m for m in self.maintenances if m.status in ("scheduled", "in_progress", "verifying")]


def _days(now: datetime, tz: ZoneInfo) -> list[tuple[date, datetime, datetime]]:
    today = now.astimezone(tz).date()
    out = []
    for offset in range(UPTIME_DAYS - 1, -1, -1):
        day = today - timedelta(days=offset)
        start = datetime.combine(day, time(), tzinfo=tz)
        out.append((day, start, datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)))
    return out


def _outage_intervals(*, since: datetime, now: datetime, public_names: dict[int, str]) -> dict[int, list]:
    """Per component: the intervals open and past incidents affected it (named by their public title only
    when they are public: the same name the JSON and feeds show), and the maintenance occurrences that
    covered it."""
    out: dict[int, list] = defaultdict(list)
    rows = IncidentComponent.objects.filter(Q(incident__resolved_at__gte=since) | Q(incident__resolved_at__isnull=True))
    fields = ("component_id", "status", *(f"incident__{f}" for f in ("id", "status", "started_at", "resolved_at")))
    for ci in rows.select_related("incident").only(*fields, "incident__closed_at", "incident__updated_at"):
        incident = ci.incident
        end = incident.resolved_at or now
        if not incident.is_open and incident.resolved_at is None:
            end = incident.closed_at or incident.updated_at
        label = public_names.get(incident.pk, "")
        out[ci.component_id].append(uptime_domain.Interval(incident.started_at, min(end, now), ci.status, label))
    qs = maintenance_list().filter(starts_at__lt=now).exclude(recurrence="none", ends_at__lt=since)
    for maintenance in qs:
        stop = min(x for x in (now, maintenance.cancelled_at, maintenance.completed_at) if x is not None)
        spans = occ.occurrences(
            starts_at=maintenance.starts_at,
            ends_at=maintenance.ends_at,
            recurrence=maintenance.recurrence,
            until=maintenance.recurrence_until,
            start=since,
            end=stop,
        )
        for start, end in spans:
            for component in maintenance.components.all():
                interval = uptime_domain.Interval(start, min(end, stop), status_domain.MAINTENANCE, maintenance.name)
                out[component.pk].append(interval)
    return out


def _sli_days(slo_ids: list[int], *, now: datetime, tz: str) -> dict[int, dict[date, tuple | None]]:
    """Daily (good, total) per SLO over the last 90 days. Past days are cached for an hour (they do not
    change); today is asked every time. A failing SLO source leaves the bars on incident data."""
    if not slo_ids:
        return {}
    key = f"statuspage:sli:{tz}:{now.astimezone(ZoneInfo(tz)).date()}:{','.join(map(str, sorted(slo_ids)))}"
    try:
        past = cache.get(key)
        if past is None:
            past = slo_selectors.slo_daily_sli(slo_ids=slo_ids, days=UPTIME_DAYS, now=now, tz=tz)
            cache.set(key, past, 3600)
            today = past
        else:
            today = slo_selectors.slo_daily_sli(slo_ids=slo_ids, days=1, now=now, tz=tz)
    except Exception:
        logger.exception("statuspage: daily SLI failed; uptime bars fall back to incidents")
        return {}
    out: dict[int, dict[date, tuple | None]] = {}
    for slo_id, rows in past.items():
        out[slo_id] = dict(rows)
    for slo_id, rows in today.items():
        out.setdefault(slo_id, {}).update(dict(rows[-1:]))
    return out


def page_data(*, now: datetime, history_months: int | None = None) -> PageData:
    """Everything the public page shows at ``now``. A bounded number of queries whatever the counts
    (plus the SLO app's counting for linked SLIs, cached per day)."""
    tz_name = conf.get("STATUSPAGE_TIMEZONE")
    tz = ZoneInfo(tz_name)
    months = history_months or conf.get("STATUSPAGE_HISTORY_MONTHS")
    components = list(component_list())
    states = {s.component.pk: s.status for s in component_states(now=now, components=components)}
    incidents = public_incidents(since=now - timedelta(days=31 * months + 1), limit=1000)
    days = _days(now, tz)
    intervals = _outage_intervals(since=days[0][1], now=now, public_names={i.id: i.name for i in incidents})
    slo_ids = sorted({slo.pk for c in components for slo in c.slos.all()})
    sli = _sli_days(slo_ids, now=now, tz=tz_name)

    rows: list[PublicComponentRow] = []
    for component in components:
        row = PublicComponentRow(
            id=component.pk,
            name=component.name,
            description=component.description,
            group_id=component.group_id,
            position=component.position,
            status=states[component.pk],
            only_show_if_degraded=component.only_show_if_degraded,
            created_at=component.created_at,
            updated_at=component.status_changed_at or component.updated_at,
        )
        linked = [slo.pk for slo in component.slos.all() if slo.pk in sli]
        targets = [Fraction(str(slo.target)) for slo in component.slos.all() if slo.pk in sli]
        target = max(targets) if targets else None
        for day, start, end in days:
            from_incidents = uptime_domain.day_from_incidents(
                day=day, start=start, end=end, now=now, intervals=intervals.get(component.pk, [])
            )
            if linked and start <= now:
                counts = [sli[slo_id].get(day) for slo_id in linked]
                row.days.append(
                    uptime_domain.day_from_sli(day=day, counts=counts, incidents=from_incidents, target=target)
                )
            else:
                row.days.append(from_incidents)
        row.uptime = uptime_domain.overall_uptime(row.days)
        rows.append(row)

    groups = []
    for group in ComponentGroup.objects.all():
        members = [r for r in rows if r.group_id == group.pk]
        if members:
            groups.append(
                PublicGroupRow(
                    id=group.pk,
                    name=group.name,
                    description=group.description,
                    position=group.position,
                    created_at=group.created_at,
                    updated_at=group.updated_at,
                    components=members,
                )
            )
    maintenances = []
    window = (
        maintenance_list()
        .filter(Q(ends_at__gte=now - timedelta(days=31 * months)) | ~Q(recurrence="none"))
        .prefetch_related("events")
    )
    for maintenance in window:
        status, (start, end) = maintenance_status(maintenance, now=now)
        if status == "completed" and end < now - timedelta(days=31 * months):
            continue
        maintenances.append(
            PublicMaintenance(
                id=maintenance.pk,
                name=maintenance.name,
                body=maintenance.body,
                status=status,
                scheduled_for=start,
                scheduled_until=end,
                created_at=maintenance.created_at,
                updated_at=maintenance.updated_at,
                recurrence=maintenance.recurrence,
                components=[(c.pk, c.name, states.get(c.pk, "operational")) for c in maintenance.components.all()],
                events=[(e.kind, e.at) for e in maintenance.events.all() if e.occurrence_start == start],
            )
        )
    maintenances.sort(key=lambda m: m.scheduled_for)
    indicator, description = status_domain.page_status(
        component_statuses=states.values(), incident_impacts=[i.impact for i in incidents if i.is_open]
    )
    return PageData(
        name=conf.get("STATUSPAGE_NAME"),
        url=conf.public_url(),
        time_zone=tz_name,
        updated_at=now,
        components=rows,
        groups=groups,
        ungrouped=[r for r in rows if r.group_id is None],
        incidents=incidents,
        maintenances=maintenances,
        indicator=indicator,
        description=description,
    )
