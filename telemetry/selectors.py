"""Reads of the telemetry app: the contract the SLO app (and the UI) builds on.

(a) Counter sums over the rollups, for many series at once
    ``series_match(name=..., matchers=[("service", "=", "checkout"), ("code", "=~", "5..")])`` -> series
    ``counter_increase_windows(series_ids=[...], windows=[300, 3600, 2592000], now=now)``
        -> ``{300: {series_id: increase, ...}, 3600: {...}, ...}`` (series without data are absent)
    ``counter_increase_matching(name=..., matchers=..., windows=[...], now=now)``
        -> ``{window: total}`` summed over every matching series (None when nothing matched / no data)
    Each window costs ONE query whatever the number of series: whole hours come from ``HourRollup``
    (maintained in the same statement as the minutes, so the sums are identical), the partial hours at
    both edges from ``MinuteRollup`` (see ``telemetry.domain.windows``). A 30-day window reads ~720 hour
    rows + at most 118 minute rows per series. A window is "the last N seconds rounded up to whole
    minutes, including the current partial minute".
    ``minute_increases(series_ids=..., start=..., end=...)`` -> per-minute sums for charts.
    ``gauge_last(series_ids=..., now=..., lookback=...)`` -> last gauge value per series.

(b) Prometheus as a query source: ``telemetry.prometheus.prometheus_source()`` (None when not
    configured) with ``.instant(q, at=)`` and ``.range(q, start=, end=, step=)``; failures raise
    ``sre.errors.SourceUnavailableError`` (show "source unavailable", never a zero).

(c) Logs: ``log_count_over_time(query=LogQuery(q=..., service=..., levels=(...), start=, end=), step=60)``
    -> buckets of (start, level, count) from the configured LogStore; ``log_count(query=...)`` -> int.
    For a log-based SLI: total = log_count(service, window), bad = log_count(service, q or levels).
    ``log_count_by(query=..., by=("service", "level"))`` -> ``{("checkout", "error"): 12, ...}``: matching lines
    in ``[start, end)`` per group, one aggregation (log count alert rules).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import Sum

from sre.domain.regex import regex_compile, regex_fullmatch
from sre.sql import table
from telemetry.domain.logs import LogQuery, bucket_edges
from telemetry.domain.windows import plan_window, window_bounds
from telemetry.logstore import LogBucket, LogPage, get_log_store
from telemetry.models import PENDING_ROLLUP_TABLE, HourRollup, LogEntry, MinuteRollup, Series

MATCH_OPS = ("=", "!=", "=~", "!~")


@dataclass(frozen=True)
class SeriesRef:
    id: int
    name: str
    labels: dict[str, str]


def _matches(labels: dict[str, str], matchers: Iterable[tuple[str, str, str]]) -> bool:
    """Prometheus matcher semantics: a missing label is "", regexes are fully anchored."""
    for label, op, value in matchers:
        have = labels.get(label, "")
        if op == "=" and have != value:
            return False
        if op == "!=" and have == value:
            return False
        if op == "=~" and not regex_fullmatch(value, have):
            return False
        if op == "!~" and regex_fullmatch(value, have):
            return False
    return True


def series_match(*, name: str, matchers: Iterable[tuple[str, str, str]] = ()) -> list[SeriesRef]:
    """Series of metric ``name`` whose labels satisfy every matcher ``(label, op, value)`` with op one of
    ``=``, ``!=``, ``=~``, ``!~`` (regexes on RE2, ``sre.domain.regex``). Raises ``ValueError`` for an unknown op
    or an invalid regex."""
    matchers = list(matchers)
    for _, op, value in matchers:
        if op not in MATCH_OPS:
            raise ValueError(f"unknown matcher operator {op!r}")
        if op in ("=~", "!~"):
            regex_compile(value)
    rows = Series.objects.filter(name=name).values_list("id", "labels")
    return [SeriesRef(sid, name, labels) for sid, labels in rows if _matches(labels, matchers)]


def _window_sql(plan, ids: list[int]) -> tuple[str, list]:
    placeholders = ", ".join(["%s"] * len(ids))
    parts, params = [], []
    # Increments staged but not folded yet (telemetry.fold) are in neither rollup table: add them for
    # every range, by their minute.
    ranges = [(table(MinuteRollup), r) for r in plan.minute_ranges]
    if plan.hour_range:
        ranges.append((table(HourRollup), plan.hour_range))
    for name, (a, b) in [*ranges, *((table(PENDING_ROLLUP_TABLE), r) for _, r in ranges)]:
        parts.append(
            f"SELECT series_id, increase FROM {name} "  # noqa: S608 - placeholders only
            f"WHERE series_id IN ({placeholders}) AND start >= %s AND start < %s"
        )
        params += [*ids, a, b]
    sql = f"SELECT series_id, SUM(increase) FROM ({' UNION ALL '.join(parts)}) w GROUP BY series_id"  # noqa: S608
    return sql, params


def counter_increase_windows(
    *, series_ids: Iterable[int], windows: Iterable[int], now: dt.datetime
) -> dict[int, dict[int, float]]:
    """Summed counter increase (and pushed deltas) per series for each window (seconds) ending at ``now``.

    One query per window. Series with no rollup row in a window are absent from its dict, so "no data"
    (absent) and "zero" (present, 0.0) stay distinct.
    """
    ids = sorted(set(series_ids))
    out: dict[int, dict[int, float]] = {}
    for seconds in windows:
        out[seconds] = {}
        if not ids:
            continue
        start, end = window_bounds(now=now.timestamp(), seconds=seconds)
        plan = plan_window(start=start, end=end)
        for chunk_start in range(0, len(ids), 1000):
            sql, params = _window_sql(plan, ids[chunk_start : chunk_start + 1000])
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                out[seconds].update({int(sid): float(total) for sid, total in cursor.fetchall()})
    return out


def counter_increase_matching(
    *, name: str, matchers: Iterable[tuple[str, str, str]] = (), windows: Iterable[int], now: dt.datetime
) -> dict[int, float | None]:
    """Total increase over every series matching ``name{matchers}`` per window; None means no data."""
    refs = series_match(name=name, matchers=matchers)
    per_window = counter_increase_windows(series_ids=[r.id for r in refs], windows=windows, now=now)
    return {w: (sum(v.values()) if v else None) for w, v in per_window.items()}


def minute_increases(*, series_ids: Iterable[int], start: int, end: int) -> dict[int, float]:
    """Per-minute increase summed over ``series_ids`` for minute buckets in ``[start, end)`` (unix seconds)."""
    ids = list(series_ids)
    rows = (
        MinuteRollup.objects.filter(series_id__in=ids, start__gte=start, start__lt=end)
        .values("start")
        .annotate(total=Sum("increase"))
        .order_by("start")
    )
    out = {r["start"]: r["total"] for r in rows}
    for _sid, minute, increase, _gauge, _gauge_ts in _pending(ids, since=start, until=end):
        out[minute] = out.get(minute, 0.0) + increase
    return dict(sorted(out.items()))


def _pending(ids: list[int], *, since: int, until: int | None = None) -> list[tuple]:
    """Staged, not yet folded rollup rows (see ``telemetry.fold``) of ``ids`` with ``since <= start < until``."""
    if not ids:
        return []
    placeholders = ", ".join(["%s"] * len(ids))
    sql = (
        f"SELECT series_id, start, increase, gauge, gauge_ts FROM {table(PENDING_ROLLUP_TABLE)} "  # noqa: S608
        f"WHERE series_id IN ({placeholders}) AND start >= %s" + (" AND start < %s" if until is not None else "")
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, since, *([until] if until is not None else [])])
        return cursor.fetchall()


def gauge_last(*, series_ids: Iterable[int], now: dt.datetime, lookback: int = 600) -> dict[int, float]:
    """The most recent gauge value per series within ``lookback`` seconds before ``now``."""
    since = int(now.timestamp()) - lookback
    ids = list(series_ids)
    out: dict[int, tuple[float, float]] = {}
    rows = MinuteRollup.objects.filter(series_id__in=ids, start__gte=since, gauge__isnull=False).values_list(
        "series_id", "start", "gauge", "gauge_ts"
    )
    staged = [(sid, start, g, gts) for sid, start, _inc, g, gts in _pending(ids, since=since) if gts is not None]
    for sid, start, gauge, gauge_ts in [*rows, *staged]:
        when = gauge_ts if gauge_ts is not None else float(start)
        if sid not in out or when > out[sid][0]:
            out[sid] = (when, gauge)
    return {sid: value for sid, (_, value) in out.items()}


@dataclass(frozen=True)
class SeriesInfo:
    id: int
    name: str
    labels: dict[str, str]
    kind: str


def series_of_names(*, names: Iterable[str]) -> dict[str, list[SeriesInfo]]:
    """Every series of each metric name, in one query (rule evaluation filters them by matchers itself)."""
    out: dict[str, list[SeriesInfo]] = {name: [] for name in names}
    if not out:
        return out
    rows = Series.objects.filter(name__in=list(out)).values_list("id", "name", "labels", "kind")
    for sid, name, labels, kind in rows:
        out[name].append(SeriesInfo(sid, name, labels, kind))
    return out


def series_matches(labels: dict[str, str], matchers: Iterable[tuple[str, str, str]]) -> bool:
    """Whether ``labels`` satisfy every ``(label, op, value)`` (Prometheus semantics, regexes on RE2)."""
    return _matches(labels, matchers)


def minute_rows(*, series_ids: Iterable[int], start: int, end: int) -> dict[int, dict[int, tuple]]:
    """Per series, per minute in ``[start, end)``: ``(increase, gauge, gauge_ts, samples)`` from the minute
    rollups and the rows staged but not folded yet (merged: increases and samples summed, the later gauge kept).
    One query per 1,000 series (SQLite) or per 20,000 (PostgreSQL, the ids as one array)."""
    ids = sorted(set(series_ids))
    out: dict[int, dict[int, tuple]] = {}
    postgres = connection.vendor == "postgresql"
    size = 20_000 if postgres else 1000  # PostgreSQL takes the ids as one array parameter
    for chunk_start in range(0, len(ids), size):
        chunk = ids[chunk_start : chunk_start + size]
        where = "series_id = ANY(%s)" if postgres else f"series_id IN ({', '.join(['%s'] * len(chunk))})"
        id_params = [chunk] if postgres else chunk
        parts = [
            f"SELECT series_id, start, increase, gauge, gauge_ts, samples FROM {name} "  # noqa: S608
            f"WHERE {where} AND start >= %s AND start < %s"
            for name in (table(MinuteRollup), table(PENDING_ROLLUP_TABLE))
        ]
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), [*id_params, start, end, *id_params, start, end])
            for sid, minute, increase, gauge, gauge_ts, samples in cursor.fetchall():
                per = out.setdefault(sid, {})
                had = per.get(minute)
                if had is None:
                    per[minute] = (increase, gauge, gauge_ts, samples)
                    continue
                later = gauge_ts is not None and (had[2] is None or gauge_ts >= had[2])
                per[minute] = (
                    had[0] + increase,
                    gauge if later else had[1],
                    gauge_ts if later else had[2],
                    had[3] + samples,
                )
    return out


def metric_names() -> list[str]:
    return list(Series.objects.order_by("name").values_list("name", flat=True).distinct())


# --- logs ---------------------------------------------------------------------------------------------


def log_search(*, query: LogQuery, offset: int = 0, limit: int = 50) -> LogPage:
    """Matching lines newest first from the configured store (raises SourceUnavailableError on outage)."""
    return get_log_store().search(query, offset=offset, limit=limit)


@dataclass(frozen=True)
class LogCounts:
    step: int
    buckets: list[LogBucket]


def log_count_over_time(*, query: LogQuery, step: int | None = None) -> LogCounts:
    """Counts per bucket and level for ``query`` (needs ``start`` and ``end``); ``step`` defaults to a
    width giving at most 120 buckets."""
    if query.start is None or query.end is None:
        raise ValueError("log_count_over_time needs query.start and query.end")
    step = step or bucket_edges(start=query.start, end=query.end)
    return LogCounts(step=step, buckets=get_log_store().count_over_time(query, step=step))


def log_count(*, query: LogQuery) -> int:
    """How many lines match ``query`` in ``[start, end)``: one aggregation, whatever the range."""
    if query.start is None or query.end is None:
        raise ValueError("log_count needs query.start and query.end")
    span = int((query.end - query.start).total_seconds()) + 1
    return sum(b.count for b in get_log_store().count_over_time(query, step=max(60, span)))


def log_count_by(*, query: LogQuery, by: Sequence[str] = ()) -> dict[tuple[str, ...], int]:
    """Lines matching ``query`` in ``[start, end)`` per value of the ``by`` labels ("service", "level"), keys in
    the order of ``by``; groups without lines are absent, ``by=()`` gives ``{(): total}``. One aggregation.
    Raises ``ValueError`` for another label, ``SourceUnavailableError`` when the store cannot answer."""
    if query.start is None or query.end is None:
        raise ValueError("log_count_by needs query.start and query.end")
    return get_log_store().count_by(query, by=tuple(by))


# --- suggestions (the SLO form's autocomplete) --------------------------------------------------------------


def metric_name_suggestions(*, text: str, limit: int = 20) -> list[str]:
    """Stored metric names containing ``text`` (case-insensitive), those starting with it first; at most
    ``limit``."""
    text = text.strip()[:200]
    names = Series.objects.order_by("name").values_list("name", flat=True).distinct()
    found = list(names.filter(name__istartswith=text)[:limit])
    if len(found) < limit:  # then those containing it elsewhere (two reads: a prefix match is never cut off)
        found += names.filter(name__icontains=text).exclude(name__istartswith=text)[: limit - len(found)]
    return found


def label_suggestions(*, metric: str, label: str = "", text: str = "", limit: int = 20, scan: int = 5000) -> list[str]:
    """Label names of the stored series of ``metric`` (``label`` empty) or the values of ``label`` on them,
    containing ``text``; at most ``limit``, reading at most ``scan`` series."""
    text = text.strip()[:200].lower()
    seen: set[str] = set()
    for labels in Series.objects.filter(name=metric[:200]).values_list("labels", flat=True)[:scan]:
        labels = labels or {}
        for item in labels if not label else ([labels[label]] if label in labels else []):
            if text in str(item).lower():
                seen.add(str(item))
    return sorted(seen, key=lambda v: (not v.lower().startswith(text), v))[:limit]


def ingest_since(*, since: int, logs_since: dt.datetime | None) -> dict[str, int | None]:
    """What came in since ``since`` (epoch seconds, a minute boundary): ``samples`` summed over the minute rollups,
    ``series_total`` known series, and ``logs`` lines stored in the database since ``logs_since`` (None: not
    counted, for a log store that is not the database). Cheap: indexed range aggregates."""
    samples = MinuteRollup.objects.filter(start__gte=since).aggregate(n=Sum("samples"))["n"]
    logs = LogEntry.objects.filter(timestamp__gte=logs_since).count() if logs_since is not None else None
    return {"samples": samples or 0, "series_total": Series.objects.count(), "logs": logs}
