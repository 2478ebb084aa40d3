"""Folding staged rollup increments (``telemetry_pendingrollup``) into the minute and hour rollups.

On PostgreSQL the ingest statement checks order and counter resets against the series state and
computes every increase synchronously, exactly as before, but appends the per-minute results to
``telemetry_pendingrollup`` (one cheap heap insert per series and minute) instead of upserting the
minute and hour rows. :func:`rollups_fold` moves them set-based: one DELETE ... RETURNING, grouped per
(series, minute) and per (series, hour), one upsert each. Many batches folded together become one row
write per series and minute, which is what makes ingest cheaper.

Guarantees: a staged row is durable (same transaction as the batch and its batch id); the fold is one
statement, so a row is either still staged or added to both rollups, never both or neither; concurrent
folds are serialised by an advisory lock (and could not double count anyway: a row is deleted once).
``telemetry.selectors`` add the staged rows to what they read, so their sums are exact at any moment.
Code reading the rollup tables directly sees folded data only: at most ``FOLD_INTERVAL`` behind.

Who folds: a process serving ``sre/wsgi.py`` (each gunicorn worker) starts one daemon thread that folds
every ``FOLD_INTERVAL`` seconds and once more at exit; any other caller (tests, Celery, management
commands, test servers) folds right after its batch. The retention task folds too, a safety net for rows staged by a
worker that was killed when no ingest follows.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
import time
from functools import cache

import psycopg
from django.db import close_old_connections, connection, transaction

from sre.sql import table
from telemetry.models import PENDING_ROLLUP_TABLE, HourRollup, MinuteRollup

logger = logging.getLogger(__name__)

FOLD_INTERVAL = 1.0
FOLD_CHUNK = 200_000
VACUUM_EVERY = 500_000  # folded rows
_LOCK_KEY = 0x74656C65_666F6C64  # "telefold"

_UPSERT_SET = """increase = r.increase + EXCLUDED.increase, samples = r.samples + EXCLUDED.samples,
    gauge = CASE WHEN EXCLUDED.gauge_ts IS NOT NULL AND (r.gauge_ts IS NULL OR EXCLUDED.gauge_ts >= r.gauge_ts)
                 THEN EXCLUDED.gauge ELSE r.gauge END,
    gauge_ts = GREATEST(r.gauge_ts, EXCLUDED.gauge_ts)"""


@cache
def _fold_sql() -> str:
    """The fold statement, its tables named from the models (built once per process)."""
    pending, minute, hour = table(PENDING_ROLLUP_TABLE), table(MinuteRollup), table(HourRollup)
    return f"""
WITH moved AS (
  DELETE FROM {pending}
  WHERE ctid = ANY(ARRAY(SELECT ctid FROM {pending} LIMIT %(limit)s))
  RETURNING series_id, start, increase, gauge, gauge_ts, samples
),
m AS (
  SELECT series_id, start, sum(increase) AS inc, sum(samples)::int AS n,
         (array_agg(gauge ORDER BY gauge_ts DESC) FILTER (WHERE gauge_ts IS NOT NULL))[1] AS g,
         max(gauge_ts) AS gts
  FROM moved GROUP BY 1, 2
),
mins AS (
  INSERT INTO {minute} AS r (series_id, start, increase, gauge, gauge_ts, samples)
  SELECT series_id, start, inc, g, gts, n FROM m ORDER BY series_id, start
  ON CONFLICT (series_id, start) DO UPDATE SET {_UPSERT_SET}
),
h AS (
  SELECT series_id, start / 3600 * 3600 AS start, sum(inc) AS inc, sum(n)::int AS n,
         (array_agg(g ORDER BY gts DESC) FILTER (WHERE gts IS NOT NULL))[1] AS g, max(gts) AS gts
  FROM m GROUP BY 1, 2
),
hours AS (
  INSERT INTO {hour} AS r (series_id, start, increase, gauge, gauge_ts, samples)
  SELECT series_id, start, inc, g, gts, n FROM h ORDER BY series_id, start
  ON CONFLICT (series_id, start) DO UPDATE SET {_UPSERT_SET}
)
SELECT count(*) FROM moved
"""  # noqa: S608 - table names and constant fragments only


def rollups_fold(*, wait: bool = False, max_chunks: int = 50) -> int | None:
    """Fold staged increments into the rollups, ``FOLD_CHUNK`` rows per statement (each its own
    transaction unless the caller holds one). Returns how many staged rows were folded, or None when
    another session is folding (``wait=False``). Nothing to do on SQLite (it writes rollups directly)."""
    if connection.vendor != "postgresql":
        return 0
    total = 0
    for _ in range(max_chunks):
        folded = _fold_chunk(wait=wait)
        if folded is None:
            return None if total == 0 else total
        total += folded
        if folded < FOLD_CHUNK:
            break
    return total


def _fold_chunk(*, wait: bool) -> int | None:
    connection.ensure_connection()
    with transaction.atomic(), psycopg.Cursor(connection.connection) as cursor:
        if wait:
            cursor.execute("SET LOCAL lock_timeout = '10s'")
            cursor.execute("SELECT pg_advisory_xact_lock(%s), true", [_LOCK_KEY])
        else:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_LOCK_KEY])
        if not cursor.fetchone()[-1]:
            return None
        # The grouping of ~100,000 rows should not spill to disk.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(_fold_sql(), {"limit": FOLD_CHUNK}, prepare=True)
        return cursor.fetchone()[0]


_mode = {"background": False}


def fold_in_background() -> None:
    """Make this process fold staged rows in its folder thread instead of after each batch. ``sre/wsgi.py``
    calls it, so every gunicorn worker folds in the background; tests, Celery and commands fold inline."""
    _mode["background"] = True


def fold_after_ingest() -> None:
    """Called after a batch was staged: fold now, or make sure this process's folder thread runs.

    Never raises: the batch is already stored (its answer must stay a 2xx), and rows a failed fold left
    staged are still counted by the selectors and folded by the next fold."""
    if connection.vendor != "postgresql":
        return
    if _mode["background"]:
        _Folder.ensure_started()
        return
    try:
        rollups_fold(wait=True)
    except Exception:  # the staged rows stay durable; the next fold takes them.
        logger.exception("telemetry fold after ingest failed; rows stay staged")


class _Folder(threading.Thread):
    """One per process: folds every ``FOLD_INTERVAL`` seconds on its own connection, and at exit."""

    _instance: _Folder | None = None
    _start_lock = threading.Lock()

    @classmethod
    def ensure_started(cls) -> None:
        if cls._instance is not None and cls._instance.is_alive():
            return
        with cls._start_lock:
            if cls._instance is None or not cls._instance.is_alive():
                cls._instance = cls(name="telemetry-fold", daemon=True)
                cls._instance.start()
                if not _exit_hook["registered"]:
                    atexit.register(_fold_at_exit)
                    _exit_hook["registered"] = True

    def run(self) -> None:
        folded_since_vacuum = 0
        while True:
            time.sleep(FOLD_INTERVAL)
            try:
                close_old_connections()
                folded_since_vacuum += rollups_fold() or 0
                if folded_since_vacuum >= VACUUM_EVERY:
                    # Folded rows are deleted: make their space reusable even where autovacuum is off or
                    # slow, so the staging table stays small and the fold's scan short (no index: cheap).
                    folded_since_vacuum = 0
                    with connection.cursor() as cursor:
                        cursor.execute(f"VACUUM {table(PENDING_ROLLUP_TABLE)}")
            except Exception:  # keep folding; staged rows stay durable and are retried.
                logger.exception("telemetry fold failed; will retry")
                with contextlib.suppress(Exception):
                    connection.close()


_exit_hook = {"registered": False}


def _fold_at_exit() -> None:
    try:
        rollups_fold(wait=True)
    except Exception:  # at exit; the rows stay staged for the next folder.
        logger.exception("telemetry fold at exit failed; rows stay staged")
