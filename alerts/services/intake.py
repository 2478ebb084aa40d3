"""Intake: every alert (Alertmanager webhook, generic JSON, SLO burn alerts, drills) enters here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from django.db import transaction
from django.db.models import Model

from alerts import sql
from alerts.choices import AlertStatus, GroupEventKind, GroupState, ReceiverKind
from alerts.config_cache import intake_config, intake_config_for
from alerts.domain import routing
from alerts.domain.matchers import fingerprint as label_fingerprint
from alerts.domain.matchers import valid_label_name
from alerts.models import Alert, AlertGroup, GroupEvent, Receiver, Route
from alerts.services.delivery import receiver_lock_rank
from alerts.services.notify import BatchWrites, FlushContext, batch_write, group_flush_locked, group_schedule
from sre.errors import InvalidInputError
from sre.observability.tracing import traceparent

if TYPE_CHECKING:
    from alerts.services.notify import BatchWrites

_M = TypeVar("_M", bound=Model)

DEFAULT_RECEIVER = "default"
STATUSES = frozenset(AlertStatus.values)  # (``values`` builds a new list on every read)


@dataclass(frozen=True)
class AlertInput:
    """One alert as received. ``fingerprint`` may be given by the sender; otherwise it is the label hash."""

    labels: dict[str, str]
    annotations: dict[str, str] = field(default_factory=dict)
    status: str = AlertStatus.FIRING
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    generator_url: str = ""
    fingerprint: str = ""


def _validate(item: AlertInput, index: int | None) -> None:
    where = f"alerts[{index}]." if index is not None else ""
    if not isinstance(item.labels, dict) or not item.labels:
        raise InvalidInputError("An alert needs at least one label.", fields={f"{where}labels": ["Required."]})
    for name, value in item.labels.items():
        if not isinstance(name, str) or not valid_label_name(name):
            raise InvalidInputError(f"Invalid label name {name!r}.", fields={f"{where}labels": ["Invalid name."]})
        if not isinstance(value, str):
            raise InvalidInputError(
                f"Label {name!r} must be a string.", fields={f"{where}labels.{name}": ["Must be a string."]}
            )
    for name, value in (item.annotations or {}).items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise InvalidInputError(
                "Annotations must map strings to strings.", fields={f"{where}annotations": ["Must be strings."]}
            )
    annotations = item.annotations or {}
    texts = {
        "labels": list(item.labels.values()),
        "annotations": [*annotations, *annotations.values()],
        "generator_url": [item.generator_url],
        "fingerprint": [item.fingerprint],
    }
    for name, values in texts.items():
        if any(isinstance(text, str) and "\x00" in text for text in values):
            # PostgreSQL stores no NUL character in text or JSON; refuse it here rather than fail the transaction.
            raise InvalidInputError(
                f"{name} must not contain NUL characters.", fields={f"{where}{name}": ["Contains a NUL character."]}
            )
    if item.status not in STATUSES:
        raise InvalidInputError(
            f"Unknown status {item.status!r}; expected firing or resolved.", fields={f"{where}status": ["Invalid."]}
        )


def routing_ensure_default() -> Route:
    """The root route, created (with a ledger-only ``default`` receiver) when the tree is empty. It groups by
    ``alertname``, ``service`` and ``slo``, so burn alerts of different SLOs (even of the same name in two
    services) land in different groups; alerts without those labels group by ``alertname`` as before. A tree
    that exists is never changed (its ``group_by`` is the operator's choice)."""
    root = Route.objects.filter(parent__isnull=True).order_by("pk").first()
    if root is not None:
        return root
    receiver, _ = Receiver.objects.get_or_create(name=DEFAULT_RECEIVER, defaults={"kind": ReceiverKind.LEDGER})
    return Route.objects.create(
        name="root",
        receiver=receiver,
        group_by=["alertname", "service", "slo"],
        group_wait=30,
        group_interval=300,
        repeat_interval=14400,
    )


def alert_raise(
    *,
    labels: dict[str, str],
    annotations: dict[str, str],
    status: str,
    source: str,
    now: datetime,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    generator_url: str = "",
) -> Alert:
    """Internal intake (SLO burn alerts, restore drills): the same path as the webhooks.

    ``status`` is ``firing`` or ``resolved``. Raises ``InvalidInputError`` on bad labels. Routing, grouping
    and notification follow exactly as for a webhook alert; the notification is sent after commit.
    """
    item = AlertInput(
        labels=labels,
        annotations=annotations or {},
        status=status,
        starts_at=starts_at,
        ends_at=ends_at,
        generator_url=generator_url,
    )
    return alerts_ingest(items=[item], source=source, now=now)[0]


def alerts_validate(*, items: list[AlertInput]) -> None:
    """Raise ``InvalidInputError`` (naming the field, and the item when there are several) unless every alert
    of the batch can be stored."""
    for index, item in enumerate(items):
        _validate(item, index if len(items) > 1 else None)


def alerts_ingest(*, items: list[AlertInput], source: str, now: datetime) -> list[Alert]:
    """Store a batch of alerts atomically (all or nothing), group them and flush groups that are due.

    Idempotent for repeated deliveries: the same firing alert updates the same row and, as its group's
    membership and state do not change, no new notification is created (Alertmanager delivers at least
    once). Rows are read, locked and written in bulk: a constant number of queries per batch plus about two
    per changed group, whatever the number of alerts. A group due now (``group_wait`` 0) is flushed in this
    transaction, so its outbox row commits with the alerts and goes to a worker on commit."""
    alerts_validate(items=items)
    return alerts_store(items=items, source=source, now=now)


def alerts_store(*, items: list[AlertInput], source: str, now: datetime) -> list[Alert]:
    """``alerts_ingest`` for a batch ``alerts_validate`` has passed (the web workers' shared transactions,
    ``alerts.combine``, validate each webhook on its own first)."""

    with transaction.atomic():
        # A fingerprint twice in one batch: the last one counts.
        latest = {alert_fingerprint(item): item for item in items}
        version, locked = sql.config_version_and_locked_alerts(sorted(latest))
        config = intake_config_for(version=version, now=now)
        if config.tree is None:
            routing_ensure_default()
            config = intake_config(now=now)
        tree = config.tree
        assert tree is not None
        alerts, changed_fps = _upsert_all(latest, locked, source=source, now=now)
        routed: list[tuple[Alert, routing.Route]] = []
        for alert in alerts.values():
            if alert.status == AlertStatus.RESOLVED and alert.fingerprint not in changed_fps:
                continue
            routed.extend((alert, route) for route in routing.match(tree, alert.labels))
        events: list[GroupEvent] = []
        groups = _groups_for(routed, receivers=config.receivers, now=now, events=events)
        created = {e.group.pk for e in events if e.kind == GroupEventKind.CREATED}  # ours: no members yet
        writes = BatchWrites()
        changed, members = _join_all(
            routed, groups, created=created, changed_fps=changed_fps, now=now, events=events, writes=writes
        )
        if changed:
            context = FlushContext.load(now=now, config=config, writes=writes)
            by_pk = {a.pk: a for a in alerts.values()}
            due = []
            for group in changed.values():
                group_schedule(group=group, now=now)
                if group.next_flush_at is not None and group.next_flush_at <= now:
                    due.append(group)
                else:
                    writes.groups[group.pk] = group
            # A relaying process claims each notification here, locking its receiver's lock set: take the sets
            # in one global order (no deadlock between two batches notifying the same receivers).
            due.sort(key=lambda g: (receiver_lock_rank(g.receiver, config.receivers.values()), g.pk))
            others = {pk for group in due for pk in members[group.pk]} - set(by_pk)
            if others:
                by_pk.update((a.pk, a) for a in Alert.objects.filter(pk__in=others))
            for group in due:
                group_alerts = sorted((by_pk[pk] for pk in members[group.pk]), key=lambda a: a.pk)
                group_flush_locked(
                    group=group, alerts=group_alerts, now=now, ingested_at=now, context=context, events=events,
                    new_group=group.pk in created,
                )  # fmt: skip
        batch_write(writes, events)
    return [alerts[alert_fingerprint(item)] for item in items]


def alert_fingerprint(item: AlertInput) -> str:
    """The alert's identity: the fingerprint its sender gave, else the hash of its label set."""
    return item.fingerprint or label_fingerprint(item.labels)


def _apply(alert: Alert, item: AlertInput, *, now: datetime) -> bool:
    """Update an existing alert from a delivery; returns whether its status changed."""
    starts_at = item.starts_at or now
    refire = alert.status != item.status and item.status == AlertStatus.FIRING
    if refire and item.starts_at and item.starts_at <= alert.starts_at:
        # The same episode firing again after it was resolved: a late retry from Alertmanager, or an alert
        # a person resolved here while the source still fires it. A new episode has a later startsAt.
        alert.receive_count += 1
        return False
    changed = alert.status != item.status
    alert.labels = item.labels
    alert.annotations = item.annotations
    if changed and item.status == AlertStatus.FIRING:
        alert.starts_at = starts_at
        alert.resolved_by = ""
    alert.status = item.status
    alert.ends_at = (item.ends_at or now) if item.status == AlertStatus.RESOLVED else None
    alert.generator_url = item.generator_url[:2000] or alert.generator_url
    alert.received_at = now
    alert.updated_at = now
    alert.receive_count += 1
    return changed


UPDATE_FIELDS: tuple[str, ...] = (
    "labels",
    "annotations",
    "status",
    "starts_at",
    "ends_at",
    "generator_url",
    "received_at",
)
UPDATE_FIELDS += ("updated_at", "receive_count", "resolved_by")


def _upsert_all(
    latest: dict[str, AlertInput], locked: list[Alert], *, source: str, now: datetime
) -> tuple[dict[str, Alert], set[str]]:
    """Update the existing alerts (``locked``, by the caller, in fingerprint order: no deadlocks) and insert the
    new ones of ``latest`` (by fingerprint)."""
    existing = {a.fingerprint: a for a in locked}
    changed: set[str] = set()
    for fp, alert in existing.items():
        if _apply(alert, latest[fp], now=now):
            changed.add(fp)
    if existing:
        sql.update_rows(list(existing.values()), UPDATE_FIELDS)
    new = [
        Alert(
            fingerprint=fp,
            labels=item.labels,
            annotations=item.annotations,
            status=item.status,
            starts_at=item.starts_at or now,
            ends_at=(item.ends_at or now) if item.status == AlertStatus.RESOLVED else None,
            generator_url=item.generator_url[:2000],
            source=source[:100],
            received_at=now,
            updated_at=now,
        )
        for fp, item in latest.items()
        if fp not in existing
    ]
    if new:
        # One statement inserts the new rows and returns their ids. A concurrent request may have inserted the
        # same fingerprint: that row is not returned (ON CONFLICT DO NOTHING) and is read whole, locked.
        inserted = _insert_new(Alert, new, key="fingerprint")
        ours = {a.fingerprint: a for a in new}
        existing.update((fp, ours[fp]) for fp in inserted)
        theirs = [fp for fp in ours if fp not in inserted]
        if theirs:
            existing.update((a.fingerprint, a) for a in sql.locked_by_key(Alert, key="fingerprint", values=theirs))
        changed.update(ours)
    return existing, changed


def _groups_for(
    routed: list[tuple[Alert, routing.Route]],
    *,
    receivers: dict[str, Receiver],
    now: datetime,
    events: list[GroupEvent],
) -> dict[str, AlertGroup]:
    """The groups (by key) the routed alerts belong to, locked; firing alerts create missing ones."""
    keys = {route.group_key(alert.labels): (alert, route) for alert, route in routed}
    if not keys:
        return {}
    groups = {g.group_key: g for g in sql.locked_by_key(AlertGroup, key="group_key", values=sorted(keys))}
    missing = [k for k, (alert, _) in keys.items() if k not in groups and alert.status == AlertStatus.FIRING]
    if missing:
        fresh = []
        opening_trace = traceparent()  # the first flush continues this request's trace, even when the tick runs it
        for key in missing:
            alert, route = keys[key]
            fresh.append(
                AlertGroup(
                    group_key=key,
                    route_id=route.id,
                    receiver=receivers.get(route.receiver),
                    group_labels=route.group_labels(alert.labels),
                    timing={
                        "group_wait": route.group_wait,
                        "group_interval": route.group_interval,
                        "repeat_interval": route.repeat_interval,
                        "mute_time_intervals": list(route.mute_time_intervals),
                        "active_time_intervals": list(route.active_time_intervals),
                    },
                    state=GroupState.FIRING,
                    created_at=now,
                    updated_at=now,
                    next_flush_at=now + timedelta(seconds=route.group_wait),
                    traceparent=opening_trace,
                )
            )
        # As for alerts: one statement inserts and returns the ids; a group another request created meanwhile
        # is read whole, locked.
        inserted = _insert_new(AlertGroup, fresh, key="group_key")
        for group in fresh:
            if group.group_key in inserted:
                groups[group.group_key] = group
                message = f"Route {route_name(keys[group.group_key][1])}"
                events.append(GroupEvent(group=group, at=now, kind=GroupEventKind.CREATED, message=message))
        theirs = [key for key in missing if key not in inserted]
        if theirs:
            groups.update((g.group_key, g) for g in sql.locked_by_key(AlertGroup, key="group_key", values=theirs))
    # The flush reads the receiver (name, send_resolved): use the configuration's copy, not a query (and a
    # decryption of its secrets) per group.
    by_id = {r.pk: r for r in receivers.values()}
    for group in groups.values():
        if group.receiver_id in by_id:
            group.receiver = by_id[group.receiver_id]
    return groups


def _insert_new(model: type[_M], objs: list[_M], *, key: str) -> set[str]:
    """``INSERT … ON CONFLICT (key) DO NOTHING RETURNING pk, key`` in one statement (PostgreSQL and SQLite): the
    objects whose row this statement inserted get their pk, and their keys are returned; rows that already
    existed (another transaction inserted the same key) are left out."""
    return sql.insert_rows(objs, conflict_key=key)


def route_name(route: routing.Route) -> str:
    return route.name or str(route.id)


def alert_title(labels: dict[str, str], group_labels: dict[str, str]) -> str:
    """How the timeline names an alert inside its group: alertname plus the labels that tell it apart."""
    name = labels.get("alertname", "alert")
    extra = [f"{k}={v}" for k, v in sorted(labels.items()) if k != "alertname" and k not in group_labels]
    return f"{name} {{{', '.join(extra[:4])}{', …' if len(extra) > 4 else ''}}}" if extra else name


def _timeline_line(titles: list[str], limit: int = 20) -> str:
    shown = ", ".join(titles[:limit])
    return f"{len(titles)} alert(s): {shown}" + (f", +{len(titles) - limit} more" if len(titles) > limit else "")


def _join_all(
    routed: list[tuple[Alert, routing.Route]],
    groups: dict[str, AlertGroup],
    *,
    created: set[int],
    changed_fps: set[str],
    now: datetime,
    events: list[GroupEvent],
    writes: BatchWrites,
) -> tuple[dict[int, AlertGroup], dict[int, set[int]]]:
    """Add alerts to their groups and write the timeline (one row per group and kind per batch, naming the
    alerts). Returns the groups that changed and the alert ids of every touched group (all its members).
    ``created`` are the ids of groups this batch inserted (known to be empty)."""
    pairs = []
    for alert, route in routed:
        group = groups.get(route.group_key(alert.labels))
        if group is not None:
            pairs.append((group, alert))
    if not pairs:
        return {}, {}
    through = AlertGroup.alerts.through
    members: dict[int, set[int]] = {g.pk: set() for g, _ in pairs}
    existing = [pk for pk in members if pk not in created]  # a group this batch created has no members yet
    if existing:
        for group_id, alert_id in through.objects.filter(alertgroup_id__in=existing).values_list(
            "alertgroup_id", "alert_id"
        ):
            members[group_id].add(alert_id)
    changed: dict[int, AlertGroup] = {}
    links = []
    lines: dict[tuple[int, str], list[str]] = {}
    for group, alert in pairs:
        if alert.pk not in members[group.pk]:
            if alert.status != AlertStatus.FIRING:
                continue
            members[group.pk].add(alert.pk)
            links.append(through(alertgroup_id=group.pk, alert_id=alert.pk))
            kind = GroupEventKind.ALERT_JOINED
        elif alert.fingerprint in changed_fps:
            kind = GroupEventKind.ALERT_REFIRED if alert.status == AlertStatus.FIRING else GroupEventKind.ALERT_RESOLVED
        else:
            continue
        lines.setdefault((group.pk, kind), []).append(alert_title(alert.labels, group.group_labels))
        changed[group.pk] = group
    writes.links.extend(links)
    events.extend(
        GroupEvent(group=changed[group_id], at=now, kind=kind, message=_timeline_line(titles))
        for (group_id, kind), titles in lines.items()
    )
    return changed, members
