"""The check pass (``heartbeats.check``, every ``SRE["RULES_INTERVAL"]`` seconds): checks past their grace time go
down and raise ``HeartbeatMissed``; checks past their due time go late. So an alert comes at most one interval
(plus the pass's own duration, see ``bench/heartbeats.py``) after the grace time ends.

Reads are indexed (``alert_at``, ``state, next_due_at``, unsynced checks): a pass over thousands of checks of which
none is due is three small queries. Due checks are locked (ordered by pk) in batches, re-checked, moved and their
alerts sent in one intake batch per transaction. Idempotent: a check already down is not due any more and a synced
check sends nothing, so running the pass twice raises nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import F, Q

from alerts.sql.rows import update_rows
from heartbeats.choices import CheckState
from heartbeats.domain.state import DOWN, evaluate
from heartbeats.models import Check
from heartbeats.selectors import status_of
from heartbeats.services.alerting import alert_send
from heartbeats.services.runtime import STATUS_FIELDS, status_apply

logger = logging.getLogger(__name__)

BATCH = 500


def _batch(ids: list[int], *, now: dt.datetime) -> dict[str, int]:
    with transaction.atomic():
        checks = list(Check.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        moved = []
        for check in checks:
            after = evaluate(status=status_of(check), paused=check.paused, now=now)
            if after is not None and status_apply(check, after):
                moved.append(check)
        if moved:
            update_rows(moved, (*STATUS_FIELDS, "alert_synced"))
        sent = alert_send([check for check in checks if not check.alert_synced], now=now)
    down = [check.pk for check in moved if check.state == DOWN]
    if down:
        logger.info("heartbeats: checks %s went down (no ping by the end of their grace time)", down)
    return {"down": len(down), "alerts_sent": sent}


def heartbeats_check(*, now: dt.datetime) -> dict[str, int]:
    """Move every check as time leaves it at ``now`` and send what its alert state needs. Returns counts: checks
    that went ``down`` or ``late``, ``alerts_sent`` (firing and resolved) and ``errors`` (checks left for the next
    pass, logged with their ids)."""
    stats = {"down": 0, "late": 0, "alerts_sent": 0, "errors": 0}
    due = Q(alert_at__lte=now, paused=False, state__in=[CheckState.NEW, CheckState.UP, CheckState.LATE])
    ids = list(Check.objects.filter(due | Q(alert_synced=False)).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        try:
            found = _batch(chunk, now=now)
        except Exception:
            # One check whose alert cannot be sent must not hold back the others: again one by one.
            logger.exception("heartbeats: batch of checks %s..%s failed; retrying one by one", chunk[0], chunk[-1])
            found = {"down": 0, "alerts_sent": 0}
            for pk in chunk:
                try:
                    one = _batch([pk], now=now)
                except Exception:
                    logger.exception("heartbeats: check %s could not be evaluated; the next pass retries", pk)
                    stats["errors"] += 1
                    continue
                found["down"] += one["down"]
                found["alerts_sent"] += one["alerts_sent"]
        stats["down"] += found["down"]
        stats["alerts_sent"] += found["alerts_sent"]
    # Late needs no lock: one conditional UPDATE (a ping committing first leaves the row up, with a new due time).
    stats["late"] = Check.objects.filter(
        state=CheckState.UP, paused=False, next_due_at__lte=now, alert_at__gt=now
    ).update(state=CheckState.LATE, state_changed_at=F("next_due_at"))
    if stats["late"]:
        logger.info("heartbeats: %s checks are late (inside their grace time)", stats["late"])
    return stats
