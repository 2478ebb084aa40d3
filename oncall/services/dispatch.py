"""The on-call outbox: ledger rows written with the step that pages, sent after commit; and the hand-off of
due steps to Celery at their due time.

A ``PersonNotification`` is claimed under a lease before it is sent, so two workers never send the same row;
a worker that dies mid-send leaves a lease that runs out, and the sweep sends the row again (at least once,
as the alerts outbox does: a page sent twice beats a page lost). Retries back off and are bounded by
``ONCALL_MAX_ATTEMPTS``; the final failure is on the group's timeline."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from alerts.choices import GroupEventKind
from alerts.models import AlertGroup, GroupEvent
from oncall import senders
from oncall.choices import DeliveryState
from oncall.models import ContactMethod, Page, PersonNotification
from oncall.selectors import user_label
from oncall.services.links import links_for
from sre.celery import app

logger = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)


def _tunable(name: str, default: float) -> float:
    return settings.SRE.get(name, default)


def _on_commit_task(name: str, *args: object, at: datetime) -> None:
    def send() -> None:
        countdown = max(0.0, (at - timezone.now()).total_seconds())
        try:
            app.send_task(name, args=args, countdown=countdown)
        except Exception:
            logger.warning("Could not queue %s%s; the oncall tick will run it", name, args, exc_info=True)

    transaction.on_commit(send, robust=True)


def advance_later(escalation_id: int, *, at: datetime) -> None:
    _on_commit_task("oncall.advance", escalation_id, at=at)


def advance_page_later(page_id: int, *, at: datetime) -> None:
    _on_commit_task("oncall.page", page_id, at=at)


def webhook_later(escalation_id: int, *, url: str) -> None:
    _on_commit_task("oncall.webhook", escalation_id, url, at=timezone.now())


def notification_create(
    *,
    page: Page | None,
    group_id: int | None,
    method_id: int | None,
    now: datetime,
    user_id: int | None = None,
    title: str = "",
    test: bool = False,
) -> PersonNotification:
    """Write one ledger row (pending, or failed at once when the method is missing or unverified)."""
    method = ContactMethod.objects.filter(pk=method_id).first() if method_id else None
    user_id = page.user_id if page is not None else user_id
    row = PersonNotification(
        page=page,
        group_id=group_id,
        user_id=user_id,
        contact_method=method,
        kind=method.kind if method else "email",
        title=title or _title(group_id),
        state=DeliveryState.PENDING,
        next_attempt_at=now,
        created_at=now,
        test=test,
    )
    reason = ""
    if method is None or method.user_id != user_id:
        reason = "contact method removed"
    elif not method.verified_at and not test:
        reason = f"{method} is not verified (send a test first)"
    if reason:
        row.state, row.detail = DeliveryState.FAILED, f"Not sent: {reason}"
    row.save()
    if group_id is not None:
        person = page.person if page is not None else ""
        if reason:
            GroupEvent.objects.create(
                group_id=group_id, at=now, kind=GroupEventKind.PAGE_FAILED, message=f"{person}: {reason}"
            )
    if not reason:
        _on_commit_task("oncall.deliver", row.pk, at=now)
    return row


def _title(group_id: int | None) -> str:
    group = AlertGroup.objects.filter(pk=group_id).first() if group_id else None
    if group is None:
        return "Test page"
    labels: dict[str, str] = group.group_labels or {}
    first = group.alerts.order_by("pk").values_list("labels", "annotations").first()
    alert_labels: dict[str, str] = first[0] if first else {}
    annotations: dict[str, str] = (first[1] if first else None) or {}
    name = alert_labels.get("alertname") or labels.get("alertname") or f"group {group.pk}"
    severity = alert_labels.get("severity") or labels.get("severity") or ""
    summary = annotations.get("summary", "")
    return f"[{severity.upper() or 'ALERT'}] {name}" + (f": {summary}" if summary else "")


def _claim(notification_id: int, now: datetime) -> PersonNotification | None:
    with transaction.atomic():
        row = (
            PersonNotification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("contact_method", "page__escalation", "user")
            .filter(pk=notification_id)
            .first()
        )
        if row is None or row.state == DeliveryState.DELIVERED or row.state == DeliveryState.FAILED:
            return None
        if row.state == DeliveryState.SENDING and row.lease_until and row.lease_until > now:
            return None
        if row.next_attempt_at > now:
            return None
        row.state = DeliveryState.SENDING
        row.attempts += 1
        row.lease_until = now + LEASE
        row.save(update_fields=["state", "attempts", "lease_until"])
    return row


def notification_deliver(*, notification_id: int, now: datetime) -> str:
    """Send one ledger row once (claimed under a lease) and record the result."""
    row = _claim(notification_id, now)
    if row is None:
        return "skipped"
    method = row.contact_method
    if method is None:
        return _finish(row, ok=False, retryable=False, detail="contact method removed", now=now)
    links = links_for(group_id=row.group_id, user_id=row.user_id) if row.group_id else {}
    message = senders.PageMessage(
        title=row.title,
        body=_body(row),
        severity=_severity(row),
        links=links,
        group_id=row.group_id,
        person=user_label(row.user) if row.user else "",
        test=row.test,
    )
    try:
        result = senders.contact_send(kind=method.kind, address=method.address, secret=method.secret, message=message)
    except Exception as exc:
        logger.exception("Sender for %s failed on notification %s", method.kind, row.pk)
        return _finish(row, ok=False, retryable=True, detail=f"{type(exc).__name__}: {exc}"[:500], now=now)
    return _finish(row, ok=result.ok, retryable=result.retryable, detail=result.detail, now=now)


def _body(row: PersonNotification) -> str:
    """The text above the links (each sender adds the message's links in its own form)."""
    if row.test:
        return "This is a test from the SRE control plane: this contact method works."
    return "Nobody has acknowledged this yet. Acknowledge to stop the escalation; otherwise the next step pages."


def _severity(row: PersonNotification) -> str:
    """The escalation's severity as frozen at its start (a test message is info)."""
    if row.test or row.page is None:
        return "info"
    return str(row.page.escalation.snapshot.get("severity") or "warning")


def _finish(row: PersonNotification, *, ok: bool, retryable: bool, detail: str, now: datetime) -> str:
    done_at = timezone.now()
    with transaction.atomic():
        fresh = PersonNotification.objects.select_for_update().get(pk=row.pk)
        fresh.lease_until = None
        fresh.detail = detail[:500]
        person = row.page.person if row.page else ""
        if ok:
            fresh.state, fresh.delivered_at = DeliveryState.DELIVERED, done_at
            outcome = "delivered"
            if fresh.group_id:
                GroupEvent.objects.create(
                    group_id=fresh.group_id,
                    at=done_at,
                    kind=GroupEventKind.PAGED,
                    message=f"{person} notified by {fresh.get_kind_display()}",
                )
        elif retryable and fresh.attempts < int(_tunable("ONCALL_MAX_ATTEMPTS", 5)):
            fresh.state = DeliveryState.PENDING
            fresh.next_attempt_at = now + timedelta(seconds=min(300, 5 * 2 ** (fresh.attempts - 1)))
            outcome = "retry"
            _on_commit_task("oncall.deliver", fresh.pk, at=fresh.next_attempt_at)
        else:
            fresh.state = DeliveryState.FAILED
            outcome = "failed"
            if fresh.group_id:
                GroupEvent.objects.create(
                    group_id=fresh.group_id,
                    at=done_at,
                    kind=GroupEventKind.PAGE_FAILED,
                    message=f"{person}: {fresh.get_kind_display()} failed: {detail}"[:1000],
                )
        fresh.save(update_fields=["state", "delivered_at", "next_attempt_at", "lease_until", "detail"])
    logger.info("Person notification %s: %s (%s)", row.pk, outcome, detail[:100])
    return outcome


def notifications_sweep(*, now: datetime, limit: int = 500) -> int:
    """Send pending rows that are due and rows whose sender's lease ran out (its worker died)."""
    ids = list(
        PersonNotification.objects.filter(
            Q(state=DeliveryState.PENDING, next_attempt_at__lte=now)
            | Q(state=DeliveryState.SENDING, lease_until__lt=now)
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        PersonNotification.objects.filter(pk=pk, state=DeliveryState.SENDING, lease_until__lt=now).update(
            state=DeliveryState.PENDING, detail="The sending worker died; sending again."
        )
        notification_deliver(notification_id=pk, now=now)
    return len(ids)
