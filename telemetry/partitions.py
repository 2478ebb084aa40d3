"""Day partitions of the two big tables on PostgreSQL: log lines (``telemetry_logentry``, by ``timestamp``) and
minute rollups (``telemetry_minuterollup``, by ``start`` in unix seconds), in native declarative partitioning.

Each table has one partition per UTC day (``<table>_pYYYYMMDD``) and a default partition (``<table>_pdefault``)
that takes any row no day partition covers, so a write never fails for want of a partition (a beat down for days,
a backfill of old samples). The retention job (``telemetry.retention``) keeps them in shape every run:

- :func:`partitions_ensure` attaches the partitions of yesterday, today and the next ``AHEAD_DAYS`` days, and gives
  each day found in the default partition (within the retention) a partition of its own, moving its rows there;
- :func:`partitions_drop_before` drops the day partitions that end at or before the retention's cutoff, a catalogue
  operation whatever their size, and deletes the default partition's older rows in batches as before.

So a day's lines leave whole, between ``N`` and ``N + 1`` days old for a retention of ``N`` days, and a search over
the last hour reads today's partition only (the planner prunes the others and the default, whose rows are older).

New partitions are built apart and attached (``ATTACH PARTITION`` takes a lock that lets reads and writes go on);
dropping one takes the table's exclusive lock for a moment: both wait at most ``LOCK_TIMEOUT`` behind a long query
and the next run tries again. On SQLite the tables are plain and retention deletes rows."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

from django.db import DatabaseError, connection, transaction

logger = logging.getLogger(__name__)

AHEAD_DAYS = 3
LOCK_TIMEOUT = "5s"
# Days taken out of the default partition per run: a large backfill moves over several runs.
ADOPT_PER_RUN = 31


@dataclass(frozen=True)
class Partitioned:
    table: str  # the parent table
    column: str  # the partition key
    epoch: bool  # the key is unix seconds (bigint), not a timestamptz
    options: str = ""  # storage parameters of every partition (a partitioned table has none of its own)

    def day_name(self, day: dt.date) -> str:
        return f"{self.table}_p{day:%Y%m%d}"

    @property
    def default_name(self) -> str:
        return f"{self.table}_pdefault"

    def bound(self, day: dt.date) -> str:
        """The SQL literal of the key at the start of ``day`` (UTC)."""
        start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        return str(int(start.timestamp())) if self.epoch else f"'{start.isoformat()}'::timestamptz"

    def key_of(self, moment: dt.datetime) -> int | dt.datetime:
        """``moment`` as a value of the key, for a query parameter."""
        return int(moment.timestamp()) if self.epoch else moment


LOGS = Partitioned(table="telemetry_logentry", column="timestamp", epoch=False)
MINUTES = Partitioned(table="telemetry_minuterollup", column="start", epoch=True, options="fillfactor = 70")
TABLES = (LOGS, MINUTES)

_DAY = re.compile(r"_p(\d{8})$")


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def is_partitioned(spec: Partitioned) -> bool:
    """Whether ``spec.table`` is partitioned here (PostgreSQL, after migration telemetry 0007)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s))", [spec.table]
        )
        return bool(cursor.fetchone()[0])


def partition_days(spec: Partitioned) -> list[dt.date]:
    """The days that have a partition, oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s)",
            [spec.table],
        )
        names = [row[0] for row in cursor.fetchall()]
    return sorted(dt.datetime.strptime(m.group(1), "%Y%m%d").date() for n in names if (m := _DAY.search(n)))


def _lock_timeout(cursor) -> None:
    cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")


def partition_attach(spec: Partitioned, day: dt.date) -> int:
    """Give ``day`` its partition: built apart with the rows of that day the default partition holds, then
    attached (its indexes are built by the attach). Returns the rows moved."""
    name, parent, default = _quote(spec.day_name(day)), _quote(spec.table), _quote(spec.default_name)
    low, high = spec.bound(day), spec.bound(day + dt.timedelta(days=1))
    column = _quote(spec.column)
    options = f" WITH ({spec.options})" if spec.options else ""
    with transaction.atomic(), connection.cursor() as cursor:
        _lock_timeout(cursor)
        cursor.execute(f"CREATE TABLE {name} (LIKE {parent} INCLUDING DEFAULTS){options}")
        cursor.execute(
            f"WITH moved AS (DELETE FROM {default} WHERE {column} >= {low} AND {column} < {high} RETURNING *) "  # noqa: S608 - names and bounds built here
            f"INSERT INTO {name} SELECT * FROM moved"
        )
        moved = cursor.rowcount
        cursor.execute(f"ALTER TABLE {parent} ATTACH PARTITION {name} FOR VALUES FROM ({low}) TO ({high})")
    return moved


def _default_days(spec: Partitioned, *, since: dt.datetime) -> list[dt.date]:
    """The days within the retention that have rows in the default partition (normally none)."""
    column = _quote(spec.column)
    day = f"to_timestamp({column})" if spec.epoch else column
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT (date_trunc('day', {day} AT TIME ZONE 'UTC'))::date FROM {_quote(spec.default_name)} "  # noqa: S608
            f"WHERE {column} >= %s ORDER BY 1 LIMIT %s",
            [spec.key_of(since), ADOPT_PER_RUN],
        )
        return [row[0] for row in cursor.fetchall()]


def partitions_ensure(spec: Partitioned, *, now: dt.datetime, keep_days: int) -> int:
    """Attach the partitions from yesterday to ``AHEAD_DAYS`` ahead, and one for each day within the retention
    that has rows in the default partition. Returns the partitions attached."""
    today = now.astimezone(dt.UTC).date()
    wanted = {today + dt.timedelta(days=n) for n in range(-1, AHEAD_DAYS + 1)}
    wanted.update(_default_days(spec, since=now - dt.timedelta(days=keep_days)))
    return partitions_cover(spec, days=wanted)


def partitions_cover(spec: Partitioned, *, days: set[dt.date]) -> int:
    """Attach a partition for each of ``days`` that has none (with the default partition's rows of that day).
    Returns the partitions attached. A bulk load calls it first so its rows land in their days' partitions."""
    attached = 0
    for day in sorted(days - set(partition_days(spec))):
        try:
            partition_attach(spec, day)
        except DatabaseError:  # a lock not granted in time, a concurrent run that made it first
            logger.warning("telemetry: cannot attach %s yet", spec.day_name(day), exc_info=True)
            continue
        attached += 1
    return attached


def partitions_drop_before(spec: Partitioned, *, cutoff: dt.datetime) -> tuple[int, int]:
    """Drop the day partitions that end at or before ``cutoff``. Returns (partitions dropped, their rows as the
    statistics count them: a drop reads nothing, so it is not counted exactly)."""
    dropped = rows = 0
    for day in partition_days(spec):
        end = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) + dt.timedelta(days=1)
        if end > cutoff:
            break
        name = spec.day_name(day)
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                _lock_timeout(cursor)
                cursor.execute("SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = %s::regclass", [name])
                count = int(cursor.fetchone()[0])
                cursor.execute(f"DROP TABLE {_quote(name)}")
        except DatabaseError:  # a long query holds the table: the day is dropped by a later run
            logger.warning("telemetry: could not drop %s; the next run tries again", name, exc_info=True)
            break
        rows += count
        dropped += 1
    return dropped, rows


def delete_in_batches(name: str, *, where: str, params: list, batch_size: int, max_batches: int) -> int:
    """Delete matching rows of the table ``name`` (quoted) ``batch_size`` at a time (each its own short statement)."""
    if connection.vendor == "postgresql":
        sql = f"DELETE FROM {name} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {name} WHERE {where} LIMIT %s))"  # noqa: S608
    else:
        sql = f"DELETE FROM {name} WHERE rowid IN (SELECT rowid FROM {name} WHERE {where} LIMIT %s)"  # noqa: S608
    total = 0
    for _ in range(max_batches):
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, batch_size])
            deleted = cursor.rowcount
        total += deleted
        if deleted < batch_size:
            break
    return total
