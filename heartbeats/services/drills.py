"""Restore drills report to heartbeat checks: a check labelled ``drill_target=<target name>`` records each
concluded run of that drill target as a ``start`` ping at the run's start and a success (passed) or failure
(failed, error) ping at its end, so a drill that stops running or fails raises the check's alert like any job.
Called through ``SRE["DRILL_FINISHED_HOOKS"]`` (drills does not import heartbeats)."""

from __future__ import annotations

import datetime as dt

from heartbeats.choices import PingKind
from heartbeats.models import Check
from heartbeats.services.pings import heartbeat_ping

PASSED = "passed"


def drill_finished(*, target: str, status: str, started_at: dt.datetime | None, finished_at: dt.datetime) -> int:
    """Ping every check labelled ``drill_target=target``; returns how many were pinged."""
    keys = [c.ping_key for c in Check.objects.filter(labels__drill_target=target).only("ping_key")]
    for key in keys:
        if started_at is not None:
            heartbeat_ping(key=key, kind=PingKind.START, now=started_at, user_agent="restore drill")
        kind = PingKind.SUCCESS if status == PASSED else PingKind.FAIL
        heartbeat_ping(key=key, kind=kind, now=finished_at, user_agent="restore drill", body=status.encode())
    return len(keys)
