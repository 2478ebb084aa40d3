"""Writes of the telemetry app: metric and log ingestion, retention.

Every ingest path (JSON, text exposition, remote_write, the demo generator) ends in
:func:`metrics_ingest` or :func:`logs_ingest`, so validation, limits and idempotency are the same.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from sre.errors import UnprocessableError
from sre.sql import table
from telemetry import metrics
from telemetry.domain.logs import LogRecord
from telemetry.domain.samples import Sample, time_range_reason
from telemetry.fold import fold_after_ingest, rollups_fold
from telemetry.logstore import LogStore, get_log_store
from telemetry.models import HourRollup, IngestBatch, MinuteRollup
from telemetry.partitions import (
    LOGS,
    MINUTES,
    delete_in_batches,
    is_partitioned,
    partitions_drop_before,
    partitions_ensure,
)
from telemetry.store import CardinalityError, series_ids, write_samples

MAX_REASONS = 5
logger = logging.getLogger(__name__)


@dataclass
class IngestResult:
    """What the API answers: counts and the first few reasons for refused items."""

    accepted: int = 0
    rejected: int = 0
    reasons: list[str] = field(default_factory=list)
    duplicate: bool = False
    batch_id: str | None = None

    def as_dict(self) -> dict:
        return {
            "accepted": self.accepted,
            "rejected": self.rejected,
            "reasons": self.reasons[:MAX_REASONS],
            "duplicate": self.duplicate,
            "batch_id": self.batch_id,
        }


def cardinality_limit(name: str) -> int:
    """Series allowed for metric ``name``: the per-metric override or the default."""
    return settings.SRE["METRIC_CARDINALITY_LIMITS"].get(name, settings.SRE["METRIC_MAX_SERIES"])


def _retention_seconds() -> float:
    return settings.SRE["ROLLUP_RETENTION_DAYS"] * 86400.0


def metrics_ingest(
    *,
    samples: list[Sample],
    scope: str,
    batch_id: str | None,
    now: dt.datetime,
    rejected: list[str] | None = None,
) -> IngestResult:
    """Store a batch of samples in the rollups, atomically, or answer a retried ``batch_id`` unchanged.

    On PostgreSQL the batch's increases are staged and folded into the rollup tables right after it (in a
    gunicorn worker, by its folder thread within ``telemetry.fold.FOLD_INTERVAL``; see ``telemetry.fold``):
    the answer and the counter semantics are the same either way.

    Samples outside ``[now - retention, now + MAX_FUTURE_SKEW]`` are refused with a reason; counter
    samples out of order (at or before the series' last time) are refused too. A metric whose new series
    would exceed its cardinality limit makes the whole batch fail with ``UnprocessableError`` (422) and
    nothing is stored. ``rejected`` carries reasons found while decoding (NaN markers, ...).
    """
    now_ts = now.timestamp()
    reasons = list(rejected or [])
    kept: list[Sample] = []
    max_future, retention = float(settings.SRE["MAX_FUTURE_SKEW"]), _retention_seconds()
    for sample in samples:
        reason = time_range_reason(sample.ts, now=now_ts, max_future=max_future, retention_seconds=retention)
        if reason:
            reasons.append(f"{sample.key}: {reason}")
        else:
            kept.append(sample)
    pre_rejected = len(reasons)
    result = IngestResult(batch_id=batch_id)
    if kept:
        try:
            ids = series_ids(kept, limit_for=cardinality_limit)
        except CardinalityError as exc:
            raise UnprocessableError(
                f"Metric {exc.name!r} would have {exc.existing + exc.new} series, over its cardinality limit of "
                f"{exc.limit}; the batch was not stored.",
                fields={"metric": [exc.name]},
            ) from None
    else:
        ids = {}
    outcome = write_samples(kept, ids, scope=scope, batch_id=batch_id, pre_rejected=pre_rejected, now=now)
    if outcome.duplicate:
        metrics.DUPLICATE_BATCHES.labels("metrics").inc()
        return _duplicate(kind="metrics", scope=scope, batch_id=batch_id)
    if outcome.accepted:
        fold_after_ingest()
    if outcome.out_of_order:
        reasons.append(f"{outcome.out_of_order} counter samples were at or before their series' last timestamp")
    result.accepted, result.rejected, result.reasons = outcome.accepted, outcome.rejected, reasons
    metrics.INGESTED.labels("samples").inc(outcome.accepted)
    metrics.REJECTED.labels("samples").inc(outcome.rejected)
    return result


def _duplicate(*, kind: str, scope: str, batch_id: str | None) -> IngestResult:

    stored = IngestBatch.objects.filter(scope=scope, kind=kind, batch_id=batch_id).first()
    return IngestResult(
        accepted=stored.accepted if stored else 0,
        rejected=stored.rejected if stored else 0,
        reasons=["this batch_id was already stored; nothing was added"],
        duplicate=True,
        batch_id=batch_id,
    )


def logs_ingest(
    *, records: list[LogRecord], scope: str, batch_id: str | None, now: dt.datetime, store: LogStore | None = None
) -> IngestResult:
    """Store log lines in the configured :class:`LogStore` (all or none). Lines older than the log
    retention or too far in the future are refused with a reason.

    Once the lines are stored (after the surrounding transaction commits) each hook of
    ``SRE["LOG_INGEST_HOOKS"]`` is called with them (``log_hooks_run``); a retried ``batch_id`` stores nothing
    and calls no hook."""
    store = store or get_log_store()
    oldest = now - dt.timedelta(days=settings.SRE["LOG_RETENTION_DAYS"])
    newest = now + dt.timedelta(seconds=settings.SRE["MAX_FUTURE_SKEW"])
    kept, reasons = [], []
    for index, record in enumerate(records):
        if record.timestamp < oldest:
            reasons.append(f"line {index}: timestamp is older than the log retention")
        elif record.timestamp > newest:
            reasons.append(f"line {index}: timestamp is too far in the future")
        else:
            kept.append(record)
    outcome = store.write(kept, scope=scope, batch_id=batch_id, now=now)
    if outcome.duplicate:
        metrics.DUPLICATE_BATCHES.labels("logs").inc()
        return _duplicate(kind="logs", scope=scope, batch_id=batch_id)
    metrics.INGESTED.labels("logs").inc(outcome.accepted)
    metrics.REJECTED.labels("logs").inc(len(reasons))
    if outcome.accepted:
        transaction.on_commit(partial(log_hooks_run, records=kept, now=now))
    return IngestResult(accepted=outcome.accepted, rejected=len(reasons), reasons=reasons, batch_id=batch_id)


def log_hooks_run(*, records: list[LogRecord], now: dt.datetime) -> None:
    """Call each ``SRE["LOG_INGEST_HOOKS"]`` hook (a dotted path, called with ``records=`` and ``now=``) with
    lines that are stored. Hooks belong to apps downstream of telemetry (the rules app's immediate rules), which
    telemetry must not import; a hook that fails is logged and never fails the ingest (the lines are stored).
    On Elasticsearch a partly retried batch (some lines already stored) passes all its lines again: hooks must
    be idempotent (the immediate rules do not raise a label set that is already firing)."""
    for path in settings.SRE.get("LOG_INGEST_HOOKS", ()):
        try:
            import_string(path)(records=records, now=now)
        except Exception:  # the lines are stored; a downstream failure must not turn the push into a 500
            logger.exception("Log ingest hook %s failed on a batch of %s lines", path, len(records))


@dataclass
class RetentionResult:
    minute_rows: int = 0
    hour_rows: int = 0
    batch_ids: int = 0
    logs: int = 0
    minute_partitions_dropped: int = 0


def partitions_maintain(*, now: dt.datetime) -> int:
    """PostgreSQL: attach the day partitions of log lines and minute rollups that the next days need, and one for
    each day of the retention found in a default partition (``telemetry.partitions``). Returns how many were
    attached; 0 where the tables are not partitioned (SQLite)."""
    attached = 0
    for spec, keep_days in (
        (LOGS, settings.SRE["LOG_RETENTION_DAYS"]),
        (MINUTES, settings.SRE["ROLLUP_RETENTION_DAYS"]),
    ):
        if is_partitioned(spec):
            attached += partitions_ensure(spec, now=now, keep_days=keep_days)
    return attached


def rollups_expire(*, now: dt.datetime, max_batches: int = 50) -> RetentionResult:
    """Delete minute/hour rollups older than ``ROLLUP_RETENTION_DAYS`` and batch ids older than 7 days,
    ``RETENTION_BATCH_SIZE`` rows per statement, at most ``max_batches`` statements per table per run
    (the next run continues)."""
    try:
        rollups_fold(wait=True)  # rows staged by a worker that died with no ingest since
    except Exception:  # retention must go on; the rows stay staged for the next fold.
        logger.exception("telemetry fold before retention failed")
    cutoff = int(now.timestamp() - _retention_seconds())
    size = settings.SRE["RETENTION_BATCH_SIZE"]
    result = RetentionResult()
    minutes = table(MinuteRollup)
    if is_partitioned(MINUTES):  # whole days dropped; the default partition's older rows deleted
        result.minute_partitions_dropped, result.minute_rows = partitions_drop_before(
            MINUTES, cutoff=dt.datetime.fromtimestamp(cutoff, tz=dt.UTC)
        )
        minutes = table(MINUTES.default_name)
    result.minute_rows += delete_in_batches(
        minutes, where="start < %s", params=[cutoff], batch_size=size, max_batches=max_batches
    )
    result.hour_rows = delete_in_batches(
        table(HourRollup), where="start < %s", params=[cutoff - 3600], batch_size=size, max_batches=max_batches
    )
    result.batch_ids = delete_in_batches(
        table(IngestBatch),
        where="received_at < %s",
        params=[now - dt.timedelta(days=7)],
        batch_size=size,
        max_batches=max_batches,
    )
    return result


def logs_expire(*, now: dt.datetime, max_batches: int = 50, store: LogStore | None = None) -> int:
    """Delete log lines older than ``LOG_RETENTION_DAYS`` from the configured store, in bounded batches."""
    store = store or get_log_store()
    cutoff = now - dt.timedelta(days=settings.SRE["LOG_RETENTION_DAYS"])
    return store.delete_before(cutoff, batch_size=settings.SRE["RETENTION_BATCH_SIZE"], max_batches=max_batches)
