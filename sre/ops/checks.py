"""Readiness checks (the database and the broker) and the age of the last background heartbeat.

``/readyz`` says whether *this process* can serve: its database and its broker answer. The background heartbeat
(beat schedules it, a worker runs it) is not part of it: a dead beat is not a reason for a load balancer to take
every web node, and the public status page with them, out of rotation. Its age goes to ``/metrics``
(``sre_background_heartbeat_age_seconds``) and to the UI's banner instead; ``manage.py serve`` still waits for
the first one before it says the control plane is up.

``/readyz`` is public, so a failed check says only what failed; the driver's error (which names hosts, ports,
users) goes to the log."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from kombu import Connection

from sre.domain.heartbeat import heartbeat_age_seconds
from sre.selectors import heartbeat_get

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


def check_database() -> CheckResult:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure means "not ready"; the log says why
        logger.warning("Readiness: database unreachable", exc_info=True)
        return CheckResult("database", False, "database unreachable")
    return CheckResult("database", True, connection.vendor)


def check_broker() -> CheckResult:
    url = settings.CELERY_BROKER_URL
    timeout = settings.SRE["BROKER_CHECK_TIMEOUT"]
    try:
        with Connection(
            url, transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS, connect_timeout=timeout
        ) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
    except Exception:  # as for the database
        logger.warning("Readiness: broker unreachable", exc_info=True)
        return CheckResult("broker", False, "broker unreachable")
    return CheckResult("broker", True, url.split("://", 1)[0])


def heartbeat_age(*, now: dt.datetime) -> float | None:
    """Seconds since the last background heartbeat; ``None`` when none was ever recorded."""
    return heartbeat_age_seconds(last_seen_at=getattr(heartbeat_get(), "last_seen_at", None), now=now)


def check_heartbeat(*, now: dt.datetime) -> CheckResult:
    """Whether background work ran within ``SRE_HEARTBEAT_MAX_AGE`` (for ``manage.py serve``; not readiness)."""
    max_age = settings.SRE["HEARTBEAT_MAX_AGE"]
    age = heartbeat_age(now=now)
    if age is None:
        return CheckResult("heartbeat", False, "no background heartbeat recorded yet (is the worker and beat running?)")
    if age > max_age:
        return CheckResult("heartbeat", False, f"last background heartbeat {age:.0f}s ago (limit {max_age}s)")
    return CheckResult("heartbeat", True, f"{age:.0f}s ago")


def readiness() -> list[CheckResult]:
    """What this process needs to serve: its database and its broker."""
    return [check_database(), check_broker()]
