"""Reads of the alerts app (query shaping lives here; services write, domain computes)."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from alerts.choices import AlertStatus, GroupState
from alerts.domain import routing, suppression
from alerts.domain.matchers import MATCH_NOTHING, Matcher, matches_all, parse_stored_matchers
from alerts.models import (
    Alert,
    AlertGroup,
    DeliveryAttempt,
    InhibitRule,
    MaintenanceWindow,
    Notification,
    Receiver,
    Route,
    Silence,
    TimeInterval,
)

logger = logging.getLogger(__name__)


def stored_matchers(items: list[str] | None, *, owner: str) -> tuple[Matcher, ...]:
    """Parsed stored matchers; ones that no longer parse match nothing, with a warning naming ``owner``."""
    parsed = parse_stored_matchers(items or [])
    if parsed is None:
        logger.warning("%s has matchers that no longer parse (%r); it matches nothing until fixed", owner, items)
        return MATCH_NOTHING
    return parsed


def route_rows() -> list[Route]:
    return list(Route.objects.select_related("receiver").order_by("parent_id", "position", "pk"))


def routing_tree(rows: list[Route] | None = None) -> routing.Route | None:
    """The resolved routing tree (inheritance applied), or ``None`` when no root route exists yet."""
    rows = route_rows() if rows is None else rows
    children: dict[int | None, list[Route]] = defaultdict(list)
    for row in rows:
        children[row.parent_id].append(row)
    roots = children.get(None, [])
    if not roots:
        return None

    def spec(row: Route) -> routing.RouteSpec:
        return routing.RouteSpec(
            id=row.pk,
            name=row.name,
            matchers=stored_matchers(row.matchers, owner=f"Route {row.pk} ({row.name})"),
            receiver=row.receiver.name if row.receiver_id else None,
            group_by=tuple(row.group_by) if row.group_by is not None else None,
            continue_=row.continue_matching,
            group_wait=row.group_wait,
            group_interval=row.group_interval,
            repeat_interval=row.repeat_interval,
            mute_time_intervals=tuple(row.mute_time_intervals or ()),
            active_time_intervals=tuple(row.active_time_intervals or ()),
            children=tuple(spec(child) for child in children.get(row.pk, [])),
        )

    return routing.resolve(spec(roots[0]))


def time_interval_map() -> dict[str, list[dict[str, Any]]]:
    return {ti.name: ti.entries for ti in TimeInterval.objects.all()}


def inhibit_rules() -> list[suppression.InhibitRule]:
    return [
        suppression.InhibitRule(
            source=stored_matchers(rule.source_matchers, owner=f"Inhibition rule {rule.pk}"),
            target=stored_matchers(rule.target_matchers, owner=f"Inhibition rule {rule.pk}"),
            equal=tuple(rule.equal or ()),
        )
        for rule in InhibitRule.objects.all()
    ]


def silences_active(*, now: datetime) -> list[Silence]:
    return list(Silence.objects.filter(starts_at__lte=now, ends_at__gt=now))


def silences_matching(*, labels: dict[str, str], now: datetime, silences: list[Silence] | None = None) -> list[str]:
    """Ids of active silences that match ``labels``."""
    silences = silences_active(now=now) if silences is None else silences
    return [str(s.id) for s in silences if matches_all(suppression.silence_matchers(s.matchers), labels)]


def maintenance_active(*, now: datetime) -> list[MaintenanceWindow]:
    """Maintenance windows with an occurrence covering ``now`` (route ids prefetched)."""
    candidates = MaintenanceWindow.objects.filter(starts_at__lte=now).filter(
        Q(recurrence="none", ends_at__gt=now) | ~Q(recurrence="none")
    )
    out = []
    for window in candidates.prefetch_related("routes"):
        occurrence = suppression.occurrence_at(
            starts_at=window.starts_at,
            ends_at=window.ends_at,
            recurrence=window.recurrence,
            until=window.recurrence_until,
            at=now,
        )
        if occurrence:
            out.append(window)
    return out


def group_with_alerts(*, group_id: int) -> AlertGroup | None:
    """A group with its alerts, route and receiver (the seam the incidents app uses)."""
    return (
        AlertGroup.objects.select_related("route", "receiver")
        # The receiver's secrets are not for readers of a group: skip copying and decrypting them.
        .defer("receiver__routing_key", "receiver__secret")
        .prefetch_related(Prefetch("alerts", queryset=Alert.objects.order_by("-starts_at")))
        .filter(pk=group_id)
        .first()
    )


def group_list(
    *, states: list[str] | None = None, label_filters: list[str] | None = None, receiver: str = ""
) -> QuerySet[AlertGroup]:
    """Groups, newest first, with alert counts. ``label_filters`` are matchers against the group labels or
    any of its alerts' labels (applied in Python by callers through ``group_matches``)."""
    qs = AlertGroup.objects.select_related("receiver", "route").annotate(
        firing_count=Count("alerts", filter=Q(alerts__status=AlertStatus.FIRING)),
        alert_count=Count("alerts"),
    )
    if states:
        qs = qs.filter(state__in=states)
    if receiver:
        qs = qs.filter(receiver__name=receiver)
    return qs.order_by("-updated_at", "-pk")


def group_matches(group: AlertGroup, matchers: tuple) -> bool:
    if not matchers:
        return True
    if matches_all(matchers, group.group_labels):
        return True
    return any(matches_all(matchers, alert.labels) for alert in group.alerts.all())


def groups_open_count_by_state() -> dict[str, int]:
    rows = AlertGroup.objects.exclude(state=GroupState.RESOLVED).values("state").annotate(n=Count("pk"))
    return {row["state"]: row["n"] for row in rows}


def firing_groups(*, limit: int = 10) -> list[AlertGroup]:
    return list(
        AlertGroup.objects.filter(state__in=[GroupState.FIRING, GroupState.ACKNOWLEDGED])
        .select_related("receiver")
        .annotate(firing_count=Count("alerts", filter=Q(alerts__status=AlertStatus.FIRING)))
        .order_by("-updated_at")[:limit]
    )


def firing_alert_counts(*, source: str = "", by: tuple[str, ...] = ("service", "slo")) -> dict[tuple[str, ...], int]:
    """The one count of firing alerts every page shows, keyed by the values of the ``by`` labels.

    Firing means the alert's own status: an alert resolved by hand (or by its source) is not firing, whatever the
    condition that raised it still says. ``source="slo"`` keyed by (service, slo) is what SLO pages show as
    "burn alerts firing"; the condition itself ("holds") is the SLO's own evaluation, shown separately."""
    qs = Alert.objects.filter(status=AlertStatus.FIRING)
    if source:
        qs = qs.filter(source=source)
    counts: dict[tuple[str, ...], int] = defaultdict(int)
    for labels in qs.values_list("labels", flat=True):
        labels = labels or {}
        counts[tuple(str(labels.get(name, "")) for name in by)] += 1
    return dict(counts)


def alert_list(*, status: str = "") -> QuerySet[Alert]:
    qs = Alert.objects.all()
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-updated_at", "-pk")


def alerts_firing_by_severity() -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for labels in Alert.objects.filter(status=AlertStatus.FIRING).values_list("labels", flat=True):
        counts[(labels or {}).get("severity", "none") or "none"] += 1
    return dict(counts)


def notification_list(
    *, receiver: str = "", event: str = "", state: str = "", group_id: int | None = None
) -> QuerySet[Notification]:
    qs = Notification.objects.select_related("receiver", "group")
    if receiver:
        qs = qs.filter(receiver__name=receiver)
    if event:
        qs = qs.filter(event=event)
    if state:
        qs = qs.filter(state=state)
    if group_id:
        qs = qs.filter(group_id=group_id)
    return qs.order_by("-created_at", "-pk")


def attempt_list(
    *, receiver: str = "", event: str = "", outcome: str = "", group_id: int | None = None, dedup_key: str = ""
) -> QuerySet[DeliveryAttempt]:
    qs = DeliveryAttempt.objects.select_related("receiver", "group")
    if receiver:
        qs = qs.filter(receiver__name=receiver)
    if event:
        qs = qs.filter(event=event)
    if outcome:
        qs = qs.filter(outcome=outcome)
    if group_id:
        qs = qs.filter(group_id=group_id)
    if dedup_key:
        qs = qs.filter(dedup_key=dedup_key)
    return qs.order_by("-started_at", "-pk")


def receiver_list() -> QuerySet[Receiver]:
    return Receiver.objects.order_by("name")


def silence_list() -> QuerySet[Silence]:
    return Silence.objects.order_by("-starts_at")


def silence_preview(*, matchers: tuple, limit: int = 200) -> list[Alert]:
    """Firing alerts that a silence with ``matchers`` would silence right now."""
    out = []
    for alert in Alert.objects.filter(status=AlertStatus.FIRING).order_by("-starts_at").iterator():
        if matches_all(matchers, alert.labels):
            out.append(alert)
            if len(out) >= limit:
                break
    return out
