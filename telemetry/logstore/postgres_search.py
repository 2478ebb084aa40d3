"""How the database log store answers a search on PostgreSQL, by the shape of the query and of the table.

A term the planner's statistics do not know as common (a rare word, a request or trace id) is looked up through
the GIN index alone, at most ``cap`` matches (:func:`rare_page`), so its cost follows its matches; a common term,
or no text, walks the time index newest first, which stops after the page. With day partitions
(``telemetry.partitions``) both go one UTC day at a time from the newest (:func:`days_newest_first`): one statement
over every partition would plan each of them (~0.5 ms apiece with their indexes) and, for the walk, start a scan
in each until its first match before returning a line (a Merge Append), while the newest day or two usually hold
the page."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from django.db import connection, transaction
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from sre.sql import table
from telemetry.domain.logs import LogQuery
from telemetry.models import LogEntry
from telemetry.partitions import LOGS

PROBE = 5_000  # matches looked up through the GIN index before a term counts as common (at least)
# ... or sqrt(PROBE_SCALE x lines): the time-ordered scan reads ~51 x lines / matches rows, the lookup one row a
# match, and on the bench both cost about 6 us a row read, so the two meet near sqrt(51 x lines)
PROBE_SCALE = 50
RARE_FRACTION = 0.01  # estimated share of lines under which a term is looked up first (unknown words: 0.005)
# Planner settings for the GIN lookup: bitmap scans only (no filtered walk of the table or the time index),
# no parallel workers for a few thousand rows, no JIT (whose compile costs more than such a query).
_LOOKUP_SETTINGS = {
    "enable_seqscan": "off",
    "enable_indexscan": "off",
    "max_parallel_workers_per_gather": "0",
    "jit": "off",
}
_INSTANT = dt.timedelta(microseconds=1)
_EARLIEST = dt.datetime.min.replace(tzinfo=dt.UTC)


def text_condition(q: str, words: list[str]) -> RawSQL:
    """The words of ``q`` all in the message; on PostgreSQL also ``q`` as typed, so an id the parser keeps
    whole (``10.0.0.1``, ``db.example.com``, ``v1.2.3``) matches the same id in a message, which the words
    alone (``10``, ``0``, ``1``) would not."""
    joined = " ".join(words)
    typed = " ".join(q.split()[: len(words)])
    if typed == joined:
        return RawSQL("to_tsvector('simple', message) @@ plainto_tsquery('simple', %s)", [joined], BooleanField())
    return RawSQL(
        "to_tsvector('simple', message) @@ (plainto_tsquery('simple', %s) || plainto_tsquery('simple', %s))",
        [joined, typed],
        BooleanField(),
    )


def _sample(cursor) -> tuple[str, float]:
    """Partitioned: the fullest of the newest day partitions with statistics (its estimates stand for every day's), the
    lines of all partitions (``reltuples``, no rows read). Not partitioned: the table itself and 0."""
    cursor.execute(
        "SELECT c.relname, greatest(c.reltuples, 0) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass(%s) ORDER BY c.relname DESC",
        [LOGS.table],
    )
    parts = cursor.fetchall()
    total = float(sum(rows for _, rows in parts))
    recent = [(rows, name) for name, rows in parts if rows > 0 and name != LOGS.default_name][:3]
    if recent:  # the fullest of the three newest days with statistics (a day just begun has few rows to go by)
        return table(max(recent)[1]), total
    return table(LogEntry), total


def _estimates(cursor, q: str, words: list[str]) -> tuple[float, float]:
    """The planner's estimates of the lines the text matches and of all lines (one EXPLAIN, no rows read):
    a word among the statistics' most common elements gets its measured share, any other word a default.
    Partitioned, the share is one recent day's, applied to the lines of every day."""
    sampled, total = _sample(cursor)
    condition = text_condition(q, words)
    cursor.execute(
        f"EXPLAIN (FORMAT JSON) SELECT 1 FROM (SELECT 1 FROM {sampled} WHERE {condition.sql} OFFSET 0) s "  # noqa: S608 - names from the catalogue, parameters apart
        f"UNION ALL SELECT 1 FROM (SELECT 1 FROM {sampled} OFFSET 0) e",
        condition.params,
    )
    plan = cursor.fetchone()[0]
    plan = (orjson.loads(plan) if isinstance(plan, str | bytes) else plan)[0]["Plan"]
    some, every = (max(float(part["Plan Rows"]), 1.0) for part in plan["Plans"])
    if total:
        return some / every * total, total
    return some, every


def days_newest_first(
    query: LogQuery, *, partitioned: bool, growing: bool = False
) -> Iterator[tuple[dt.datetime | None, Any]]:
    """The (start, end) windows a search reads in turn: partitioned, whole UTC days from the newest line (or
    ``query.end``) back to ``query.start`` — one day each, or with ``growing`` 1, 2, 4, … days (a rare term's
    few matches take a handful of statements, not one per day) — a stretch with no line skipped in one index
    probe; otherwise the whole range at once."""
    if not partitioned:
        yield query.start, query.end
        return
    newest = query.end
    if newest is None:
        newest = LogEntry.objects.order_by("-timestamp").values_list("timestamp", flat=True).first()
        if newest is None:
            return
        newest += _INSTANT
    days = 1
    while True:
        if newest - _EARLIEST <= dt.timedelta(days=days + 1):  # the calendar's first days: one window, no day maths
            yield query.start, newest
            return
        last = (newest - _INSTANT).astimezone(dt.UTC)
        day = dt.datetime(last.year, last.month, last.day, tzinfo=dt.UTC) - dt.timedelta(days=days - 1)
        start = max(day, query.start) if query.start else day
        yield start, newest
        days = days * 2 if growing else 1
        if query.start and start <= query.start:
            return
        older = LogEntry.objects.filter(timestamp__lt=start)
        if query.start:
            older = older.filter(timestamp__gte=query.start)
        before = older.order_by("-timestamp").values_list("timestamp", flat=True).first()
        if before is None:
            return
        newest = before + _INSTANT


def _within(qs, start: dt.datetime | None, end: dt.datetime | None):
    if start is not None:
        qs = qs.filter(timestamp__gte=start)
    if end is not None:
        qs = qs.filter(timestamp__lt=end)
    return qs


def newest_page(qs, *, query: LogQuery, offset: int, limit: int, partitioned: bool) -> list[LogEntry]:
    """The page of ``qs`` newest first through the time index, window after window until it is full."""
    wanted = offset + limit + 1
    rows: list[LogEntry] = []
    for start, end in days_newest_first(query, partitioned=partitioned):
        rows += _within(qs, start, end).order_by("-timestamp", "-id")[: wanted - len(rows)]
        if len(rows) >= wanted:
            break
    return rows[offset:]


@contextmanager
def _settings(cursor, values: dict[str, str]) -> Iterator[None]:
    """``values`` (planner settings) for the statements run inside, then the previous ones again."""
    cursor.execute(
        "SELECT " + ", ".join(f"current_setting('{name}')" for name in values) + ", "
        + ", ".join(f"set_config('{name}', '{value}', true)" for name, value in values.items())
    )  # fmt: skip
    saved = list(cursor.fetchone()[: len(values)])
    try:
        yield
    finally:
        cursor.execute("SELECT " + ", ".join(f"set_config('{name}', %s, true)" for name in values), saved)


@contextmanager
def custom_plans() -> Iterator[None]:
    """A search's statements planned for their own values each time. The connection prepares a statement run five
    times (``DATABASE_PREPARE_THRESHOLD``) and PostgreSQL may then keep one generic plan for it: one that prunes no
    partition when planned and was made under whatever scan settings held then (a change of ``enable_*`` does not
    replan it). The windows of a search repeat the same statements with other bounds, so a generic plan read every
    partition, or walked a whole day by time for a rare word (0.5 s where a custom plan takes 1 ms, measured)."""
    with (
        transaction.atomic(savepoint=False),
        connection.cursor() as cursor,
        _settings(cursor, {"plan_cache_mode": "force_custom_plan"}),
    ):
        yield


def rare_page(qs, *, query: LogQuery, words: list[str], offset: int, limit: int, partitioned: bool):
    """The page through the GIN index when the term may be rare and at most ``cap`` lines match in the windows
    read, else ``None``. ``cap`` (at least ``PROBE``) grows with the square root of the table, where reading
    ``cap`` matches costs about what the time-ordered scan pays for a term of ``cap`` matches. The matches of
    each window are read whole, with bitmap scans only (so a lookup cannot turn into a filtered walk of the
    table; the windows' own probes of the time index run with the usual settings), newest window first, until
    the page is certain; then the page's lines are fetched."""
    wanted = offset + limit + 1
    found: list[tuple[dt.datetime, int]] = []
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        some, every = _estimates(cursor, query.q, words)  # estimates only: the scan settings do not change them
        cap = max(PROBE, math.isqrt(int(PROBE_SCALE * every)))
        if some > RARE_FRACTION * every or wanted > cap:
            return None
        for start, end in days_newest_first(query, partitioned=partitioned, growing=True):
            with _settings(cursor, _LOOKUP_SETTINGS):
                found += _within(qs, start, end).values_list("timestamp", "id")[: cap + 1 - len(found)]
            if len(found) > cap:
                return None
            if len(found) >= wanted:
                break
    page = sorted(found, reverse=True)[offset:wanted]
    if not page:
        return []
    times = [when for when, _ in page]  # bounds the partitions read (the id alone is no partition key)
    lines = LogEntry.objects.filter(id__in=[i for _, i in page], timestamp__gte=min(times), timestamp__lte=max(times))
    return list(lines.order_by("-timestamp", "-id"))
