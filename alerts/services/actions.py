"""What people do to alert groups: acknowledge, resolve, silence (whole group or one alert)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from alerts.choices import AlertStatus, GroupEventKind, GroupState, NotificationEvent
from alerts.models import Alert, AlertGroup, GroupEvent, Silence
from alerts.services.notify import group_flush, notification_enqueue
from sre.errors import ConflictError, InvalidInputError, NotFoundError


def _locked_group(group_id: int) -> AlertGroup:
    group = (
        AlertGroup.objects.select_for_update(of=("self",), no_key=True)
        .select_related("receiver")
        .filter(pk=group_id)
        .first()
    )
    if group is None:
        raise NotFoundError("No such alert group.")
    return group


def group_acknowledge(*, group_id: int, actor: str, now: datetime) -> AlertGroup:
    """Acknowledge a firing group: stops repeats and tells the receiver (PagerDuty ``acknowledge``) if it
    was paged. Raises ``ConflictError`` if the group is resolved or already acknowledged."""
    with transaction.atomic():
        group = _locked_group(group_id)
        if group.state == GroupState.RESOLVED:
            raise ConflictError("This group is resolved; there is nothing to acknowledge.")
        if group.acknowledged_at:
            raise ConflictError(f"Already acknowledged by {group.acknowledged_by or 'someone'}.")
        group.acknowledged_at = now
        group.acknowledged_by = actor
        if group.state == GroupState.FIRING:
            group.state = GroupState.ACKNOWLEDGED
        group.updated_at = now
        group.next_flush_at = None
        group.save()
        GroupEvent.objects.create(group=group, at=now, kind=GroupEventKind.ACKNOWLEDGED, actor=actor)
        if group.last_notified_hash:
            notification_enqueue(group=group, event=NotificationEvent.ACKNOWLEDGE, now=now, requested_by=actor)
    return group


def group_resolve(*, group_id: int, actor: str, now: datetime) -> AlertGroup:
    """Resolve every firing alert of the group by hand and tell the receiver (PagerDuty ``resolve``).

    The source may keep firing the same episode; that is ignored until it fires a new one."""
    with transaction.atomic():
        group = _locked_group(group_id)
        if group.state == GroupState.RESOLVED:
            raise ConflictError("This group is already resolved.")
        firing = list(group.alerts.select_for_update(no_key=True).filter(status=AlertStatus.FIRING))
        for alert in firing:
            _alert_mark_resolved(alert, actor=actor, now=now)
        GroupEvent.objects.create(
            group=group, at=now, kind=GroupEventKind.RESOLVED, actor=actor, message=f"{len(firing)} alert(s)"
        )
        if group.last_notified_hash and (group.receiver is None or group.receiver.send_resolved):
            notification_enqueue(group=group, event=NotificationEvent.RESOLVE, now=now, requested_by=actor)
        group.last_notified_hash = ""
        group.last_notified_at = now
        group.state = GroupState.RESOLVED
        group.resolved_at = now
        group.updated_at = now
        group.next_flush_at = None
        group.save()
    return group


def _alert_mark_resolved(alert: Alert, *, actor: str, now: datetime) -> None:
    alert.status = AlertStatus.RESOLVED
    alert.ends_at = now
    alert.resolved_by = actor
    alert.updated_at = now
    alert.save(update_fields=["status", "ends_at", "resolved_by", "updated_at"])


def alert_resolve(*, alert_id: int, actor: str, now: datetime) -> Alert:
    """Resolve one alert on its own; its groups re-flush (resolving a group whose last alert this was)."""
    with transaction.atomic():
        alert = Alert.objects.select_for_update(no_key=True).filter(pk=alert_id).first()
        if alert is None:
            raise NotFoundError("No such alert.")
        if alert.status == AlertStatus.RESOLVED:
            raise ConflictError("This alert is already resolved.")
        _alert_mark_resolved(alert, actor=actor, now=now)
        name = alert.labels.get("alertname", alert.fingerprint)
        for group_id in AlertGroup.objects.filter(alerts=alert).values_list("pk", flat=True):
            GroupEvent.objects.create(
                group_id=group_id, at=now, kind=GroupEventKind.ALERT_RESOLVED, actor=actor, message=name
            )
            group_flush(group_id=group_id, now=now)
    return alert


def group_silence(
    *, group_id: int, actor: str, now: datetime, duration: timedelta, comment: str, alert_id: int | None = None
) -> Silence:
    """Silence the whole group (matchers = its group labels) or one of its alerts (all its labels)."""
    from alerts.services.silences import silence_create  # cycle: silences imports alerts.services, which imports this

    group = AlertGroup.objects.filter(pk=group_id).first()
    if group is None:
        raise NotFoundError("No such alert group.")
    if alert_id is not None:
        alert = group.alerts.filter(pk=alert_id).first()
        if alert is None:
            raise InvalidInputError("That alert is not in this group.")
        labels = alert.labels
    else:
        labels = group.group_labels or {}
    if not labels:
        raise InvalidInputError("This group has no labels to silence on; create a silence by hand.")
    matchers = [{"name": k, "value": v, "isRegex": False, "isEqual": True} for k, v in sorted(labels.items())]
    silence = silence_create(
        matchers=matchers, starts_at=now, ends_at=now + duration, created_by=actor, comment=comment, now=now
    )
    return silence
