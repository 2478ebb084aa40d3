"""The database log store: one statement per batch on PostgreSQL, full-text search per vendor.

Search on PostgreSQL picks its path per query. Newest-first with a text condition has two good plans and
the planner cannot tell them apart for a word it has no statistics on (every rare word gets the same
default estimate): walking the time index and filtering row by row finds 50 hits of a common word at once,
but for a rare word, a request id or a trace id it reads the whole table. So a term the statistics do not
know as common is first looked up through the GIN index alone (a bitmap scan reading at most a bounded
number of matches): fewer than that, the matches are sorted by time and paged in the same statement (cost
O(matches)); more, the term is common after all and the time-ordered scan runs (cost O(page / share)).
"""

from __future__ import annotations

import datetime as dt

import orjson
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, IntegerField, Q
from django.db.models.expressions import RawSQL

from sre.sql import table
from telemetry.domain.highlight import query_words
from telemetry.domain.logs import LogQuery, LogRecord
from telemetry.logstore import LogBucket, LogHit, LogPage, LogStore, LogWriteOutcome, check_count_by
from telemetry.logstore.postgres_search import custom_plans, newest_page, rare_page, text_condition
from telemetry.models import IngestBatch, LogEntry
from telemetry.partitions import LOGS, delete_in_batches, is_partitioned, partitions_drop_before

# The same words the Logs page marks in its results (telemetry.domain.highlight).
fts_words = query_words
# SQLite's full-text index of the log lines (an FTS5 table kept by triggers, migration 0002): no model of its own.
FTS_TABLE = f"{LogEntry._meta.db_table}_fts"


def _esc(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _copy_text(records) -> bytes:
    """The lines as one COPY text-format block (tab-separated, backslash escapes): formatting it in one
    go costs a fraction of psycopg adapting every value of every row."""
    return "".join(
        f"{r.timestamp.isoformat()}\t{_esc(r.service)}\t{r.level}\t{_esc(r.message)}\t"
        f"{_esc(r.attributes_json or orjson.dumps(r.attributes, default=str).decode())}\t{_esc(r.trace_id)}\n"
        for r in records
    ).encode()


class DatabaseLogStore(LogStore):
    """Logs in ``telemetry_logentry`` (the default store)."""

    name = "database"

    def write(self, records: list[LogRecord], *, scope: str, batch_id: str | None, now: dt.datetime) -> LogWriteOutcome:
        if not records:
            return LogWriteOutcome(duplicate=False, accepted=0)
        try:
            if connection.vendor == "postgresql":
                return self._write_postgres(records, scope=scope, batch_id=batch_id, now=now)
            return self._write_generic(records, scope=scope, batch_id=batch_id, now=now)
        except IntegrityError:
            return LogWriteOutcome(duplicate=True, accepted=0)

    def _write_postgres(self, records, *, scope, batch_id, now) -> LogWriteOutcome:
        """One transaction: the batch id row (a duplicate fails on its unique constraint) and a COPY of the
        lines. Without a batch id it is the COPY alone."""
        with transaction.atomic(), connection.cursor() as cursor:
            if batch_id is not None:
                cursor.execute(
                    f"INSERT INTO {table(IngestBatch)} (scope, batch_id, kind, accepted, rejected, received_at) "  # noqa: S608
                    "VALUES (%s, %s, 'logs', %s, 0, %s) ON CONFLICT DO NOTHING RETURNING id",
                    [scope, batch_id, len(records), now],
                )
                if cursor.fetchone() is None:
                    return LogWriteOutcome(duplicate=True, accepted=0)
            columns = "(timestamp, service, level, message, attributes, trace_id)"
            with cursor.copy(f"COPY {table(LogEntry)} {columns} FROM STDIN") as copy:
                copy.write(_copy_text(records))
        return LogWriteOutcome(duplicate=False, accepted=len(records))

    def _write_generic(self, records, *, scope, batch_id, now) -> LogWriteOutcome:
        with transaction.atomic():
            if batch_id is not None:
                if IngestBatch.objects.filter(scope=scope, kind="logs", batch_id=batch_id).exists():
                    return LogWriteOutcome(duplicate=True, accepted=0)
                IngestBatch.objects.create(
                    scope=scope, kind="logs", batch_id=batch_id, accepted=len(records), rejected=0, received_at=now
                )
            LogEntry.objects.bulk_create(
                [
                    LogEntry(
                        timestamp=r.timestamp,
                        service=r.service,
                        level=r.level,
                        message=r.message,
                        attributes=r.attributes,
                        trace_id=r.trace_id,
                    )
                    for r in records
                ],
                batch_size=500,
            )
        return LogWriteOutcome(duplicate=False, accepted=len(records))

    def _queryset(self, query: LogQuery):
        qs = LogEntry.objects.all()
        if query.service:
            qs = qs.filter(service=query.service)
        if query.levels:
            qs = qs.filter(level__in=query.levels)
        if query.start:
            qs = qs.filter(timestamp__gte=query.start)
        if query.end:
            qs = qs.filter(timestamp__lt=query.end)
        words = fts_words(query.q)
        if words:
            if connection.vendor == "postgresql":
                qs = qs.filter(text_condition(query.q, words))
            else:
                match = " ".join('"' + w.replace('"', "") + '"' for w in words)
                qs = qs.filter(
                    Q(
                        id__in=RawSQL(  # noqa: S611 - the match is a parameter
                            f"SELECT rowid FROM {table(FTS_TABLE)} WHERE {table(FTS_TABLE)} MATCH %s",  # noqa: S608
                            [match],
                        )
                    )
                )
        return qs

    def search(self, query: LogQuery, *, offset: int, limit: int) -> LogPage:
        qs = self._queryset(query)
        rows = None
        if connection.vendor == "postgresql":
            partitioned = is_partitioned(LOGS)
            words = fts_words(query.q)
            with custom_plans():
                if words:
                    rows = rare_page(qs, query=query, words=words, offset=offset, limit=limit, partitioned=partitioned)
                if rows is None:
                    rows = newest_page(qs, query=query, offset=offset, limit=limit, partitioned=partitioned)
        else:
            rows = list(qs.order_by("-timestamp", "-id")[offset : offset + limit + 1])
        hits = [
            LogHit(str(r.id), r.timestamp, r.service, r.level, r.message, r.attributes or {}, r.trace_id)
            for r in rows[:limit]
        ]
        return LogPage(hits=hits, has_more=len(rows) > limit)

    def count_over_time(self, query: LogQuery, *, step: int) -> list[LogBucket]:
        step = int(step)
        if connection.vendor == "postgresql":
            expr = f"(floor(extract(epoch from timestamp) / {step}) * {step})::bigint"
        else:
            expr = f"(CAST(strftime('%%s', timestamp) AS INTEGER) / {step}) * {step}"
        rows = (
            self._queryset(query)
            .annotate(bucket=RawSQL(expr, [], output_field=IntegerField()))  # noqa: S611 - step is an int
            .values("bucket", "level")
            .annotate(n=Count("id"))
            .order_by("bucket", "level")
        )
        return [LogBucket(dt.datetime.fromtimestamp(int(r["bucket"]), tz=dt.UTC), r["level"], r["n"]) for r in rows]

    def count_by(self, query: LogQuery, *, by: tuple[str, ...]) -> dict[tuple[str, ...], int]:
        by = check_count_by(by)
        qs = self._queryset(query)
        if not by:
            return {(): qs.count()}
        rows = qs.values(*by).annotate(n=Count("id")).order_by()  # one GROUP BY; no ordering to group by too
        return {tuple(row[label] for label in by): row["n"] for row in rows}

    def delete_before(self, cutoff: dt.datetime, *, batch_size: int, max_batches: int) -> int:
        """Delete lines older than ``cutoff``. Partitioned (PostgreSQL): the days that end by ``cutoff`` are dropped
        whole (their count is the statistics'), then the default partition's older lines go in batches; the day
        holding ``cutoff`` stays until it has passed. Elsewhere: batches of rows, oldest first."""
        if is_partitioned(LOGS):
            dropped = partitions_drop_before(LOGS, cutoff=cutoff)[1]
            return dropped + delete_in_batches(
                table(LOGS.default_name), where='"timestamp" < %s', params=[cutoff], batch_size=batch_size,
                max_batches=max_batches,
            )  # fmt: skip
        deleted = 0
        for _ in range(max_batches):
            ids = list(
                LogEntry.objects.filter(timestamp__lt=cutoff)
                .order_by("timestamp")
                .values_list("id", flat=True)[:batch_size]
            )
            if not ids:
                break
            deleted += LogEntry.objects.filter(id__in=ids).delete()[0]
        return deleted
