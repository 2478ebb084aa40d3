"""``page_data``: everything the public page, its JSON and its feeds show, gathered once.

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
from django.db.models import Q

from incidents.models import IncidentComponent
from incidents.public import public_incidents
from slo import selectors as slo_selectors
from statuspage import conf
from statuspage.domain import occurrences as occ
from statuspage.domain import status as status_domain
from statuspage.domain import uptime as uptime_domain
from statuspage.models import Component, ComponentGroup
from statuspage.selectors import UPTIME_DAYS, component_list, component_states, maintenance_list, maintenance_status

logger = logging.getLogger(__name__)


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


def _component_rows(
    components: list[Component], *, states: dict[int, str], incidents: list, now: datetime, tz_name: str
) -> list[PublicComponentRow]:
    """Each component's public row with its 90 day bars: from linked SLIs where it has them, else from incidents."""
    days = _days(now, ZoneInfo(tz_name))
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
    return rows


def _group_rows(rows: list[PublicComponentRow]) -> list[PublicGroupRow]:
    """The component groups that have a component on the page, with their rows."""
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
    return groups


def _public_maintenances(*, now: datetime, months: int, states: dict[int, str]) -> list[PublicMaintenance]:
    """Maintenance within the history (recurring ones always), each occurrence's status, soonest first."""
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
    return maintenances


def page_data(*, now: datetime, history_months: int | None = None) -> PageData:
    """Everything the public page shows at ``now``. A bounded number of queries whatever the counts
    (plus the SLO app's counting for linked SLIs, cached per day)."""
    tz_name = conf.get("STATUSPAGE_TIMEZONE")
    months = history_months or conf.get("STATUSPAGE_HISTORY_MONTHS")
    components = list(component_list())
    states = {s.component.pk: s.status for s in component_states(now=now, components=components)}
    incidents = public_incidents(since=now - timedelta(days=31 * months + 1), limit=1000)
    rows = _component_rows(components, states=states, incidents=incidents, now=now, tz_name=tz_name)
    groups = _group_rows(rows)
    maintenances = _public_maintenances(now=now, months=months, states=states)
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
