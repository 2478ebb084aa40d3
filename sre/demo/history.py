"""``demo_history_backfill``: 30 days of demo traffic on the demo's first start, so a newcomer's SLO charts,
budgets, status page uptime bars and incident insights show something real at once.

What it writes, for every minute of the last ``HISTORY_DAYS`` days that has no demo traffic yet (so a second
start adds nothing, and a start after a day away fills only that day):

* the generator's metric values (``sre.demo.traffic.minute_values``, the numbers the live generator pushes,
  with the past demo incidents as outages) straight into the minute and hour rollups, in one bulk upsert per
  table: the ingest path validates and writes ~1.8 million samples one by one, minutes on this machine,
  while the rows are the ones it would have written (per series and minute the delta, per hour the sum; the
  queue gauge its last value). Series are resolved and created by ``telemetry.store.series_ids`` (with the
  cardinality check), as any ingest does;
* log lines of the last ``LOG_HISTORY_HOURS`` hours through ``telemetry.services.logs_ingest``;
* hourly SLO status snapshots (``slo.demo.slo_demo_history``), so budget charts and sparklines have history;
* then the last ``DEMO_TRAFFIC_LOOKBACK_MINUTES`` minutes through the live generator's own path
  (``demo_traffic_push``), whose per-minute batch ids keep the Celery task from pushing them again.

The backfill stops where the live generator's look-back begins, so the two never write the same minute.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from itertools import repeat
from operator import add

import orjson
from django.db import connection, transaction

from incidents.demo import incidents_demo_outages
from slo.demo import slo_demo_history
from sre.demo.services import (
    DEMO_SERVICES,
    DEMO_TRAFFIC_LOOKBACK_MINUTES,
    DEMO_TRAFFIC_SEED,
    demo_traffic_push,
)
from sre.demo.traffic import Outage, demo_minute, minute_values
from telemetry.domain.logs import validate_logs
from telemetry.domain.samples import validate_samples
from telemetry.models import HourRollup, MinuteRollup
from telemetry.services import cardinality_limit, logs_ingest
from telemetry.store import series_ids

HISTORY_DAYS = 30
LOG_HISTORY_HOURS = 6
SNAPSHOT_STEP = 3600
CHUNK_MINUTES = 1440  # minutes generated and written per statement batch (bounded memory)
MINUTE, HOUR = 60, 3600


@dataclass
class HistoryResult:
    minutes: int = 0  # minutes of traffic backfilled
    rows: int = 0  # minute rollup rows written
    logs: int = 0
    snapshots: int = 0
    recent_minutes: int = 0  # minutes pushed through the live path
    seconds: float = 0.0


def demo_history_backfill(*, now: dt.datetime, days: int = HISTORY_DAYS) -> HistoryResult:
    """Fill the demo's missing history of the last ``days`` days (idempotent; see the module docstring)."""
    began = time.monotonic()
    result = HistoryResult()
    services = [spec["name"] for spec in DEMO_SERVICES]
    end = int(now.timestamp()) // MINUTE * MINUTE - DEMO_TRAFFIC_LOOKBACK_MINUTES * MINUTE
    start = end - days * 86400
    ids, gauges = _series(services, now=now, minute=end - MINUTE)
    missing = _missing_minutes(ids[0], start=start, end=end)
    outages = tuple(
        Outage(service=name, start=int(a.timestamp()), end=int(b.timestamp()))
        for name, a, b in incidents_demo_outages()
    )
    with transaction.atomic():
        for chunk in range(0, len(missing), CHUNK_MINUTES):
            minutes = missing[chunk : chunk + CHUNK_MINUTES]
            result.rows += _write_rollups(minutes, ids, gauges, services=services, outages=outages)
        result.minutes = len(missing)
        log_since = end - LOG_HISTORY_HOURS * HOUR
        result.logs = _write_logs([m for m in missing if m >= log_since], services, outages=outages, now=now)
        hours = sorted({(m // SNAPSHOT_STEP + 1) * SNAPSHOT_STEP for m in missing})
        result.snapshots = slo_demo_history(instants=[t for t in hours if t <= end], log_since=log_since)
    result.recent_minutes = demo_traffic_push(now=now).minutes
    result.seconds = time.monotonic() - began
    return result


def _series(services: list[str], *, now: dt.datetime, minute: int) -> tuple[list[int], set[int]]:
    """The ids of the generator's series in ``minute_values`` order (created if missing), and which are gauges."""
    samples = validate_samples(demo_minute(seed=DEMO_TRAFFIC_SEED, minute=minute, services=services).samples,
                               now=now.timestamp())  # fmt: skip
    found = series_ids(samples, limit_for=cardinality_limit)
    ids = [found[s.key] for s in samples]
    return ids, {found[s.key] for s in samples if s.kind == "gauge"}


def _missing_minutes(reference: int, *, start: int, end: int) -> list[int]:
    """Minutes in ``[start, end)`` without a row of the reference series (every demo minute writes it)."""
    present = set(
        MinuteRollup.objects.filter(series_id=reference, start__gte=start, start__lt=end).values_list(
            "start", flat=True
        )
    )
    return [m for m in range(start, end, MINUTE) if m not in present]


_UPSERT = """
INSERT INTO {table} AS r (series_id, start, increase, gauge, gauge_ts, samples) {source}
ON CONFLICT (series_id, start) DO UPDATE SET
  increase = r.increase + excluded.increase,
  samples = r.samples + excluded.samples,
  gauge = CASE WHEN excluded.gauge_ts IS NOT NULL AND (r.gauge_ts IS NULL OR excluded.gauge_ts >= r.gauge_ts)
               THEN excluded.gauge ELSE r.gauge END,
  gauge_ts = CASE WHEN r.gauge_ts IS NULL OR excluded.gauge_ts > r.gauge_ts THEN excluded.gauge_ts
                  ELSE r.gauge_ts END
"""
_PG_SOURCE = "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::float8[], %s::float8[], %s::float8[], %s::int[])"


def _write_rollups(
    minutes: list[int], ids: list[int], gauges: set[int], *, services: list[str], outages: tuple[Outage, ...]
) -> int:
    """Add the generator's values of ``minutes`` (ascending) to the minute and hour rollups: the rows the ingest
    path writes for the same samples (a delta adds to ``increase``; a gauge keeps its latest value)."""
    deltas = [i for i, sid in enumerate(ids) if sid not in gauges]
    gauge_at = [i for i, sid in enumerate(ids) if sid in gauges]
    delta_ids, gauge_ids = [ids[i] for i in deltas], [ids[i] for i in gauge_at]
    minute_rows: list[tuple] = []
    hour_rows: list[tuple] = []
    hour, sums, last, count = None, [0] * len(deltas), [0] * len(gauge_at), 0

    def close_hour() -> None:
        if hour is not None:
            ts = float(minutes_in_hour[-1] + 30)
            hour_rows.extend(zip(delta_ids, repeat(hour), map(float, sums), repeat(None), repeat(None),
                                 repeat(count)))  # fmt: skip
            hour_rows.extend(zip(gauge_ids, repeat(hour), repeat(0.0), map(float, last), repeat(ts), repeat(count)))

    minutes_in_hour: list[int] = []
    for minute in minutes:
        if minute // HOUR * HOUR != hour:
            close_hour()
            hour, sums, count, minutes_in_hour = minute // HOUR * HOUR, [0] * len(deltas), 0, []
        values = minute_values(seed=DEMO_TRAFFIC_SEED, minute=minute, services=services, outages=outages)
        delta_values = [values[i] for i in deltas]
        last = [values[i] for i in gauge_at]
        sums = list(map(add, sums, delta_values))
        count += 1
        minutes_in_hour.append(minute)
        minute_rows.extend(zip(delta_ids, repeat(minute), map(float, delta_values), repeat(None), repeat(None),
                               repeat(1)))  # fmt: skip
        minute_rows.extend(zip(gauge_ids, repeat(minute), repeat(0.0), map(float, last), repeat(minute + 30.0),
                               repeat(1)))  # fmt: skip
    close_hour()
    _upsert(MinuteRollup._meta.db_table, minute_rows)
    _upsert(HourRollup._meta.db_table, hour_rows)
    return len(minute_rows)


def _upsert(table: str, rows: list[tuple]) -> None:
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Array literals written by orjson: adapting ~10 million Python values one by one costs seconds.
            columns = [orjson.dumps(list(column)).decode()[1:-1].join("{}") for column in zip(*rows, strict=True)]
            cursor.execute(_UPSERT.format(table=table, source=_PG_SOURCE), columns)
        else:
            cursor.executemany(_UPSERT.format(table=table, source="VALUES (%s, %s, %s, %s, %s, %s)"), rows)


def _write_logs(minutes: list[int], services: list[str], *, outages: tuple[Outage, ...], now: dt.datetime) -> int:
    """The generator's log lines of ``minutes`` through the log ingest service, an hour per call."""
    written = 0
    for chunk in range(0, len(minutes), 60):
        lines = []
        for minute in minutes[chunk : chunk + 60]:
            lines += demo_minute(seed=DEMO_TRAFFIC_SEED, minute=minute, services=services, outages=outages).logs
        written += logs_ingest(
            records=validate_logs(lines, now=now.timestamp()), scope="system", batch_id=None, now=now
        ).accepted
    return written
