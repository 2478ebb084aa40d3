"""The one adapter from heartbeats to the alerts app: a check's wanted alert (``alert_wanted``) is raised, and the
one firing (``alert_labels``) resolved, through ``alerts.services.alerts_ingest`` with source ``heartbeat``.

A change of what a check wants is written with the ping or pass that caused it (``alert_synced`` False) and sent
after commit by ``heartbeat_alert_sync``; the check pass sends whatever is still unsynced, so an alert is never lost
to a failure between the two. Sending is idempotent: under the row lock, a synced check sends nothing.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction

from alerts.services import AlertInput, alerts_ingest
from alerts.sql.rows import update_rows
from heartbeats.choices import CheckState, PingKind
from heartbeats.domain import alerting
from heartbeats.domain.state import FAILED_ALERT
from heartbeats.models import Check
from heartbeats.selectors import check_url, pings_of, subject_of

logger = logging.getLogger(__name__)

SOURCE = "heartbeat"


def _resolve_reason(check: Check, *, deleted: bool) -> str:
    if deleted:
        return "the check was deleted"
    if check.paused:
        return "the check was paused"
    if check.state == CheckState.FAILED:
        return "the job reported a failure instead"
    if check.state in (CheckState.UP, CheckState.LATE):
        return "pinged again" if check.last_ping_at else "its schedule changed"
    return "it waits for its next ping"


def alert_items(check: Check, *, now: dt.datetime, deleted: bool = False) -> tuple[list[AlertInput], dict]:
    """What to send to bring the alerts app to ``check.alert_wanted`` (nothing when it is already there), and the
    label set then firing (``{}`` for none)."""
    firing = dict(check.alert_labels or {})
    wanted = "" if deleted else check.alert_wanted
    if firing.get("alertname", "") == wanted:
        return [], firing
    subject = subject_of(check)
    url = check_url(check.pk)
    items = []
    if firing:
        reason = _resolve_reason(check, deleted=deleted)
        annotations = alerting.resolved_annotations(subject, alertname=firing["alertname"], at=now, reason=reason)
        items.append(AlertInput(labels=firing, annotations=annotations, status="resolved", ends_at=now,
                                generator_url=url))  # fmt: skip
    if not wanted:
        return items, {}
    labels = alerting.alert_labels(subject, alertname=wanted)
    since = check.state_changed_at or now
    if wanted == FAILED_ALERT:
        body = pings_of(check_id=check.pk).filter(kind=PingKind.FAIL).values_list("body", flat=True).first() or ""
        annotations = alerting.failed_annotations(subject, failed_at=since, body=body)
    else:
        annotations = alerting.missed_annotations(
            subject,
            last_ping_at=check.last_ping_at,
            last_start_at=check.last_start_at,
            due_at=check.next_due_at,
            down_at=since,
        )
    items.append(AlertInput(labels=labels, annotations=annotations, status="firing", starts_at=since,
                            generator_url=url))  # fmt: skip
    return items, labels


def alert_send(checks: list[Check], *, now: dt.datetime) -> int:
    """Send what each of ``checks`` (locked by the caller, in its transaction) needs, in one intake batch, and mark
    them synced. Returns the number of alerts sent (firing and resolved)."""
    items: list[AlertInput] = []
    for check in checks:
        found, labels = alert_items(check, now=now)
        items += found
        check.alert_labels, check.alert_synced = labels, True
    if items:
        alerts_ingest(items=items, source=SOURCE, now=now)
    update_rows(checks, ("alert_labels", "alert_synced"))  # one statement, not bulk_update's CASE per row
    return len(items)


def heartbeat_alert_sync(*, check_id: int, now: dt.datetime) -> int:
    """Bring the alerts app in line with one check (lock, re-check, send). A vanished or synced check sends
    nothing. Returns the number of alerts sent."""
    with transaction.atomic():
        check = Check.objects.select_for_update().filter(pk=check_id).first()
        if check is None or check.alert_synced:
            return 0
        return alert_send([check], now=now)


def alert_sync_after_commit(check_id: int, now: dt.datetime) -> None:
    """``transaction.on_commit`` hook of pings and commands: the ping is already stored, so a failure here is logged
    and left to the check pass (the check stays unsynced)."""
    try:
        sent = heartbeat_alert_sync(check_id=check_id, now=now)
    except Exception:  # the pass retries unsynced checks; nothing a ping sent is lost
        logger.exception("heartbeats: could not send the alert of check %s; the check pass will retry", check_id)
        return
    logger.info("heartbeats: check %s alert synced (%s sent)", check_id, sent)


def alert_resolve_for_delete(check: Check, *, now: dt.datetime) -> None:
    """Resolve the alert a check about to be deleted has firing (in the caller's transaction)."""
    items, _ = alert_items(check, now=now, deleted=True)
    if items:
        alerts_ingest(items=items, source=SOURCE, now=now)
