"""A ping received: recorded and applied to its check under the check's row lock, so concurrent pings are each
stored once, in order (``n``), and none overwrites another's effect. A ping that changes what should be firing (a
failure, or a success after down/failed) sends the alert after commit."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from functools import partial

from django.db import transaction

from heartbeats.choices import PingKind
from heartbeats.domain.state import after_ping
from heartbeats.models import Check, Ping
from heartbeats.selectors import status_of, timing_of
from heartbeats.services.alerting import alert_sync_after_commit
from heartbeats.services.runtime import status_apply
from sre.errors import InvalidInputError, NotFoundError

PINGS_KEPT = 1000  # per check; older ones are deleted every PRUNE_EVERY pings
PRUNE_EVERY = 100
BODY_KEPT_BYTES = 10_000
USER_AGENT_KEPT = 300
UUID_TEXT = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")


def ping_key_parse(raw: str) -> uuid.UUID:
    """The ping key in a URL; ``InvalidInputError`` naming ``uuid`` unless it is a UUID (any case, with hyphens)."""
    text = str(raw or "")
    if not UUID_TEXT.match(text):
        raise InvalidInputError(
            "The ping URL's key is not a UUID (8-4-4-4-12 hexadecimal digits, as shown on the check's page).",
            fields={"uuid": ["Not a valid UUID."]},
        )
    return uuid.UUID(text)


def body_excerpt(body: bytes) -> str:
    """The first ``BODY_KEPT_BYTES`` of a body as text (invalid UTF-8 replaced, NUL characters dropped)."""
    return body[:BODY_KEPT_BYTES].decode("utf-8", errors="replace").replace("\x00", "")


def heartbeat_ping(
    *,
    key: uuid.UUID,
    kind: str,
    now: dt.datetime,
    method: str = "",
    source_ip: str | None = None,
    user_agent: str = "",
    body: bytes = b"",
    body_size: int | None = None,
    exit_status: int | None = None,
) -> Ping:
    """Record a ping of ``kind`` (success, start or fail) for the check whose ping key is ``key`` and move the check
    (``heartbeats.domain.state.after_ping``). ``NotFoundError`` naming ``uuid`` when no check has the key. ``body``
    is kept up to ``BODY_KEPT_BYTES``; ``body_size`` is the whole body's size when only its start was read.

    Side effects: the check's runtime fields; every ``PRUNE_EVERY``-th ping deletes pings older than the last
    ``PINGS_KEPT``; after commit, the alert is raised or resolved when what should be firing changed."""
    if kind not in PingKind.values:
        raise InvalidInputError(f"Unknown ping kind {kind!r}.", fields={"kind": [f"One of {PingKind.values}."]})
    with transaction.atomic():
        check = Check.objects.select_for_update().filter(ping_key=key).first()
        if check is None:
            raise NotFoundError("No heartbeat check has this ping URL.", fields={"uuid": ["Unknown ping key."]})
        result = after_ping(status=status_of(check), timing=timing_of(check), paused=check.paused, kind=kind, now=now)
        check.ping_count += 1
        ping = Ping.objects.create(
            heartbeat=check,
            n=check.ping_count,
            kind=kind,
            at=now,
            duration_seconds=result.duration_seconds,
            late=result.late,
            exit_status=exit_status,
            method=method[:10],
            source_ip=source_ip or None,
            user_agent=user_agent[:USER_AGENT_KEPT],
            body=body_excerpt(body),
            body_bytes=len(body) if body_size is None else body_size,
        )
        changed = ["ping_count", *status_apply(check, result.status)]
        if result.duration_seconds is not None:
            check.last_duration_seconds = result.duration_seconds
            changed.append("last_duration_seconds")
        check.save(update_fields=changed)
        if check.ping_count % PRUNE_EVERY == 0:
            Ping.objects.filter(heartbeat=check, n__lte=check.ping_count - PINGS_KEPT).delete()
        if not check.alert_synced:
            transaction.on_commit(partial(alert_sync_after_commit, check.pk, now))
    return ping
