"""Reads of the statuspage app: components with their derived status, maintenance occurrences, subscribers.
What the public page shows, gathered once, is ``statuspage.selectors.page.page_data``."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet

from alerts.choices import AlertStatus
from alerts.models import Alert
from alerts.selectors import firing_alert_counts
from incidents.choices import OPEN_STATUSES
from incidents.models import IncidentComponent
from statuspage.domain import occurrences as occ
from statuspage.domain import status as status_domain
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
