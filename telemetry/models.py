"""Models of the telemetry app: metric series, their per-minute and hourly rollups, ingest batches, logs.

Times in the metric store are integer unix seconds (UTC) of the bucket start (a multiple of 60 or 3600):
the rollups are summed by range, and integers keep those sums identical on SQLite and PostgreSQL.
"""

from __future__ import annotations

from django.db import models

from telemetry.choices import SeriesKind


class Series(models.Model):
    """One time series: a metric name plus its sorted label set.

    ``key`` is the canonical ``name{a="1",b="2"}`` form (labels sorted), unique, so the same labels in any
    order name the same series. Its counter state lives in :class:`SeriesState` (created with it).
    """

    name = models.CharField(max_length=200)
    key = models.CharField(max_length=2000, unique=True)
    labels = models.JSONField(default=dict)
    kind = models.CharField(max_length=10, choices=SeriesKind.choices, default=SeriesKind.COUNTER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "series"
        indexes = [models.Index(fields=["name"], name="telemetry_series_name_idx")]

    def __str__(self) -> str:
        return self.key


class SeriesState(models.Model):
    """The counter state of a series: ``last_value``/``last_ts`` are what the next cumulative sample is
    compared with (the increase since then, or a reset, or out of order).

    A narrow row of its own (one index, the primary key) because every sample of every counter updates
    it: the wide ``Series`` row with its four indexes made those updates costly. Created (if missing)
    the first time a process resolves the series (``telemetry.store.series_ids``), before any write.
    Written only by ``telemetry.store`` (the ingest statement), under the row lock of the update.
    """

    series = models.OneToOneField(
        Series, primary_key=True, on_delete=models.CASCADE, db_constraint=False, related_name="state"
    )
    last_value = models.FloatField(null=True, blank=True)
    last_ts = models.FloatField(null=True, blank=True)
    # Scratch for the PostgreSQL fast path: ``SET prev_value = last_value, last_value = ...`` makes
    # ``RETURNING prev_value`` answer the value before the update (PostgreSQL 15 has no RETURNING OLD).
    prev_value = models.FloatField(null=True, blank=True, editable=False)

    def __str__(self) -> str:
        return f"{self.series_id}: {self.last_value}@{self.last_ts}"


# Increments staged by the PostgreSQL ingest statement and folded into the rollups (``telemetry.fold``). The table
# has no model: migration 0005 creates it, rows are only appended and deleted whole, never read through the ORM.
# Hand-written SQL names it from here (``sre.sql.table(PENDING_ROLLUP_TABLE)``).
PENDING_ROLLUP_TABLE = "telemetry_pendingrollup"


class MinuteRollup(models.Model):
    """Per-series, per-minute: the counter increase (or summed deltas), the last gauge value, sample count.

    ``start`` is the minute's unix second. Rows are upserted, never updated field by field.
    """

    pk = models.CompositePrimaryKey("series_id", "start")
    series = models.ForeignKey(Series, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    start = models.BigIntegerField()
    increase = models.FloatField(default=0.0)
    gauge = models.FloatField(null=True, blank=True)
    gauge_ts = models.FloatField(null=True, blank=True)
    samples = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["start"], name="telemetry_minute_start_idx")]

    def __str__(self) -> str:
        return f"{self.series_id}@{self.start}"


class HourRollup(models.Model):
    """The same as :class:`MinuteRollup` per hour, maintained in the same statement, for long windows."""

    pk = models.CompositePrimaryKey("series_id", "start")
    series = models.ForeignKey(Series, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    start = models.BigIntegerField()
    increase = models.FloatField(default=0.0)
    gauge = models.FloatField(null=True, blank=True)
    gauge_ts = models.FloatField(null=True, blank=True)
    samples = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["start"], name="telemetry_hour_start_idx")]

    def __str__(self) -> str:
        return f"{self.series_id}@{self.start}"


class IngestBatch(models.Model):
    """An accepted batch with a client ``batch_id``: a retry with the same id is answered, not re-applied.

    ``scope`` is ``user:<id>`` (batch ids are per user) or ``system`` for the demo generator. The row is
    inserted in the same statement/transaction as the data, so it exists if and only if the data does.
    """

    scope = models.CharField(max_length=40)
    batch_id = models.CharField(max_length=200)
    kind = models.CharField(max_length=10)
    accepted = models.IntegerField(default=0)
    rejected = models.IntegerField(default=0)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "kind", "batch_id"], name="telemetry_batch_unique"),
        ]
        indexes = [models.Index(fields=["received_at"], name="telemetry_batch_received_idx")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.batch_id}"


class LogEntry(models.Model):
    """One log line in the database log store. Full-text search: PostgreSQL GIN over
    ``to_tsvector('simple', message)``, SQLite an FTS5 table kept in sync by triggers (see migrations)."""

    timestamp = models.DateTimeField()
    service = models.CharField(max_length=100)
    level = models.CharField(max_length=10)
    message = models.TextField()
    attributes = models.JSONField(default=dict, blank=True)
    trace_id = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["timestamp", "id"], name="telemetry_log_ts_idx"),
            models.Index(fields=["service", "timestamp"], name="telemetry_log_service_ts_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.timestamp:%Y-%m-%dT%H:%M:%S} {self.service} {self.level}"
