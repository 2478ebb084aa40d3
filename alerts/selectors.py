"""Reads of the alerts app (query shaping lives here; services write, domain computes)."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Min, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.fields.json import KT

from alerts.choices import AlertStatus, GroupState, NotificationState
from alerts.domain import routing, suppression, triage
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


def alert_count() -> int:
    """Every alert ever received (the Overview says it when no group is open)."""
    return Alert.objects.count()


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


def outbox_backlog(*, now: datetime) -> tuple[int, float]:
    """(notifications due and not yet sent, seconds the oldest of them has waited; 0 when none): the delivery
    queue's depth as the outbox sees it, whichever way rows travel (relay threads, Celery). One indexed query."""
    row = Notification.objects.filter(state=NotificationState.PENDING, next_attempt_at__lte=now).aggregate(
        due=Count("pk"), oldest=Min("next_attempt_at")
    )
    oldest = row["oldest"]
    return row["due"], max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0


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


def silences_recent(*, limit: int = 300) -> list[Silence]:
    """The newest silences by start, at most ``limit`` (the silences page)."""
    return list(Silence.objects.order_by("-starts_at")[:limit])


def group_notifications(*, group_id: int, limit: int = 50) -> list[Notification]:
    """A group's notifications with their receivers, newest first."""
    return list(Notification.objects.filter(group_id=group_id).select_related("receiver").order_by("-pk")[:limit])


def silence_prefill_labels(*, alert_id: int | None = None, group_id: int | None = None) -> dict[str, str]:
    """The labels a new silence starts from: all of an alert's, else a group's own; {} when it is gone."""
    if alert_id is not None:
        alert = Alert.objects.filter(pk=alert_id).only("labels").first()
        return alert.labels if alert else {}
    if group_id is not None:
        group = AlertGroup.objects.filter(pk=group_id).only("group_labels").first()
        return group.group_labels if group else {}
    return {}


def inhibit_rule_list() -> QuerySet[InhibitRule]:
    return InhibitRule.objects.all()


def time_interval_list() -> QuerySet[TimeInterval]:
    return TimeInterval.objects.all()


def maintenance_window_list() -> QuerySet[MaintenanceWindow]:
    """Maintenance windows, newest start first, with their routes and the status-page maintenance owning them."""
    return (
        MaintenanceWindow.objects.select_related("status_maintenance").prefetch_related("routes").order_by("-starts_at")
    )


def maintenance_window_get(*, window_id: int) -> MaintenanceWindow | None:
    return MaintenanceWindow.objects.filter(pk=window_id).first()


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


def receiver_choices() -> list[Receiver]:
    """Receivers by name with their names only (a filter's select)."""
    return list(Receiver.objects.order_by("name").only("name"))


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


@dataclass
class TriageRow:
    """One alert group as the alert list shows it (``alerts.domain.triage`` says the title and the order)."""

    group: AlertGroup
    title: str
    severity: str
    service: str
    started_at: datetime
    firing_count: int
    alert_count: int
    last_attempt: DeliveryAttempt | None
    alertname: str = ""
    escalation: dict | None = None
    age_seconds: float = 0.0  # how long it has fired (since its oldest firing alert started)


@dataclass
class TriageList:
    rows: list[TriageRow]
    total: int  # groups matching the filters (``rows`` holds the first ``limit`` of them)
    services: list[str]  # service label values of the groups in the chosen states, for the filter
    capped: bool  # more groups were in the chosen states than one page reads (the newest were read)


TRIAGE_READ_CAP = 2000


def triage_list(
    *,
    states: list[str],
    receiver: str = "",
    severity: str = "",
    service: str = "",
    matchers: tuple = (),
    sort: str = "severity",
    limit: int = 50,
    now: datetime,
) -> TriageList:
    """Groups in ``states`` for the alert list, filtered and ordered for triage; three queries whatever the number
    of groups (groups with receiver and last attempt id, their alerts' labels, the shown groups' last attempts).

    Severity, service and labels live in JSON labels, so those filters run here in Python over at most
    ``TRIAGE_READ_CAP`` groups (the most recently updated), as the label filter always did. Alerts are read as
    plain values (no model instances): 500 open groups of 3 alerts each is the bench's load."""
    last_attempt = DeliveryAttempt.objects.filter(group_id=OuterRef("pk")).order_by("-started_at", "-pk")
    qs = (
        AlertGroup.objects.filter(state__in=states)
        .select_related("receiver")
        .only(*_GROUP_FIELDS, "receiver__id", "receiver__name")
        .annotate(last_attempt_id=Subquery(last_attempt.values("pk")[:1]))
        .order_by("-updated_at", "-pk")
    )
    if receiver:
        qs = qs.filter(receiver__name=receiver)
    groups = list(qs[: TRIAGE_READ_CAP + 1])
    capped = len(groups) > TRIAGE_READ_CAP
    groups = groups[:TRIAGE_READ_CAP]
    members: dict[int, list[_AlertBits]] = defaultdict(list)
    # Only the summary of the annotations (descriptions and runbooks can be long): one key read in SQL.
    rows = (
        Alert.objects.filter(groups__in=[g.pk for g in groups])
        .annotate(summary=KT("annotations__summary"))
        .order_by("-starts_at", "-pk")
        .values_list("groups", "labels", "summary", "status", "starts_at")
    )
    for group_id, labels, summary, status, starts_at in rows:
        bits = _AlertBits(labels or {}, str(summary or ""), status == AlertStatus.FIRING, starts_at)
        members[group_id].append(bits)
    candidates = [_row(group, members[group.pk], now=now) for group in groups]
    services = sorted({part for row in candidates for part in row.service.split(", ") if part})
    chosen = [
        row
        for row in candidates
        if (not severity or row.severity == severity)
        and (not service or service in row.service.split(", "))
        and _labels_match(row.group, members[row.group.pk], matchers)
    ]
    facts = [(triage.OrderFacts(severity=r.severity, started_at=r.started_at, id=r.group.pk), r) for r in chosen]
    rows = triage.triage_order(facts, sort=sort)[:limit]
    attempts = DeliveryAttempt.objects.filter(pk__in=[r.group.last_attempt_id for r in rows if r.group.last_attempt_id])
    by_id = {a.pk: a for a in attempts.select_related("receiver").only(*_ATTEMPT_FIELDS, "receiver__name")}
    for row in rows:
        row.last_attempt = by_id.get(row.group.last_attempt_id)
    return TriageList(rows=rows, total=len(chosen), services=services, capped=capped)


@dataclass(frozen=True)
class _AlertBits:
    """What the list needs of one alert of a group."""

    labels: dict
    summary: str
    firing: bool
    starts_at: datetime


def _labels_match(group: AlertGroup, alerts: list[_AlertBits], matchers: tuple) -> bool:
    """``group_matches`` over plain values: the group labels or any of its alerts' labels match."""
    if not matchers or matches_all(matchers, group.group_labels or {}):
        return True
    return any(matches_all(matchers, a.labels) for a in alerts)


# What a triage card reads of a group (``_row`` and templates/alerts/_groups.html): a field left out here is one
# query per card. Not derived from ``AlertsGroupSerializer.Meta.fields``: that list is the API contract (it also
# carries group_key and route, which the list does not read) and changes for other reasons.
_GROUP_FIELDS = (
    "id",
    "group_labels",
    "state",
    "created_at",
    "updated_at",
    "acknowledged_at",
    "acknowledged_by",
    "resolved_at",
    "last_notified_at",
    "receiver",
)
_ATTEMPT_FIELDS = ("id", "receiver", "event", "outcome", "started_at", "http_status", "error")


def triage_row(group: AlertGroup, *, now: datetime) -> TriageRow:
    """Title, severity, service and age of a group whose alerts are prefetched (no query of its own)."""
    alerts = [
        _AlertBits(
            a.labels or {}, str((a.annotations or {}).get("summary", "")), a.status == AlertStatus.FIRING, a.starts_at
        )
        for a in group.alerts.all()
    ]
    return _row(group, alerts, now=now)


def _row(group: AlertGroup, alerts: list[_AlertBits], *, now: datetime) -> TriageRow:
    firing = [a for a in alerts if a.firing]
    shown = firing or alerts
    group_labels = group.group_labels or {}
    facts = [triage.AlertFacts(labels=a.labels, summary=a.summary) for a in shown]
    title = triage.group_title(group_labels=group_labels, alerts=facts, fallback=f"Alert group {group.pk}")
    services = [str(group_labels["service"])] if group_labels.get("service") else []
    if not services:
        services = sorted({str(a.labels["service"]) for a in shown if a.labels.get("service")})
    started_at = min((a.starts_at for a in firing), default=group.created_at)
    age = max(0.0, (now - started_at).total_seconds())
    return TriageRow(
        group=group,
        title=title,
        severity=triage.severity_of([group_labels, *(a.labels for a in shown)]),
        service=", ".join(services),
        started_at=started_at,
        firing_count=len(firing),
        alert_count=len(alerts),
        last_attempt=None,
        alertname=triage.alertname_of(group_labels, facts),
        age_seconds=age if age < 60 else age // 60 * 60,  # whole minutes: "50 min", not "50 min 19 s"
    )
