"""The status page's heartbeat: after any change and on a timer, bring derived state up to date, tell
subscribers what is new, and re-render the static snapshot.

The incidents app knows nothing of the status page: public updates are discovered here (the
``AnnouncedUpdate`` cursor makes that idempotent), and ``statuspage.apps`` asks for a run when an
incident, its component impact or an update is saved."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from statuspage.choices import NotificationState
from statuspage.models import AnnouncedUpdate, SubscriberNotification
from statuspage.selectors.page import page_data
from statuspage.services.publish import snapshot_publish
from statuspage.snapshot import snapshot_render

logger = logging.getLogger(__name__)
ANNOUNCE_MAX_AGE = timedelta(days=1)  # older public updates are not mailed out (e.g. on first deploy)
STUCK_AFTER = timedelta(minutes=10)


def snapshot_request(*, sync: bool = True) -> None:
    """Ask for a sync + render once the current transaction commits."""
    transaction.on_commit(_enqueue_sync)


def _enqueue_sync() -> None:
    """Never let the status page break the change that triggered it (a broker hiccup, or an eager run
    failing): the beat timer runs the sync again shortly anyway."""
    from statuspage.tasks import sync as sync_task  # cycle: statuspage.tasks imports this module

    try:
        if sync_task.app.conf.task_always_eager:
            sync_task.delay()
        else:
            # A connection of its own rather than the shared producer pool: this runs inside other apps'
            # commits, and must not leave a pooled connection behind for them.
            with sync_task.app.connection_for_write() as connection:
                sync_task.apply_async(connection=connection)
    except Exception:
        logger.exception("statuspage: could not run or enqueue the sync; the timer will catch up")


def _claim(update_id: int, incident_id: int, now: datetime) -> bool:
    try:
        with transaction.atomic():
            _, created = AnnouncedUpdate.objects.get_or_create(
                update_id=update_id, defaults={"incident_id": incident_id, "at": now}
            )
    except IntegrityError:
        return False
    return created


def announce_updates(*, data, now: datetime) -> int:
    """Queue notifications for public incident updates not announced yet (oldest first)."""
    # cycle: notify imports statuspage.tasks, which imports this module
    from statuspage.services.notify import announce_incident

    ids = [u.id for i in data.incidents for u in i.updates]
    if not ids:
        return 0
    done = set(AnnouncedUpdate.objects.filter(update_id__in=ids).values_list("update_id", flat=True))
    queued = 0
    for incident in data.incidents:
        ordered = list(reversed(incident.updates))  # oldest first
        for index, update in enumerate(ordered):
            if update.id in done or not _claim(update.id, incident.id, now):
                continue
            if update.created_at < now - ANNOUNCE_MAX_AGE:
                continue
            previous = ordered[index - 1].status if index else None
            if index == 0:
                event = "create"
            elif update.status in ("resolved", "postmortem") and previous not in ("resolved", "postmortem"):
                event = "resolve"
            else:
                event = "update"
            queued += announce_incident(data=data, incident=incident, update=update, event=event, now=now)
    return queued


def _requeue_stuck(*, now: datetime) -> int:
    from statuspage.tasks import deliver  # cycle: statuspage.tasks imports this module

    stuck = list(
        SubscriberNotification.objects.filter(
            state=NotificationState.PENDING, created_at__lt=now - STUCK_AFTER
        ).values_list("pk", flat=True)[:500]
    )
    for pk in stuck:
        deliver.delay(pk)
    return len(stuck)


def sync_run(*, now: datetime, render: bool = True) -> dict:
    """One pass: expire overrides of resolved incidents, record maintenance starts/ends, store derived
    component statuses, notify subscribers of new public updates and maintenance events, re-render the
    snapshot here and publish it to the database for every web node. Safe to run concurrently and repeatedly."""
    # cycle: components, maintenance and notify (through statuspage.tasks) import this module
    from statuspage.services.components import component_statuses_refresh, overrides_expire
    from statuspage.services.maintenance import maintenance_transitions
    from statuspage.services.notify import announce_maintenance

    expired = overrides_expire(now=now)
    events = maintenance_transitions(now=now)
    changed = component_statuses_refresh(now=now)
    data = page_data(now=now)
    queued = announce_updates(data=data, now=now)
    by_id = {m.id: m for m in data.maintenances}
    for event in events:
        maintenance = by_id.get(event.maintenance_id)
        if maintenance is not None and event.maintenance.notify_subscribers:
            queued += announce_maintenance(
                data=data, maintenance=maintenance, kind=event.kind, event_id=event.pk, now=now
            )
    requeued = _requeue_stuck(now=now)
    files = 0
    if render:
        result = snapshot_render(now=now, data=data)
        snapshot_publish(files=result.content, rendered_at=now)  # every web node copies it (statuspage.replica)
        files = result.files
    return {
        "overrides_expired": expired,
        "maintenance_events": len(events),
        "status_changes": len(changed),
        "notifications": queued,
        "requeued": requeued,
        "files": files,
    }
