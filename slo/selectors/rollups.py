"""Counter increases of many series over many windows in ONE statement (hours, minute edges, staged rows).

``telemetry.selectors.counter_increase_windows`` runs one statement per window, so a 30-day, a 28-day,
a month-so-far and a 7-day window each read the same hourly rows again. Here every hourly row in the
longest window is read once and summed into each window it belongs to with conditional aggregation
(``SUM(CASE WHEN start >= … THEN increase END)``); the minute edges likewise, and the rows staged on
PostgreSQL but not folded yet (``telemetry_pendingrollup``, see ``telemetry.fold``) by their minute. The
three tables are read by one statement (``UNION ALL``), so one snapshot: a fold running meanwhile can
neither hide a row nor count it twice, and a push answered before the read is counted.

Each window ``(T − seconds, T]`` covers the rollup minutes ``slo.domain.windows.window_minutes`` names,
split into whole hours plus minute edges (``telemetry.domain.windows.plan_window``). A window where a
series has no row stays absent ("no data"). With each increase comes the number of samples behind it
(the counting code compares good and total series with it).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction

from slo.domain.windows import window_minutes
from sre.sql import table
from telemetry.domain.windows import plan_window
from telemetry.models import PENDING_ROLLUP_TABLE, HourRollup, MinuteRollup

CHUNK = 1000


def window_sums(
    *, series_ids: Iterable[int], windows: Iterable[int], now: dt.datetime
) -> dict[int, dict[int, tuple[float, int]]]:
    """``{window: {series_id: (increase, samples)}}`` for windows (seconds) ending at ``now``; one statement
    per 1,000 series (SQLite) or 20,000 (PostgreSQL, ids as an array) whatever the number of windows."""
    ids = sorted(set(series_ids))
    windows = sorted(set(windows))
    out: dict[int, dict[int, tuple[float, int]]] = {w: {} for w in windows}
    end = int(now.timestamp())
    spans = {w: window_minutes(end=end, seconds=w) for w in windows}
    spans = {w: (a, b) for w, (a, b) in spans.items() if a < b}
    if not ids or not spans:
        return out
    postgres = connection.vendor == "postgresql"
    size = 20_000 if postgres else CHUNK
    for chunk in range(0, len(ids), size):
        _run(ids[chunk : chunk + size], spans, out, postgres=postgres)
    return out


def increase_windows(*, series_ids: Iterable[int], windows: Iterable[int], now: dt.datetime) -> dict[int, dict]:
    """``{window: {series_id: increase}}`` (``window_sums`` without the sample counts)."""
    sums = window_sums(series_ids=series_ids, windows=windows, now=now)
    return {w: {sid: inc for sid, (inc, _n) in per.items()} for w, per in sums.items()}


def _run(ids: list[int], spans: dict[int, tuple[int, int]], out: dict, *, postgres: bool) -> None:
    order = sorted(spans)
    plans = {w: plan_window(start=a, end=b) for w, (a, b) in spans.items()}
    where_id = "series_id = ANY(%s)" if postgres else f"series_id IN ({', '.join(['%s'] * len(ids))})"
    id_params = [ids] if postgres else list(ids)
    # Per table: the ranges of each window in it ({window: [(a, b), ...]}; none: NULL columns).
    tables = {
        table(HourRollup): {w: [p.hour_range] for w, p in plans.items() if p.hour_range},
        table(MinuteRollup): {w: list(p.minute_ranges) for w, p in plans.items() if p.minute_ranges},
        table(PENDING_ROLLUP_TABLE): {w: [spans[w]] for w in order},
    }
    parts, params = [], []
    for name, ranges in tables.items():
        if not ranges:
            continue
        columns = []
        for i, w in enumerate(order):
            if w not in ranges:
                columns.append(f"NULL AS c{2 * i}, NULL AS c{2 * i + 1}")
                continue
            cond = " OR ".join("(start >= %s AND start < %s)" for _ in ranges[w])
            columns.append(
                f"SUM(CASE WHEN {cond} THEN increase END) AS c{2 * i}, "
                f"SUM(CASE WHEN {cond} THEN samples END) AS c{2 * i + 1}"
            )
            flat = [x for r in ranges[w] for x in r]
            params += flat * 2
        # Hourly ranges nest (one span); minute edges are scattered, so they are listed (index range scans).
        spans_here = sorted({r for rs in ranges.values() for r in rs})
        if name != table(MinuteRollup):
            spans_here = [(min(a for a, _ in spans_here), max(b for _, b in spans_here))]
        where = " OR ".join("(start >= %s AND start < %s)" for _ in spans_here)
        parts.append(
            f"SELECT series_id, {', '.join(columns)} FROM {name} "  # noqa: S608 - placeholders only
            f"WHERE {where_id} AND ({where}) GROUP BY series_id"
        )
        params += [*id_params, *(x for span in spans_here for x in span)]
    sums = ", ".join(f"SUM(c{2 * i}), SUM(c{2 * i + 1})" for i in range(len(order)))
    sql = (
        f"SELECT series_id, {sums} FROM ({' UNION ALL '.join(parts)}) AS r "  # noqa: S608
        "GROUP BY series_id"
    )
    with transaction.atomic() if postgres else contextlib.nullcontext(), connection.cursor() as cursor:
        if postgres:
            # The many CASE columns make the planner's cost estimate high enough to trigger JIT
            # compilation, which costs seconds for a query that runs in tens of milliseconds.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            sid = int(row[0])
            for i, w in enumerate(order):
                total, samples = row[1 + 2 * i], row[2 + 2 * i]
                if samples is not None:
                    out[w][sid] = (float(total), int(samples))
