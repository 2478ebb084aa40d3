"""Counter increases of many series over many windows in two statements (hours, then minute edges).

``telemetry.selectors.counter_increase_windows`` runs one statement per window, so a 30-day, a 28-day,
a month-so-far and a 7-day window each read the same hourly rows again. Here every hourly row in the
longest window is read once and summed into each window it belongs to with conditional aggregation
(``SUM(CASE WHEN start >= … THEN increase END)``); the minute edges likewise. The windows and their
split into whole hours plus minute edges are exactly telemetry's (``window_bounds`` / ``plan_window``),
so the sums are the same numbers, and a window where a series has no row stays absent ("no data").
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction

from telemetry.domain.windows import plan_window, window_bounds

CHUNK = 1000


def increase_windows(*, series_ids: Iterable[int], windows: Iterable[int], now: dt.datetime) -> dict[int, dict]:
    """``{window: {series_id: increase}}`` for windows (seconds) ending at ``now``; two queries per
    1,000 series whatever the number of windows."""
    ids = sorted(set(series_ids))
    windows = sorted(set(windows))
    out: dict[int, dict[int, float]] = {w: {} for w in windows}
    if not ids or not windows:
        return out
    plans = {w: plan_window(**dict(zip(("start", "end"), window_bounds(now=now.timestamp(), seconds=w), strict=True)))
             for w in windows}  # fmt: skip
    hour = {w: p.hour_range for w, p in plans.items() if p.hour_range}
    minute = {w: p.minute_ranges for w, p in plans.items() if p.minute_ranges}
    for chunk in range(0, len(ids), CHUNK):
        part = ids[chunk : chunk + CHUNK]
        if hour:
            _run("telemetry_hourrollup", part, {w: (r,) for w, r in hour.items()}, out)
        if minute:
            _run("telemetry_minuterollup", part, minute, out)
    return out


def _run(table: str, ids: list[int], ranges: dict[int, tuple[tuple[int, int], ...]], out: dict) -> None:
    columns, params = [], []
    order = sorted(ranges)
    for w in order:
        cond = " OR ".join("(start >= %s AND start < %s)" for _ in ranges[w])
        columns.append(f"SUM(CASE WHEN {cond} THEN increase END), COUNT(CASE WHEN {cond} THEN 1 END)")
        for a, b in ranges[w]:
            params += [a, b]
        for a, b in ranges[w]:
            params += [a, b]
    # Hourly ranges nest (one span); minute edges are scattered, so they are listed (index range scans).
    spans = sorted({r for rs in ranges.values() for r in rs})
    if table == "telemetry_hourrollup":
        spans = [(min(a for a, _ in spans), max(b for _, b in spans))]
    where = " OR ".join("(start >= %s AND start < %s)" for _ in spans)
    placeholders = ", ".join(["%s"] * len(ids))
    sql = (
        f"SELECT series_id, {', '.join(columns)} FROM {table} "  # noqa: S608 - placeholders only
        f"WHERE series_id IN ({placeholders}) AND ({where}) GROUP BY series_id"
    )
    span_params = [x for span in spans for x in span]
    postgres = connection.vendor == "postgresql"
    with transaction.atomic() if postgres else contextlib.nullcontext(), connection.cursor() as cursor:
        if postgres:
            # The many CASE columns make the planner's cost estimate high enough to trigger JIT
            # compilation, which costs seconds for a query that runs in tens of milliseconds.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, [*params, *ids, *span_params])
        for row in cursor.fetchall():
            sid = int(row[0])
            for i, w in enumerate(order):
                total, count = row[1 + 2 * i], row[2 + 2 * i]
                if count:
                    out[w][sid] = out[w].get(sid, 0.0) + float(total)
