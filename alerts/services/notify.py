"""Group flushes: decide what each group must tell its receiver, and write it to the outbox."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils.module_loading import import_string

from alerts import sql
from alerts.choices import AlertStatus, GroupEventKind, GroupState, NotificationEvent
from alerts.config_cache import IntakeConfig, intake_config
from alerts.domain import suppression, timeintervals
from alerts.models import Alert, AlertGroup, DeliveryAttempt, GroupEvent, Notification, Receiver
from sre.domain.links import http_url
from sre.observability.tracing import continued

logger = logging.getLogger(__name__)


def base_url() -> str:
    return settings.SRE.get("BASE_URL", "http://127.0.0.1:8000").rstrip("/")


def group_schedule(*, group: AlertGroup, now: datetime) -> None:
    """Schedule a flush in memory (the caller saves): a new group waits ``group_wait``; a changed one waits
    for ``group_interval`` since its last flush (Alertmanager's batching)."""
    interval = timedelta(seconds=group.timing.get("group_interval", 300))
    if group.last_flush_at is None:
        due = group.created_at + timedelta(seconds=group.timing.get("group_wait", 30))
    else:
        due = max(now, group.last_flush_at + interval)
    if group.next_flush_at is None or due < group.next_flush_at:
        group.next_flush_at = due
    group.updated_at = now


def group_mark_changed(*, group: AlertGroup, now: datetime) -> None:
    """``group_schedule`` and save."""
    group_schedule(group=group, now=now)
    group.save(update_fields=["next_flush_at", "updated_at"])


def _hash(values: Any) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class BatchWrites:
    """What the flushes of one intake batch write, kept until the end of its transaction and written together
    (``batch_write``): on PostgreSQL in one statement with the batch's timeline rows."""

    notifications: list[tuple[Notification, DeliveryAttempt | None, Receiver | None]] = field(default_factory=list)
    groups: dict[int, AlertGroup] = field(default_factory=dict)
    links: list[Any] = field(default_factory=list)  # new group memberships (``AlertGroup.alerts`` rows)


@dataclass
class FlushContext:
    """What a flush reads besides the group: loaded once per intake batch or tick, not once per group.
    ``writes``: where the flushes leave their rows (intake); None: each flush writes its own."""

    config: IntakeConfig
    now: datetime
    writes: BatchWrites | None = None
    _firing: list[tuple[str, dict]] | None = field(default=None, repr=False)

    @classmethod
    def load(
        cls, *, now: datetime, config: IntakeConfig | None = None, writes: BatchWrites | None = None
    ) -> FlushContext:
        return cls(config=config or intake_config(now=now), now=now, writes=writes)

    def all_firing(self) -> list[tuple[str, dict]]:
        """(fingerprint, labels) of every firing alert: inhibition sources. Read once per context, only when
        inhibition rules exist."""
        if self._firing is None:
            self._firing = list(Alert.objects.filter(status=AlertStatus.FIRING).values_list("fingerprint", "labels"))
        return self._firing


def group_flush(
    *, group_id: int, now: datetime, ingested_at: datetime | None = None, context: FlushContext | None = None
) -> list[Notification]:
    """Recompute the group's state (silences, inhibition, muting) and queue the notifications it needs.

    Locks the group row; running it twice at the same instant queues nothing the second time. Returns the
    notifications written (delivered after commit)."""
    with transaction.atomic():
        group = (
            AlertGroup.objects.select_for_update(of=("self",), no_key=True)
            .filter(pk=group_id)
            .select_related("receiver")
            .first()
        )
        if group is None:
            return []
        events: list[GroupEvent] = []
        queued = group_flush_locked(
            group=group,
            alerts=list(group.alerts.all()),
            now=now,
            ingested_at=ingested_at,
            context=context or FlushContext.load(now=now),
            events=events,
        )
        GroupEvent.objects.bulk_create(events)
    return queued


# What a flush (and ``_state_event``) may change on the group row; the rest (labels, timing, route) is not
# rewritten.
FLUSH_FIELDS: tuple[str, ...] = (
    "state",
    "last_flush_at",
    "updated_at",
    "next_flush_at",
    "last_notified_hash",
    "last_notified_at",
)
FLUSH_FIELDS += ("resolved_at", "acknowledged_at", "acknowledged_by")


def group_flush_locked(
    *,
    group: AlertGroup,
    alerts: list[Alert],
    now: datetime,
    context: FlushContext,
    events: list[GroupEvent],
    ingested_at: datetime | None = None,
    new_group: bool = False,
) -> list[Notification]:
    """``group_flush`` for a group the caller has locked, with all its alerts already loaded (intake has
    them in hand). Timeline rows are appended to ``events`` for the caller to write in one statement; the
    group row is saved here. ``new_group``: the caller created the group in this transaction."""
    firing = [a for a in alerts if a.status == AlertStatus.FIRING]
    config = context.config
    rules = config.rules
    all_firing = context.all_firing() if rules and firing else []
    muted_route = _route_muted(group, now=now, context=context)
    active, touched = [], []
    for alert in firing:
        silenced_by = config.silenced_by(alert.labels, now=now) if (config.silences or config.windows) else []
        inhibited = bool(rules) and suppression.inhibited(
            labels=alert.labels, fingerprint=alert.fingerprint, rules=rules, firing=all_firing
        )
        if silenced_by != alert.silenced_by or inhibited != alert.inhibited:
            alert.silenced_by, alert.inhibited = silenced_by, inhibited
            touched.append(alert)
        if not silenced_by and not inhibited and not muted_route:
            active.append(alert)
    if touched:
        sql.update_rows(touched, ("silenced_by", "inhibited"))
    previous_state = group.state
    if not firing:
        state = GroupState.RESOLVED
    elif not active:
        state = GroupState.SILENCED
    elif group.acknowledged_at:
        state = GroupState.ACKNOWLEDGED
    else:
        state = GroupState.FIRING
    queued: list[Notification] = []
    active_hash = _hash(sorted(a.fingerprint for a in active)) if active else ""
    repeat = timedelta(seconds=group.timing.get("repeat_interval", 14400))
    if active and not group.acknowledged_at:
        due_repeat = group.last_notified_at is not None and now - group.last_notified_at >= repeat
        if active_hash != group.last_notified_hash or due_repeat:
            queued += notification_enqueue(
                group=group, event=NotificationEvent.TRIGGER, now=now, ingested_at=ingested_at, alerts=alerts,
                events=events, new_group=new_group, writes=context.writes,
            )  # fmt: skip
            group.last_notified_hash = active_hash
            group.last_notified_at = now
    elif not firing and group.last_notified_hash:
        if group.receiver is None or group.receiver.send_resolved:
            queued += notification_enqueue(
                group=group, event=NotificationEvent.RESOLVE, now=now, ingested_at=ingested_at, alerts=alerts,
                events=events, writes=context.writes,
            )  # fmt: skip
        group.last_notified_hash = ""
        group.last_notified_at = now
    if state != previous_state:
        events.append(_state_event(group, previous_state, state, now=now))
    if state == GroupState.RESOLVED and previous_state != GroupState.RESOLVED:
        group.resolved_at = now
    group.state = state
    group.last_flush_at = now
    group.updated_at = now
    if state == GroupState.RESOLVED:
        group.next_flush_at = None
    elif state == GroupState.SILENCED or muted_route:
        # Re-check when silences or mute intervals may have ended.
        group.next_flush_at = now + timedelta(seconds=min(60, group.timing.get("group_interval", 300)))
    elif group.acknowledged_at:
        group.next_flush_at = None
    else:
        group.next_flush_at = (group.last_notified_at or now) + repeat
    if context.writes is None:
        sql.update_row(group, FLUSH_FIELDS)
    else:
        context.writes.groups[group.pk] = group
    # Hooks of other apps (the incidents auto-open policy), dotted paths in SRE["ALERT_GROUP_HOOKS"], called
    # after commit with group_id and the label sets of its firing alerts when the group opened, changed state
    # or queued a notification.
    if queued or state != previous_state:
        labels = [a.labels for a in firing]
        for hook in settings.SRE.get("ALERT_GROUP_HOOKS", ()):
            transaction.on_commit(partial(import_string(hook), group_id=group.pk, firing_labels=labels), robust=True)
    return queued


def _route_muted(group: AlertGroup, *, now: datetime, context: FlushContext) -> bool:
    config = context.config
    if config.windows and any(group.route_id in w.route_ids for w in config.windows_at(now)):
        return True
    mute = tuple(group.timing.get("mute_time_intervals") or ())
    active = tuple(group.timing.get("active_time_intervals") or ())
    if not mute and not active:
        return False
    try:
        return timeintervals.route_muted(mute=mute, active=active, intervals=config.intervals, at=now)
    except timeintervals.IntervalError:
        logger.warning("Ignoring a malformed time interval on group %s", group.pk)
        return False


def _state_event(group: AlertGroup, previous: str, state: str, *, now: datetime) -> GroupEvent:
    kinds: dict[str, GroupEventKind] = {
        GroupState.RESOLVED: GroupEventKind.RESOLVED,
        GroupState.SILENCED: GroupEventKind.SILENCED,
    }
    kind = kinds.get(state)
    if kind is None:
        kind = GroupEventKind.REOPENED if previous == GroupState.RESOLVED else GroupEventKind.UNSILENCED
        if previous == GroupState.RESOLVED:
            group.acknowledged_at = None
            group.acknowledged_by = ""
            group.resolved_at = None
    return GroupEvent(group=group, at=now, kind=kind)


def groups_flush_due(*, now: datetime, limit: int = 500) -> int:
    """Flush every group whose ``next_flush_at`` has come (the periodic tick)."""
    due = list(
        AlertGroup.objects.filter(next_flush_at__lte=now)
        .order_by("next_flush_at")
        .values_list("pk", "traceparent", "last_flush_at")[:limit]
    )
    context = FlushContext.load(now=now) if due else None
    for group_id, trace, last_flush_at in due:
        # A group's first flush belongs to the trace of the intake that opened it (its notifications and their
        # delivery too); later ones only link to it.
        with continued(trace, name="alerts.group_flush", child=last_flush_at is None):
            group_flush(group_id=group_id, now=now, context=context)
    return len(due)


def group_payload(group: AlertGroup, *, event: str, alerts: list[Alert] | None = None) -> dict[str, Any]:
    """The receiver-neutral description of a group at this moment (frozen into the outbox row); ``alerts``
    are the group's alerts when the caller has them."""
    alerts = list(group.alerts.all()) if alerts is None else alerts
    firing = [a for a in alerts if a.status == AlertStatus.FIRING]
    link = f"{base_url()}/alerts/groups/{group.pk}/"
    common = _common(alerts)
    name = common.get("alertname") or group.group_labels.get("alertname") or "alert"
    summary = next((a.annotations.get("summary") for a in firing if a.annotations.get("summary")), "")
    title = f"[{event.upper()}{':' + str(len(firing)) if firing else ''}] {name}"
    if summary:
        title += f": {summary}"
    links = [{"href": link, "text": "Alert group in the SRE control plane"}]
    # Only http(s) URLs become links: receivers (PagerDuty, chat, mail) render them as clickable.
    for a in alerts[:5]:
        if http_url(a.generator_url):
            links.append({"href": a.generator_url, "text": "Source"})
            break
    slo = common.get("slo")
    if slo:
        service = common.get("service", "")
        links.append({"href": f"{base_url()}/slos/?service={service}&slo={slo}", "text": f"SLO {slo}"})
    for key in ("runbook_url", "dashboard_url"):
        url = next((a.annotations.get(key) for a in alerts if http_url(a.annotations.get(key))), "")
        if url:
            links.append({"href": url, "text": key.replace("_url", "").title()})
    return {
        "version": "1",
        "event": event,
        "group_id": group.pk,
        "group_key": group.group_key,
        "dedup_key": group.dedup_key,
        "state": group.state,
        "title": title[:1024],
        "group_labels": group.group_labels,
        "common_labels": common,
        "severity": common.get("severity", ""),
        "link": link,
        "links": links,
        "alerts": [
            {
                "fingerprint": a.fingerprint,
                "status": a.status,
                "labels": a.labels,
                "annotations": a.annotations,
                "starts_at": a.starts_at.isoformat(),
                "ends_at": a.ends_at.isoformat() if a.ends_at else None,
                "generator_url": a.generator_url,
            }
            for a in alerts[:100]
        ],
        "truncated_alerts": max(0, len(alerts) - 100),
    }


def _common(alerts: list) -> dict[str, str]:
    if not alerts:
        return {}
    common = dict(alerts[0].labels)
    for alert in alerts[1:]:
        common = {k: v for k, v in common.items() if alert.labels.get(k) == v}
    return common


def notification_enqueue(
    *,
    group: AlertGroup,
    event: str,
    now: datetime,
    requested_by: str = "",
    ingested_at: datetime | None = None,
    receiver: Receiver | None = None,
    alerts: list[Alert] | None = None,
    events: list[GroupEvent] | None = None,
    new_group: bool = False,
    writes: BatchWrites | None = None,
) -> list[Notification]:
    """Write one outbox row for the group's receiver (inside the caller's transaction) and hand it to a
    worker after commit. Nothing is written when the group has no receiver. The timeline row is appended
    to ``events`` when given (the caller writes it), else written here.

    When this process relays (``alerts.relay``) the row is claimed here, in the same transaction, and its
    attempt handed to a relay thread after commit; ``new_group`` (the caller created the group in this
    transaction) spares the check for earlier notifications of the same key. With ``writes`` the rows are left
    there for ``batch_write`` (which hands them on after writing them)."""
    # cycle: delivery and alerts.relay (through alerts.services) import this module
    from alerts.relay import relay_has_room
    from alerts.services.delivery import attempt_new, notification_claim_new

    receiver = receiver or group.receiver
    if receiver is None:
        return []
    payload = group_payload(group, event=event, alerts=alerts)
    notification = Notification(
        receiver=receiver,
        group=group,
        event=event,
        dedup_key=group.dedup_key,
        payload=payload,
        payload_hash=_hash(payload),
        next_attempt_at=now,
        created_at=now,
        requested_by=requested_by,
        ingested_at=ingested_at,
    )
    claimed = notification_claim_new(notification, receiver, now=now, new_group=new_group) if relay_has_room() else None
    attempt = attempt_new(notification, claimed, now=now) if claimed is not None else None
    event_row = GroupEvent(
        group=group, at=now, kind=GroupEventKind.NOTIFIED, actor=requested_by, message=f"{event} → {receiver.name}"
    )
    if events is None:
        event_row.save()
    else:
        events.append(event_row)
    if writes is not None:
        writes.notifications.append((notification, attempt, claimed))
        return [notification]
    sql.insert_rows([notification])
    if attempt is not None:
        attempt.notification_id = notification.pk
        sql.insert_rows([attempt])
    _hand_on(notification, attempt, claimed)
    return [notification]


def batch_write(writes: BatchWrites, events: list[GroupEvent]) -> None:
    """Write what an intake batch's flushes left in ``writes`` and its timeline rows, then hand each outbox row
    on (after commit: to a relay thread when claimed, else to a worker)."""
    if not (writes.notifications or writes.groups or writes.links or events):
        return
    notifications = [n for n, _, _ in writes.notifications]
    attempts = [a for _, a, _ in writes.notifications if a is not None]
    one_per_group = len({n.group_id for n in notifications}) == len(notifications)
    if connection.vendor == "postgresql" and one_per_group:
        sql.intake_write_pg(
            links=writes.links, notifications=notifications, attempts=attempts, groups=list(writes.groups.values()),
            group_fields=FLUSH_FIELDS, events=events,
        )  # fmt: skip
    else:
        sql.insert_rows(writes.links, ignore_conflicts=True)
        sql.insert_rows(notifications)
        for notification, attempt, _ in writes.notifications:
            if attempt is not None:
                attempt.notification_id = notification.pk
        sql.insert_rows(attempts)
        for group in writes.groups.values():
            sql.update_row(group, FLUSH_FIELDS)
        sql.insert_rows(events)
    for notification, attempt, claimed in writes.notifications:
        _hand_on(notification, attempt, claimed)


def _hand_on(notification: Notification, attempt: DeliveryAttempt | None, claimed: Receiver | None) -> None:
    if attempt is not None and claimed is not None:  # an attempt exists only for a claimed notification
        transaction.on_commit(partial(_relay_claimed, notification, claimed, attempt.pk, time.monotonic()))
    else:
        schedule_delivery(notification.pk)


def _relay_claimed(notification: Notification, receiver: Receiver, attempt_id: int, claimed_at: float) -> None:
    """On commit: hand the claimed attempt to a relay thread; if none can take it after all, give the claim
    back and let a Celery worker claim the row anew."""
    # cycle: delivery and alerts.relay (through alerts.services) import this module
    from alerts.relay import relay_submit
    from alerts.services.delivery import notification_release

    if relay_submit(notification.pk, claimed=(notification, receiver, attempt_id, claimed_at)):
        return
    try:
        notification_release(notification, attempt_id, reason="the relay queue was full")
    except Exception:  # the lease runs out and the sweep takes the row back
        logger.warning("Could not release notification %s; the sweep will", notification.pk, exc_info=True)
        return
    schedule_delivery(notification.pk)


def schedule_delivery(notification_id: int, *, countdown: float = 0) -> None:
    """Hand the notification to a deliverer after the surrounding transaction commits: this process's relay
    threads when it has them (``alerts.relay``, web workers), else a Celery task. The periodic sweep is the
    slow path that catches anything lost."""

    def send() -> None:
        # cycle: alerts.tasks and alerts.relay (through alerts.services) import this module
        from alerts.relay import relay_submit
        from alerts.tasks import notification_deliver_task

        if countdown <= 0 and relay_submit(notification_id):
            return
        try:
            if countdown > 0:
                notification_deliver_task.apply_async(args=[notification_id], countdown=countdown)
            else:
                notification_deliver_task.delay(notification_id)
        except Exception:  # noqa: BLE001 - the broker being down must not fail the request; the sweep retries.
            logger.warning("Could not enqueue delivery of notification %s; the sweep will", notification_id)

    transaction.on_commit(send)
