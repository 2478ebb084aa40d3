"""Hand-written statements for the alert hot path (webhook intake and the first delivery).

Why not the ORM here: profiled at 100 new groups a second, building and compiling querysets cost more of the
web worker's CPU than running the statements (compile 18%, build 9%, materialise 6%, execution 14%), and the
path runs about twenty statements per new group. These helpers write the SQL once per shape and send values
prepared by the model's own fields, so what is stored is exactly what ``save()`` would store.

Every helper works on PostgreSQL and SQLite (3.35+: ``RETURNING``) unless its name says otherwise; the callers
keep the ORM version for the other backend. Nothing here decides anything: the services do.
"""

from alerts.sql.rows import insert_rows, locked_by_key, update_row, update_rows
from alerts.sql.statements import (
    attempt_complete_pg,
    config_version,
    config_version_and_locked_alerts,
    intake_write_pg,
    max_connections,
    nth_recent_attempt,
    open_notification_exists,
    rate_key_lock,
    rate_key_share,
    receiver_state,
    receivers_lock,
)

__all__ = [
    "attempt_complete_pg",
    "config_version",
    "config_version_and_locked_alerts",
    "insert_rows",
    "intake_write_pg",
    "locked_by_key",
    "max_connections",
    "nth_recent_attempt",
    "open_notification_exists",
    "rate_key_lock",
    "rate_key_share",
    "receiver_state",
    "receivers_lock",
    "update_row",
    "update_rows",
]
