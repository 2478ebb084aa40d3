"""The alert path's own statements: the intake's first read and last write, the attempt's result, the
PagerDuty routing key's rate lock and rate check, the receiver lock set."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection, connections, router
from django.db.models import Model

from alerts.choices import AttemptOutcome, NotificationState
from alerts.models import Alert, AlertGroup, ConfigVersion, DeliveryAttempt, GroupEvent, Notification, Receiver
from alerts.sql.rows import _convert, _converters, _instances, _json_rows, _lock_clause, _record, locked_by_key
from sre.sql import table


def config_version_and_locked_alerts(fingerprints: list[str]) -> tuple[str | None, list[Alert]]:
    """What an intake batch reads first: the configuration's version (``config_version``) and its existing
    alerts, locked (``locked_by_key``); on PostgreSQL in one statement."""
    db = connections[router.db_for_write(Alert)]
    if db.vendor != "postgresql" or not fingerprints:
        return config_version(), locked_by_key(Alert, key="fingerprint", values=fingerprints)
    fields = tuple(Alert._meta.concrete_fields)
    columns = ", ".join(f"locked.{db.ops.quote_name(f.column)}" for f in fields)
    # The locks are taken inside the CTE, in fingerprint order; the outer join keeps the version row when no
    # alert exists yet (a locking clause may not sit on the nullable side of an outer join itself).
    lock = f"WITH locked AS (SELECT * FROM {table(Alert, db=db)} WHERE fingerprint = ANY(%s) ORDER BY fingerprint"  # noqa: S608
    outer = " FROM (SELECT 1) AS one LEFT JOIN locked ON true ORDER BY locked.fingerprint"
    version = f"(SELECT version FROM {table(ConfigVersion, db=db)} WHERE id = 1)"  # noqa: S608
    statement = f"{lock} FOR NO KEY UPDATE) SELECT {version}, {columns}{outer}"
    with db.cursor() as cursor:
        cursor.execute(statement, [list(fingerprints)])
        rows = cursor.fetchall()
    version = rows[0][0] if rows else None
    return version, _instances(Alert, db, fields, [row[1:] for row in rows if row[1] is not None])


def receivers_lock(*, pk: int, digest: str) -> list[tuple[int, int, datetime | None]]:
    """Lock the receiver and every receiver sharing its routing key (``digest``; empty: none), in pk order;
    returns (pk, breaker failures, breaker open until) of each."""
    db = connections[router.db_for_write(Receiver)]
    fields = (Receiver._meta.get_field("breaker_open_until"),)
    converters = _converters(db, fields)
    statement = f"SELECT id, breaker_failures, breaker_open_until FROM {table(Receiver, db=db)} WHERE id = %s"  # noqa: S608
    params: list[Any] = [pk]
    if digest:
        statement += " OR routing_key_digest = %s"
        params.append(digest)
    with db.cursor() as cursor:
        cursor.execute(statement + " ORDER BY id" + _lock_clause(db), params)
        rows = cursor.fetchall()
    return [(row[0], row[1], _convert(db, fields, converters, row[2:])[0]) for row in rows]


def nth_recent_attempt(*, digest: str, since: datetime, n: int) -> datetime | None:
    """When the ``n``-th most recent delivery attempt to the routing key (``digest``) after ``since`` started."""
    db = connections[router.db_for_write(DeliveryAttempt)]
    fields = (DeliveryAttempt._meta.get_field("started_at"),)
    statement = (
        f"SELECT started_at FROM {table(DeliveryAttempt, db=db)} WHERE routing_key_digest = %s AND started_at > %s"  # noqa: S608
        " ORDER BY started_at DESC LIMIT 1 OFFSET %s"
    )
    with db.cursor() as cursor:
        cursor.execute(statement, [digest, db.ops.adapt_datetimefield_value(since), n - 1])
        row = cursor.fetchone()
    return _convert(db, fields, _converters(db, fields), row)[0] if row else None


def config_version() -> str | None:
    """The routing configuration's version (``ConfigVersion``), read on every intake batch."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT version FROM {table(ConfigVersion)} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
    return row[0] if row else None


# PostgreSQL only: a finished attempt recorded in one statement (no transaction of its own). The notification
# row is updated only if the attempt is still ours (its ``attempts`` is the number we claimed); the ledger row,
# the timeline row and the look-up of the next notification of the same key follow only if it was. (Every
# data-modifying part of a WITH runs once, whether or not the final SELECT reads it.)
@cache
def _complete_pg_sql() -> str:
    """The statement, its tables named from the models (read once per process)."""
    notification, attempt, event = table(Notification), table(DeliveryAttempt), table(GroupEvent)
    return f"""
WITH n AS (
    UPDATE {notification}
    SET state = %(state)s, lease_until = NULL, last_error = %(last_error)s,
        delivered_at = COALESCE(%(delivered_at)s::timestamptz, delivered_at),
        next_attempt_at = COALESCE(%(next_attempt_at)s::timestamptz, next_attempt_at)
    WHERE id = %(notification)s AND attempts = %(number)s
    RETURNING id, receiver_id, dedup_key
), a AS (
    UPDATE {attempt}
    SET http_status = %(http_status)s::integer, latency_ms = %(latency_ms)s, error = %(error)s, outcome = %(outcome)s
    WHERE id = %(attempt)s AND outcome = %(in_flight)s AND EXISTS (SELECT 1 FROM n)
    RETURNING id
), e AS (
    INSERT INTO {event} (group_id, at, kind, actor, message)
    SELECT %(group)s::bigint, %(now)s::timestamptz, %(event_kind)s::text, '', %(event_message)s::text
    FROM n WHERE %(event_kind)s::text <> ''
    RETURNING id
)
SELECT (SELECT count(*) FROM n),
       (SELECT f.id FROM {notification} f, n
        WHERE %(final)s::boolean AND f.receiver_id = n.receiver_id AND f.dedup_key = n.dedup_key
          AND f.state = %(pending)s AND f.id > n.id ORDER BY f.id LIMIT 1)
"""  # noqa: S608


def attempt_complete_pg(
    record: Any, *, notification_id: int, number: int, attempt_id: int, group_id: int | None, now: datetime
) -> tuple[bool, int | None]:
    """Record a finished attempt (``alerts.domain.delivery.AttemptRecord``; see ``_complete_pg_sql``). Returns
    whether the attempt was still ours and, once the notification is final, the id of the next pending one of
    the same receiver and key."""
    params = {
        **{name: getattr(record, name) for name in _RECORD_FIELDS},
        "event_kind": record.event_kind if group_id is not None else "",
        "notification": notification_id,
        "number": number,
        "attempt": attempt_id,
        "group": group_id,
        "now": now,
        "in_flight": AttemptOutcome.IN_FLIGHT,
        "pending": NotificationState.PENDING,
    }
    with connection.cursor() as cursor:
        cursor.execute(_complete_pg_sql(), params)
        taken, following = cursor.fetchone()
    return bool(taken), following


_RECORD_FIELDS = ("state", "last_error", "delivered_at", "next_attempt_at", "outcome", "http_status", "latency_ms")
_RECORD_FIELDS += ("error", "event_message", "final")


# Advisory locks on a PagerDuty routing key (its digest), in a namespace of our own: claimers far from the rate
# limit share it, a claimer that must count exactly holds it alone (``alerts.domain.delivery.shared_rate_depth``).
_RATE_LOCK_NAMESPACE = 0x53524541  # "SREA"


def _rate_lock_key(digest: str) -> int:
    return int(digest[:7], 16)  # 28 bits: a collision only makes two keys wait on each other


def rate_key_share(digest: str) -> None:
    """PostgreSQL: hold the routing key's rate lock in shared mode until the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", [_RATE_LOCK_NAMESPACE, _rate_lock_key(digest)])


def rate_key_lock(digest: str) -> None:
    """PostgreSQL: hold the routing key's rate lock alone until the transaction ends (waits for shared holders)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_RATE_LOCK_NAMESPACE, _rate_lock_key(digest)])


_max_connections: int | None = None


def max_connections() -> int:
    """PostgreSQL's connection limit: no more transactions than this can run at once (read once per process)."""
    global _max_connections
    if _max_connections is None:
        with connection.cursor() as cursor:
            cursor.execute("SHOW max_connections")
            _max_connections = int(cursor.fetchone()[0])
    return _max_connections


def receiver_state(*, pk: int, digest: str, since: datetime, depth: int) -> tuple[int, datetime | None, bool] | None:
    """Without locking: the receiver's breaker (failures, open until) and whether the routing key (``digest``;
    empty: not asked) has a send at ``depth`` inside the window since ``since``. None: the receiver is gone."""
    db = connections[router.db_for_write(Receiver)]
    fields = (Receiver._meta.get_field("breaker_open_until"),)
    statement = (
        f"SELECT breaker_failures, breaker_open_until, EXISTS (SELECT 1 FROM {table(DeliveryAttempt, db=db)}"  # noqa: S608
        " WHERE routing_key_digest = %s AND started_at > %s ORDER BY started_at DESC LIMIT 1 OFFSET %s)"
        f" FROM {table(Receiver, db=db)} WHERE id = %s"
    )
    with db.cursor() as cursor:
        cursor.execute(statement, [digest, db.ops.adapt_datetimefield_value(since), max(0, depth - 1), pk])
        row = cursor.fetchone()
    if row is None:
        return None
    open_until = _convert(db, fields, _converters(db, fields), row[1:2])[0]
    return row[0], open_until, bool(digest) and bool(row[2])


def open_notification_exists(*, receiver_id: int, dedup_key: str) -> bool:
    """Whether a notification of this receiver and key is still pending or being sent."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {table(Notification)} WHERE receiver_id = %s AND dedup_key = %s"  # noqa: S608
            " AND state IN (%s, %s) LIMIT 1",
            [receiver_id, dedup_key, NotificationState.PENDING, NotificationState.SENDING],
        )
        return cursor.fetchone() is not None


@cache
def _intake_write_sql(group_fields: tuple[str, ...]) -> tuple[str, tuple, tuple, tuple, tuple, tuple]:

    link_fields = tuple(f for f in AlertGroup.alerts.through._meta.concrete_fields if not f.primary_key)
    db = connections[router.db_for_write(Notification)]
    quote = db.ops.quote_name
    notification_fields = tuple(f for f in Notification._meta.concrete_fields if not f.primary_key)
    attempt_fields = tuple(
        f for f in DeliveryAttempt._meta.concrete_fields if not f.primary_key and f.name != "notification"
    )
    update_fields = tuple(AlertGroup._meta.get_field(name) for name in group_fields)
    event_fields = tuple(f for f in GroupEvent._meta.concrete_fields if not f.primary_key)
    l_columns, l_record = _record(link_fields, db)
    n_columns, n_record = _record(notification_fields, db)
    a_columns, a_record = _record(attempt_fields, db)
    a_selected, _ = _record(attempt_fields, db, prefix="r.")
    _, u_record = _record(update_fields, db)
    e_columns, e_record = _record(event_fields, db)
    assignments = ", ".join(f"{quote(f.column)} = r.{quote(f.column)}" for f in update_fields)
    # Model metadata (quoted names, column types) only; every value is one of the five JSON parameters.
    statement = f"""
WITH l AS (
    INSERT INTO {table(AlertGroup.alerts.through, db=db)} ({l_columns})
    SELECT {l_columns} FROM jsonb_to_recordset(%s::jsonb) AS r({l_record})
    ON CONFLICT DO NOTHING
    RETURNING id
), n AS (
    INSERT INTO {table(Notification, db=db)} ({n_columns})
    SELECT {n_columns} FROM jsonb_to_recordset(%s::jsonb) AS r({n_record})
    RETURNING id, group_id
), a AS (
    INSERT INTO {table(DeliveryAttempt, db=db)} (notification_id, {a_columns})
    SELECT n.id, {a_selected} FROM jsonb_to_recordset(%s::jsonb) AS r({a_record}) JOIN n ON n.group_id = r.group_id
    RETURNING id, group_id
), u AS (
    UPDATE {table(AlertGroup, db=db)} AS g SET {assignments}
    FROM jsonb_to_recordset(%s::jsonb) AS r(id bigint, {u_record}) WHERE g.id = r.id
    RETURNING g.id
), e AS (
    INSERT INTO {table(GroupEvent, db=db)} ({e_columns})
    SELECT {e_columns} FROM jsonb_to_recordset(%s::jsonb) AS r({e_record})
    RETURNING id
)
SELECT 'n', id, group_id FROM n UNION ALL SELECT 'a', id, group_id FROM a
"""  # noqa: S608
    return statement, link_fields, notification_fields, attempt_fields, update_fields, event_fields


def intake_write_pg(
    *,
    links: Sequence[Model],
    notifications: Sequence[Model],
    attempts: Sequence[Model],
    groups: Sequence[Model],
    group_fields: tuple[str, ...],
    events: Sequence[Model],
) -> None:
    """PostgreSQL: what an intake batch wrote, in one statement: new group memberships, its outbox rows (at most one per
    group), the ledger rows of those claimed in the transaction (matched to their notification by group), the
    groups' flushed fields and the timeline rows. Gives the notifications and attempts their pks."""
    statement, l_fields, n_fields, a_fields, u_fields, e_fields = _intake_write_sql(group_fields)
    params = [
        _json_rows(links, l_fields),
        _json_rows(notifications, n_fields),
        _json_rows(attempts, a_fields),
        _json_rows(groups, (AlertGroup._meta.pk, *u_fields), add=False),
        _json_rows(events, e_fields),
    ]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    by_group = {n.group_id: n for n in notifications}
    attempt_by_group = {a.group_id: a for a in attempts}
    for kind, pk, group_id in rows:
        obj = by_group[group_id] if kind == "n" else attempt_by_group[group_id]
        obj.pk = pk
        obj._state.adding, obj._state.db = False, connection.alias
    for attempt in attempts:
        attempt.notification_id = by_group[attempt.group_id].pk
