"""Demo heartbeat for ``make run``: a check ``nightly-backup`` pinged by the demo traffic (``telemetry.demo_traffic``,
every ``SRE_DEMO_TRAFFIC_INTERVAL`` seconds), sped up so that it visibly goes down and recovers.

It expects a ping every 2 minutes with 1 minute of grace. In every 15-minute block of the clock the demo job runs
(start, then success with a 20–59 s duration) in minutes 0–9, is silent in minutes 10–13 (the check goes late,
then down: ``HeartbeatMissed`` fires), fails in minute 14 (``HeartbeatFailed`` replaces it, with the job's output),
and succeeds again at the next block's minute 0 (resolved). Severity ``warning``: it reaches the alert list and the
default receiver, not the on-call pager."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from heartbeats.choices import PingKind
from heartbeats.models import Check
from heartbeats.services import check_save, heartbeat_ping

DEMO_CHECK = "nightly-backup"
BLOCK_MINUTES = 15
RUN_MINUTES = 10
FAIL_MINUTE = 14
AGENT = "sre-demo-traffic"


def heartbeats_demo_seed() -> Check:
    """Create the demo check unless it exists (idempotent)."""
    found = Check.objects.filter(slug=DEMO_CHECK).first()
    if found is not None:
        return found
    with transaction.atomic():
        return check_save(
            check=None,
            data={
                "name": DEMO_CHECK,
                "slug": DEMO_CHECK,
                "description": "Demo: the nightly database backup, sped up — expected every 2 minutes. The demo "
                "traffic skips it for 4 minutes and fails it once in every 15, so it goes down and recovers.",
                "schedule_kind": "period",
                "period_seconds": 120,
                "grace_seconds": 60,
                "severity": "warning",
                "service": "payments-api",
                "team": "payments",
                "labels": {"job": "pg_dump"},
            },
            now=timezone.now(),
        )


def heartbeats_demo_traffic(*, now: dt.datetime) -> str:
    """The demo job's pings for the minute of ``now`` (what it did: ``ran``, ``failed``, ``silent``, or ``absent``
    when the check was deleted or is paused)."""
    check = Check.objects.filter(slug=DEMO_CHECK).first()
    if check is None or check.paused:
        return "absent"
    minute = int(now.timestamp()) // 60
    phase = minute % BLOCK_MINUTES
    if RUN_MINUTES <= phase < FAIL_MINUTE:
        return "silent"
    took = 20 + (minute * 7) % 40
    heartbeat_ping(key=check.ping_key, kind=PingKind.START, now=now - dt.timedelta(seconds=took), method="POST",
                   source_ip="127.0.0.1", user_agent=AGENT)  # fmt: skip
    if phase == FAIL_MINUTE:
        body = b"pg_dump: error: connection to server failed: FATAL: too many connections\n"
        heartbeat_ping(key=check.ping_key, kind=PingKind.FAIL, now=now, method="POST", source_ip="127.0.0.1",
                       user_agent=AGENT, body=body, exit_status=1)  # fmt: skip
        return "failed"
    body = f"backup ok: {1800 + minute % 200} MB in {took} s\n".encode()
    heartbeat_ping(key=check.ping_key, kind=PingKind.SUCCESS, now=now, method="POST", source_ip="127.0.0.1",
                   user_agent=AGENT, body=body)  # fmt: skip
    return "ran"
