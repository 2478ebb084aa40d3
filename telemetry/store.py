"""The metric store's write path: series ids (cached per process) and one statement per batch.

On PostgreSQL a batch is ONE round trip: a single statement that checks the batch id, locks and updates
the touched counter states (``telemetry_seriesstate``, ordered by id), computes the increases against
them, appends the per-(series, minute) results to ``telemetry_pendingrollup`` and records the batch id,
all atomically. ``telemetry.fold`` then moves the staged rows into the minute and hour rollups set-based
(many batches per upsert); readers in ``telemetry.selectors`` add the staged rows, so sums are exact.
Out-of-order refusal, counter resets and batch-id idempotency are decided in the batch's own statement,
exactly as before staging: the answer (accepted / rejected with reasons) is final. On SQLite (the
embedded default, single writer) the same steps run in one transaction from Python, using the same
pure functions in ``telemetry.domain.samples``, and write the rollups directly.

The usual batch (one cumulative sample per counter series) takes ``_pg_fast_sql``: one UPDATE of the
narrow state rows both refuses out-of-order samples and returns the previous value (``prev_value``
scratch column), with no separate lock pass and no grouping. Anything else (gauges, deltas, several
points of a series) takes ``_pg_sql``. Cost per 1,000-sample batch (bench/ingest_metrics.py, Nov 2026):
~4-5 ms PostgreSQL CPU for the statement plus ~2 ms for its share of the fold, ~7 ms in gunicorn.
"""

from __future__ import annotations

import contextlib
import threading
from collections import defaultdict
from dataclasses import dataclass
from functools import cache

import orjson
import psycopg
from django.db import IntegrityError, OperationalError, connection, transaction

from sre.sql import table
from telemetry.domain.samples import KIND_CODES, Sample, apply_counter_state, bucket, chain_counters
from telemetry.models import PENDING_ROLLUP_TABLE, HourRollup, IngestBatch, MinuteRollup, Series, SeriesState

_cache_lock = threading.Lock()
_series_cache: dict[str, int] = {}
_CACHE_MAX = 200_000


class CardinalityError(Exception):
    def __init__(self, name: str, limit: int, existing: int, new: int) -> None:
        super().__init__(name)
        self.name, self.limit, self.existing, self.new = name, limit, existing, new


def cache_clear() -> None:
    """Forget cached series ids (tests that roll back the database use it)."""
    with _cache_lock:
        _series_cache.clear()


def series_ids(samples: list[Sample], *, limit_for) -> dict[str, int]:
    """Id of every sample's series, creating missing series; raises :class:`CardinalityError` (nothing
    created) when new series would take a metric past ``limit_for(name)``."""
    wanted = {s.key: s for s in samples}
    found = {key: _series_cache[key] for key in wanted if key in _series_cache}
    missing = [key for key in wanted if key not in found]
    if missing:
        for start in range(0, len(missing), 5000):
            chunk = missing[start : start + 5000]
            found.update(Series.objects.filter(key__in=chunk).values_list("key", "id"))
        new = [wanted[key] for key in missing if key not in found]
        if new:
            _check_cardinality(new, limit_for=limit_for)
            Series.objects.bulk_create(
                [Series(name=s.name, key=s.key, labels=s.labels, kind=s.kind) for s in new],
                ignore_conflicts=True,
                batch_size=2000,
            )
            keys = [s.key for s in new]
            for start in range(0, len(keys), 5000):
                found.update(Series.objects.filter(key__in=keys[start : start + 5000]).values_list("key", "id"))
        # The ingest statements only UPDATE counter state, so make sure every series this process has not
        # used yet has its state row (new series, and ones created by other processes or other code);
        # existing rows are left alone. Once per series per process.
        SeriesState.objects.bulk_create(
            [SeriesState(series_id=found[key]) for key in missing], ignore_conflicts=True, batch_size=2000
        )
        with _cache_lock:
            if len(_series_cache) > _CACHE_MAX:
                _series_cache.clear()
            _series_cache.update({key: found[key] for key in missing})
    return found


def _check_cardinality(new: list[Sample], *, limit_for) -> None:
    per_name: dict[str, int] = defaultdict(int)
    for sample in new:
        per_name[sample.name] += 1
    for name, count in sorted(per_name.items()):
        limit = limit_for(name)
        existing = Series.objects.filter(name=name).count()
        if existing + count > limit:
            raise CardinalityError(name, limit, existing, count)


@dataclass
class WriteOutcome:
    duplicate: bool
    accepted: int
    rejected: int
    out_of_order: int


def write_samples(
    samples: list[Sample], ids: dict[str, int], *, scope: str, batch_id: str | None, pre_rejected: int, now
) -> WriteOutcome:
    """Store one batch atomically. ``duplicate`` means the batch id was already stored: nothing changed."""
    postgres = connection.vendor == "postgresql"
    simple = _simple_counters(samples, ids) if postgres else None
    if simple is None:
        counters, others, dropped = _prepare(samples, ids)
    for attempt in range(3):
        try:
            if simple is not None:
                return _write_postgres_simple(*simple, scope, batch_id, pre_rejected, now)
            if postgres:
                return _write_postgres(counters, others, dropped, scope, batch_id, pre_rejected, now)
            return _write_generic(counters, others, dropped, scope, batch_id, pre_rejected, now)
        except (IntegrityError, psycopg.IntegrityError):
            # A concurrent request with the same batch id committed first.
            return WriteOutcome(duplicate=True, accepted=0, rejected=0, out_of_order=0)
        except (OperationalError, psycopg.OperationalError) as exc:
            # Deadlock or serialization failure: the statement was rolled back whole, so a retry is safe.
            if attempt == 2 or "deadlock" not in str(exc).lower():
                raise
    raise AssertionError("unreachable")


def _simple_counters(samples: list[Sample], ids: dict[str, int]):
    """``(series ids, times, values)`` when the batch is the usual one (only cumulative counters, one
    sample per series), else None. Built without a per-sample object: this is the hot path."""
    if not samples or any(s.kind != "counter" for s in samples):
        return None
    sids = [ids[s.key] for s in samples]
    if len(set(sids)) != len(sids):
        return None
    return sids, [s.ts for s in samples], [s.value for s in samples]


def _prepare(samples: list[Sample], ids: dict[str, int]):
    counter_points = [(ids[s.key], s.ts, s.value) for s in samples if s.kind == "counter"]
    counters, dropped = chain_counters(counter_points)
    others = [(ids[s.key], s.ts, s.value, KIND_CODES[s.kind]) for s in samples if s.kind != "counter"]
    return counters, others, dropped


@cache
def _pg_sql() -> str:
    """The general statement (any mix of kinds, several points per series), tables named from the models."""
    batch, state, pending = table(IngestBatch), table(SeriesState), table(PENDING_ROLLUP_TABLE)
    return f"""
WITH gate AS (
  SELECT %(bid)s::text IS NULL OR NOT EXISTS (
    SELECT 1 FROM {batch} WHERE scope = %(scope)s AND kind = 'metrics' AND batch_id = %(bid)s
  ) AS ok
),
inp AS (
  SELECT u.* FROM unnest(%(sid)s::bigint[], %(ts)s::float8[], %(val)s::float8[], %(kind)s::int2[],
                         %(pts)s::float8[], %(pval)s::float8[]) AS u(sid, ts, val, kind, pts, pval)
  WHERE (SELECT ok FROM gate)
),
st AS (
  SELECT s.series_id AS id, s.last_value, s.last_ts FROM {state} s
  WHERE s.series_id IN (SELECT i.sid FROM inp i WHERE i.kind = 0) ORDER BY s.series_id FOR UPDATE
),
ev AS (
  SELECT i.sid, i.ts, i.val, i.kind,
         (i.kind <> 0 OR st.last_ts IS NULL OR i.ts > st.last_ts) AS ok,
         CASE WHEN i.pts IS NULL OR i.pts <= st.last_ts THEN st.last_value ELSE i.pval END AS prev
  FROM inp i LEFT JOIN st ON st.id = i.sid
),
acc AS (
  SELECT sid, ts, val, kind,
         CASE kind WHEN 2 THEN val WHEN 1 THEN 0
              ELSE CASE WHEN prev IS NULL THEN 0 WHEN val >= prev THEN val - prev ELSE val END END AS inc
  FROM ev WHERE ok
),
upd AS (
  UPDATE {state} s SET last_value = x.val, last_ts = x.ts
  FROM (SELECT DISTINCT ON (sid) sid, ts, val FROM acc WHERE kind = 0 ORDER BY sid, ts DESC) x
  WHERE s.series_id = x.sid
),
mrows AS (
  SELECT sid, (floor(ts / 60) * 60)::bigint AS start, sum(inc) AS inc, count(*) AS n,
         (array_agg(val ORDER BY ts DESC) FILTER (WHERE kind = 1))[1] AS g,
         max(ts) FILTER (WHERE kind = 1) AS gts
  FROM acc GROUP BY 1, 2
),
staged AS (
  INSERT INTO {pending} (series_id, start, increase, gauge, gauge_ts, samples)
  SELECT sid, start, inc, g, gts, n FROM mrows
),
rej AS (SELECT count(*) AS n FROM ev WHERE NOT ok),
batch AS (
  INSERT INTO {batch} (scope, batch_id, kind, accepted, rejected, received_at)
  SELECT %(scope)s, %(bid)s, 'metrics', (SELECT count(*) FROM acc), %(pre)s + %(dropped)s + (SELECT n FROM rej), %(now)s
  WHERE %(bid)s::text IS NOT NULL AND (SELECT ok FROM gate)
)
SELECT (SELECT ok FROM gate), (SELECT count(*) FROM acc), (SELECT n FROM rej)
"""  # noqa: S608 - table names only


def _array(values: list) -> str:
    """A PostgreSQL array literal (much cheaper than adapting 1,000 Python floats one by one).

    orjson writes round-trip floats and ``null`` (PostgreSQL reads NULL case-insensitively); values are
    finite here (validation refuses NaN and infinities), which JSON could not carry."""
    return orjson.dumps(values).decode()[1:-1].join("{}")


@cache
def _pg_fast_sql() -> str:
    """The one-cumulative-sample-per-counter statement, tables named from the models."""
    batch, state, pending = table(IngestBatch), table(SeriesState), table(PENDING_ROLLUP_TABLE)
    return f"""
WITH gate AS (
  SELECT %(bid)s::text IS NULL OR NOT EXISTS (
    SELECT 1 FROM {batch} WHERE scope = %(scope)s AND kind = 'metrics' AND batch_id = %(bid)s
  ) AS ok
),
inp AS (
  SELECT u.* FROM unnest(%(sid)s::bigint[], %(ts)s::float8[], %(val)s::float8[]) AS u(sid, ts, val)
  WHERE (SELECT ok FROM gate)
),
upd AS (
  UPDATE {state} s SET prev_value = s.last_value, last_value = i.val, last_ts = i.ts
  FROM inp i
  WHERE s.series_id = ANY(%(sid)s::bigint[]) AND s.series_id = i.sid AND (s.last_ts IS NULL OR i.ts > s.last_ts)
  RETURNING s.series_id AS sid, i.ts,
    CASE WHEN s.prev_value IS NULL THEN 0 WHEN i.val >= s.prev_value THEN i.val - s.prev_value ELSE i.val END AS inc
),
staged AS (
  INSERT INTO {pending} (series_id, start, increase, samples)
  SELECT sid, (floor(ts / 60) * 60)::bigint, inc, 1 FROM upd
),
batch AS (
  INSERT INTO {batch} (scope, batch_id, kind, accepted, rejected, received_at)
  SELECT %(scope)s, %(bid)s, 'metrics', (SELECT count(*) FROM upd),
         %(pre)s + %(n)s - (SELECT count(*) FROM upd), %(now)s
  WHERE %(bid)s::text IS NOT NULL AND (SELECT ok FROM gate)
)
SELECT (SELECT ok FROM gate), (SELECT count(*) FROM upd), %(n)s - (SELECT count(*) FROM upd)
"""  # noqa: S608 - table names only


def _write_postgres_simple(sids, times, values, scope, batch_id, pre_rejected, now) -> WriteOutcome:
    # The usual batch (remote_write, exporters): one cumulative sample per counter series. One UPDATE
    # both checks the order and hands back the previous value (no separate row-lock pass), and each
    # sample is its own minute and hour row (no grouping, no gauges).
    params = {
        "bid": batch_id, "scope": scope, "sid": _array(sids), "ts": _array(times), "val": _array(values),
        "pre": pre_rejected, "n": len(sids), "now": now,
    }  # fmt: skip
    return _execute(_pg_fast_sql(), params, pre_rejected=pre_rejected, dropped=0)


def _write_postgres(counters, others, dropped, scope, batch_id, pre_rejected, now) -> WriteOutcome:
    sid, ts, val, kind, pts, pval = [], [], [], [], [], []
    for p in counters:
        sid.append(p.series_id), ts.append(p.ts), val.append(p.value), kind.append(0)
        pts.append(p.prev_ts), pval.append(p.prev_value)
    for s, t, v, k in others:
        sid.append(s), ts.append(t), val.append(v), kind.append(k), pts.append(None), pval.append(None)
    params = {
        "bid": batch_id, "scope": scope, "sid": _array(sid), "ts": _array(ts), "val": _array(val),
        "kind": _array(kind), "pts": _array(pts), "pval": _array(pval), "pre": pre_rejected, "dropped": dropped,
        "now": now,
    }  # fmt: skip
    return _execute(_pg_sql(), params, pre_rejected=pre_rejected, dropped=dropped)


def _execute(sql: str, params: dict, *, pre_rejected: int, dropped: int) -> WriteOutcome:
    # Inside an outer transaction (tests, callers' atomic blocks) a savepoint keeps a duplicate's
    # IntegrityError from breaking it; in autocommit the statement is its own transaction.
    guard = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
    connection.ensure_connection()
    # A server-side-binding cursor: the array literals travel as parameters (no client-side quoting of
    # ~30 kB of text) and the statement is prepared once per connection instead of planned per batch.
    with guard, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=True)
        ok, accepted, out_of_order = cursor.fetchone()
    if not ok:
        return WriteOutcome(duplicate=True, accepted=0, rejected=0, out_of_order=0)
    return WriteOutcome(
        duplicate=False, accepted=accepted, rejected=pre_rejected + dropped + out_of_order, out_of_order=out_of_order
    )


_UPSERT = """
INSERT INTO {table} (series_id, start, increase, gauge, gauge_ts, samples) VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (series_id, start) DO UPDATE SET
  increase = {table}.increase + excluded.increase,
  samples = {table}.samples + excluded.samples,
  gauge = CASE WHEN excluded.gauge_ts IS NOT NULL
                    AND ({table}.gauge_ts IS NULL OR excluded.gauge_ts >= {table}.gauge_ts)
               THEN excluded.gauge ELSE {table}.gauge END,
  gauge_ts = CASE WHEN {table}.gauge_ts IS NULL THEN excluded.gauge_ts
                  WHEN excluded.gauge_ts IS NULL THEN {table}.gauge_ts
                  ELSE max({table}.gauge_ts, excluded.gauge_ts) END
"""


def _write_generic(counters, others, dropped, scope, batch_id, pre_rejected, now) -> WriteOutcome:

    with transaction.atomic():
        if batch_id is not None and IngestBatch.objects.filter(scope=scope, kind="metrics", batch_id=batch_id).exists():
            return WriteOutcome(duplicate=True, accepted=0, rejected=0, out_of_order=0)
        state = {
            row[0]: (row[1], row[2])
            for row in SeriesState.objects.filter(series_id__in={p.series_id for p in counters}).values_list(
                "series_id", "last_value", "last_ts"
            )
        }
        rows: list[tuple[int, float, float, float, int]] = []  # sid, ts, value, increase, kind
        out_of_order = 0
        new_state: dict[int, tuple[float, float]] = {}
        for point in counters:
            last_value, last_ts = state.get(point.series_id, (None, None))
            inc = apply_counter_state(point, last_value=last_value, last_ts=last_ts)
            if inc is None:
                out_of_order += 1
                continue
            rows.append((point.series_id, point.ts, point.value, inc, 0))
            new_state[point.series_id] = (point.value, point.ts)
        for sid, ts, value, kind in others:
            rows.append((sid, ts, value, value if kind == 2 else 0.0, kind))
        for size, model in ((60, MinuteRollup), (3600, HourRollup)):
            agg: dict[tuple[int, int], list] = {}
            for sid, ts, value, inc, kind in rows:
                entry = agg.setdefault((sid, bucket(ts, size)), [0.0, None, None, 0])
                entry[0] += inc
                entry[3] += 1
                if kind == 1 and (entry[2] is None or ts >= entry[2]):
                    entry[1], entry[2] = value, ts
            with connection.cursor() as cursor:
                cursor.executemany(
                    _UPSERT.format(table=table(model)),
                    [(k[0], k[1], e[0], e[1], e[2], e[3]) for k, e in sorted(agg.items())],
                )
        if new_state:
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {table(SeriesState)} SET last_value = %s, last_ts = %s WHERE series_id = %s",  # noqa: S608
                    [(v, t, sid) for sid, (v, t) in new_state.items()],
                )
        rejected = pre_rejected + dropped + out_of_order
        if batch_id is not None:
            IngestBatch.objects.create(
                scope=scope, kind="metrics", batch_id=batch_id, accepted=len(rows), rejected=rejected, received_at=now
            )
    return WriteOutcome(duplicate=False, accepted=len(rows), rejected=rejected, out_of_order=out_of_order)
