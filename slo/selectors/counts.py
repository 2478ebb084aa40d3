"""Counting an SLO's good/bad events per window, in bulk, from every source.

``slo_counts(queries=[...], now=now)`` answers for many SLOs at once:
  * metric store (ratio, latency SLIs): two statements for all windows of all SLOs together
    (``slo.selectors.rollups.increase_windows``: whole hours from the hourly rollup read once for every
    window, the minute edges from the minute rollup — never 30 days of minutes per SLO); ``Timeslices``
    SLOs read their series' minutes once (one query) for the longest window;
  * Prometheus (PromQL SLIs): one combined query per window (each SLO's expression tagged with a
    ``slo_ref`` label and joined with ``or``), in chunks of ``PROMQL_CHUNK`` SLOs;
  * logs: one count-over-time per SLO (the log store has no multi-query), bucketed per minute.
Excluded ranges (maintenance) are subtracted minute by minute. A source failure becomes that SLO's
``error`` (shown as ``source_error``), never zero counts.

Windows are ``(T − seconds, T]`` with the minute rule of ``slo.domain.windows`` (a minute ``m`` counts
when ``T − seconds < m <= T``), for the metric store and logs alike; Prometheus is asked at ``T`` itself.

A missing good series (``missing_good``, good/total and latency SLIs): with ``"no_data"`` (the default) a
minute in which the total series have samples and no good series has one is no data — left out of both
counts — instead of all bad. The metric store finds such minutes exactly: a window whose good series
hold fewer samples than its total series (the bulk statement returns both) is recounted minute by
minute; Prometheus can only say it for a whole window (no good result at all: no data). ``"bad"``
counts those minutes as all bad events (the behaviour before the setting existed).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from django.db import connection

from slo.domain.budget import Counts, counts_from_good, counts_sum, timeslice_counts
from slo.domain.promql import REF_LABEL, combine, count_expr, tagged, timeslice_exprs
from slo.domain.selector import labels_match, le_equals, parse_selector
from slo.domain.windows import window_minutes
from slo.selectors.rollups import window_sums
from sre.errors import SourceUnavailableError
from sre.sql import table
from telemetry.domain.logs import LogQuery
from telemetry.models import PENDING_ROLLUP_TABLE, MinuteRollup, Series
from telemetry.prometheus import prometheus_source
from telemetry.selectors import log_count_over_time

PROMQL_CHUNK = 100


@dataclass(frozen=True)
class SloQuery:
    """What to count for one SLO: its SLI and the window lengths (seconds) wanted, ending at ``now``."""

    slo_id: int
    kind: str
    spec: dict
    windows: frozenset[int]
    slice_target: Fraction | None = None  # set for Timeslices budgeting
    excluded: tuple[tuple[int, int], ...] = ()  # unix-second ranges left out of every count
    missing_good: str = "no_data"  # a minute with total samples and no good sample: "no_data" | "bad"


@dataclass
class SloCounts:
    counts: dict[int, Counts | None] = field(default_factory=dict)
    error: str = ""


def slo_counts(*, queries: list[SloQuery], now: dt.datetime) -> dict[int, SloCounts]:
    out = {q.slo_id: SloCounts() for q in queries}
    store = [q for q in queries if q.kind in ("ratio", "latency")]
    if store:
        _store_counts(store, now=now, out=out)
    prom = [q for q in queries if q.kind == "promql"]
    if prom:
        _promql_counts(prom, now=now, out=out)
    for q in queries:
        if q.kind == "log":
            _log_counts(q, now=now, out=out)
    return out


# --- metric store ------------------------------------------------------------------------------------


@dataclass
class _Resolved:
    numerator: str  # "good" | "bad"
    num_ids: list[int]
    total_ids: list[int]
    skip_missing_good: bool = False  # good/total with missing_good "no_data"


def _resolve(queries: list[SloQuery]) -> dict[int, _Resolved]:
    """Series ids of each SLO's numerator and total, with one query for all metric names."""
    parsed = {}
    skip = {q.slo_id: q.missing_good != "bad" for q in queries}
    for q in queries:
        if q.kind == "ratio":
            numerator = "good" if "good" in q.spec else "bad"
            parsed[q.slo_id] = (numerator, parse_selector(q.spec[numerator]), parse_selector(q.spec["total"]), None)
        else:
            sel = parse_selector(q.spec["selector"])
            parsed[q.slo_id] = ("good", sel, sel, q.spec["threshold"])
    names = {p[1].metric for p in parsed.values()} | {p[2].metric for p in parsed.values()}
    index: dict[str, _SeriesIndex] = defaultdict(_SeriesIndex)
    for sid, name, labels in Series.objects.filter(name__in=names).values_list("id", "name", "labels"):
        index[name].add(sid, labels)
    resolved = {}
    for slo_id, (numerator, num_sel, total_sel, threshold) in parsed.items():
        num = index[num_sel.metric].match(num_sel.matchers)
        total = index[total_sel.metric].match(total_sel.matchers)
        if threshold is not None:
            labels = index[num_sel.metric].labels
            num = [sid for sid in num if le_equals(labels[sid].get("le", ""), threshold)]
            total = [sid for sid in total if labels[sid].get("le") == "+Inf"]
        resolved[slo_id] = _Resolved(numerator, num, total, numerator == "good" and skip[slo_id])
    return resolved


class _SeriesIndex:
    """The series of one metric, indexed by label value, so ``=`` matchers narrow the candidates before
    the general matcher runs (1,000 SLOs x 1,000 series must not cost a million regex checks)."""

    def __init__(self) -> None:
        self.labels: dict[int, dict] = {}
        self.by_value: dict[tuple[str, str], set[int]] = defaultdict(set)

    def add(self, sid: int, labels: dict) -> None:
        self.labels[sid] = labels
        for item in labels.items():
            self.by_value[item].add(sid)

    def match(self, matchers) -> list[int]:
        equal = [(label, value) for label, op, value in matchers if op == "=" and value != ""]
        if equal:
            candidates = set.intersection(*(self.by_value.get(item, set()) for item in equal))
        else:
            candidates = set(self.labels)
        return sorted(sid for sid in candidates if labels_match(self.labels[sid], matchers))


def _exact_sum(values: dict[int, float], ids: list[int]) -> tuple[int | Fraction, bool]:
    """Exact sum of the floats (whole numbers, the usual case, stay ints: much faster than Fractions)."""
    present = [v for i in ids if (v := values.get(i)) is not None]
    if not present:
        return 0, False
    total = sum(present)
    if total.is_integer() and all(v.is_integer() for v in present) and abs(total) < 2**53:
        return int(total), True
    return sum((Fraction(v) for v in present), Fraction(0)), True


def _to_counts(r: _Resolved, values: dict[int, float]) -> Counts | None:
    total, any_total = _exact_sum(values, r.total_ids)
    if not any_total:
        return None
    num, any_num = _exact_sum(values, r.num_ids)
    if r.skip_missing_good and not any_num:
        return None  # total without any good sample: no data, not all bad
    total, num = _intify(total), _intify(num)
    return counts_from_good(good=num, total=total) if r.numerator == "good" else Counts(min(num, total), total)


def _intify(value: int | Fraction) -> int | Fraction:
    return value if isinstance(value, int) or value.denominator != 1 else int(value)


def _store_counts(queries: list[SloQuery], *, now: dt.datetime, out: dict[int, SloCounts]) -> None:
    resolved = _resolve(queries)
    occurrences = [q for q in queries if q.slice_target is None]
    ids_per_window: dict[int, set[int]] = defaultdict(set)
    for q in occurrences:
        r = resolved[q.slo_id]
        for w in q.windows:
            ids_per_window[w].update(r.num_ids, r.total_ids)
    all_ids = set().union(*ids_per_window.values()) if ids_per_window else set()
    sums = window_sums(series_ids=all_ids, windows=ids_per_window, now=now)
    increases = {w: {sid: inc for sid, (inc, _n) in per.items()} for w, per in sums.items()}
    recount: dict[int, set[int]] = defaultdict(set)  # windows with minutes of total but no good samples
    for q in occurrences:
        r = resolved[q.slo_id]
        out[q.slo_id].counts = {w: _to_counts(r, increases.get(w, {})) for w in q.windows}
        if r.skip_missing_good:
            for w in q.windows:
                if _good_gap(r, sums.get(w, {})):
                    recount[q.slo_id].add(w)
    minute_queries = [q for q in queries if q.slice_target is not None or q.excluded or q.slo_id in recount]
    if not minute_queries:
        return
    minutes = _minutes(minute_queries, resolved, now=now, recount=recount)
    end = int(now.timestamp())
    for q in minute_queries:
        r, per_minute = resolved[q.slo_id], minutes.get(q.slo_id, {})
        for w in q.windows:
            start, stop = window_minutes(end=end, seconds=w)
            inside = [m for m in per_minute if start <= m < stop and not _excluded(m, q.excluded)]
            if q.slice_target is not None:
                slices = [_to_counts(r, per_minute[m]) for m in inside]
                counts = timeslice_counts(slices=[c for c in slices if c], slice_target=q.slice_target)
                out[q.slo_id].counts[w] = counts if counts.total else None
            elif w in recount.get(q.slo_id, ()):
                counts = counts_sum(_to_counts(r, per_minute[m]) for m in inside)
                out[q.slo_id].counts[w] = counts if counts is not None and counts.total > 0 else None
            elif q.excluded:
                excluded = [m for m in per_minute if start <= m < stop and _excluded(m, q.excluded)]
                current = out[q.slo_id].counts.get(w)
                for c in (_to_counts(r, per_minute[m]) for m in excluded):
                    if current is not None and c is not None:
                        current = current - c
                out[q.slo_id].counts[w] = current if current is None or current.total > 0 else None


def _good_gap(r: _Resolved, sums: dict[int, tuple[float, int]]) -> bool:
    """Whether the window's total series hold more samples than its good series: then some minute may
    have total samples and no good one, and the window is recounted minute by minute. (Good and total
    scraped alike hold as many samples; other SLIs are recounted every time, exact but slower.)"""
    total = max((sums[sid][1] for sid in r.total_ids if sid in sums), default=0)
    good = max((sums[sid][1] for sid in r.num_ids if sid in sums), default=0)
    return total > good


def _excluded(minute: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(a <= minute < b for a, b in ranges)


def _minutes(
    queries: list[SloQuery], resolved: dict[int, _Resolved], *, now: dt.datetime, recount: dict | None = None
) -> dict:
    """Per SLO, per minute: {series_id: increase}, folded and staged rows together (one statement, one
    snapshot). Timeslice SLOs and windows to recount need every minute of their longest such window;
    Occurrences SLOs with exclusions only the excluded minutes."""
    end_ts = int(now.timestamp())
    end = window_minutes(end=end_ts, seconds=60)[1]
    series_to_slos: dict[int, list[int]] = defaultdict(list)
    conds, params = [], []
    for q in queries:
        r = resolved[q.slo_id]
        ids = sorted(set(r.num_ids) | set(r.total_ids))
        for sid in ids:
            series_to_slos[sid].append(q.slo_id)
        if not ids:
            continue
        whole = q.windows if q.slice_target is not None else (recount or {}).get(q.slo_id, ())
        ranges = [window_minutes(end=end_ts, seconds=max(whole))] if whole else []
        if not whole:
            start = window_minutes(end=end_ts, seconds=max(q.windows))[0]
            ranges = [(max(a, start), min(b, end)) for a, b in q.excluded]
        for a, b in ranges:
            if a < b:
                conds.append(f"(series_id IN ({', '.join(['%s'] * len(ids))}) AND start >= %s AND start < %s)")
                params += [*ids, a, b]
    minutes: dict[int, dict[int, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    if not conds:
        return minutes
    where = " OR ".join(conds)
    sql = " UNION ALL ".join(
        f"SELECT series_id, start, increase FROM {name} WHERE {where}"  # noqa: S608 - placeholders only
        for name in (table(MinuteRollup), table(PENDING_ROLLUP_TABLE))
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params * 2)
        for sid, start, increase in cursor.fetchall():
            for slo_id in series_to_slos[sid]:
                per = minutes[slo_id][start]
                per[sid] = per.get(sid, 0.0) + increase
    return minutes


# --- Prometheus --------------------------------------------------------------------------------------


def _promql_counts(queries: list[SloQuery], *, now: dt.datetime, out: dict[int, SloCounts]) -> None:

    source = prometheus_source()
    if source is None:
        for q in queries:
            out[q.slo_id].error = "Prometheus is not configured (set PROMETHEUS_URL)."
        return
    by_window: dict[int, list[SloQuery]] = defaultdict(list)
    for q in queries:
        for w in q.windows:
            if w > 0:
                by_window[w].append(q)
            else:
                out[q.slo_id].counts[w] = None  # an empty window (a calendar period's first second)
    for w, group in sorted(by_window.items()):
        for i in range(0, len(group), PROMQL_CHUNK):
            chunk = group[i : i + PROMQL_CHUNK]
            parts = []
            for q in chunk:
                numerator = "good" if "good" in q.spec else "bad"
                if q.slice_target is not None:
                    exprs = timeslice_exprs(
                        good=q.spec.get("good"),
                        bad=q.spec.get("bad"),
                        total=q.spec["total"],
                        seconds=w,
                        slice_target=q.slice_target,
                    )
                    parts += [tagged(exprs["bad"], f"{q.slo_id}:bad"), tagged(exprs["total"], f"{q.slo_id}:total")]
                else:
                    parts.append(tagged(count_expr(q.spec[numerator], w), f"{q.slo_id}:{numerator}"))
                    parts.append(tagged(count_expr(q.spec["total"], w), f"{q.slo_id}:total"))
            try:
                samples = source.instant(combine(parts), at=now)
            except SourceUnavailableError as exc:
                for q in chunk:
                    out[q.slo_id].error = exc.message
                continue
            values: dict[str, float] = {}
            for s in samples:
                ref = s.labels.get(REF_LABEL, "")
                if s.value == s.value:  # NaN means no data
                    values[ref] = s.value
            for q in chunk:
                numerator = "bad" if q.slice_target is not None or "bad" in q.spec else "good"
                total = values.get(f"{q.slo_id}:total")
                if total is None or total <= 0:
                    out[q.slo_id].counts[w] = None
                    continue
                found = values.get(f"{q.slo_id}:{numerator}")
                if found is None and numerator == "good" and q.missing_good != "bad":
                    out[q.slo_id].counts[w] = None  # total without any good result: no data
                    continue
                num = _intify(Fraction(found or 0.0))
                total_f = _intify(Fraction(total))
                if numerator == "good":
                    out[q.slo_id].counts[w] = counts_from_good(good=num, total=total_f)
                else:
                    out[q.slo_id].counts[w] = Counts(min(num, total_f), total_f)


# --- logs --------------------------------------------------------------------------------------------


def _log_counts(q: SloQuery, *, now: dt.datetime, out: dict[int, SloCounts]) -> None:

    now_ts = int(now.timestamp())
    first, last = window_minutes(end=now_ts, seconds=max(q.windows))
    if first >= last:
        out[q.slo_id].counts = dict.fromkeys(q.windows)
        return
    start, end = (dt.datetime.fromtimestamp(x, tz=dt.UTC) for x in (first, last))
    service, levels, text = q.spec["service"], tuple(q.spec.get("bad_levels", ())), q.spec.get("bad_query", "")
    try:
        total = log_count_over_time(query=LogQuery(service=service, start=start, end=end), step=60).buckets
        if text:
            bad = log_count_over_time(
                query=LogQuery(q=text, service=service, levels=levels, start=start, end=end), step=60
            ).buckets
        else:
            bad = [b for b in total if b.level in levels]
    except SourceUnavailableError as exc:
        out[q.slo_id].error = exc.message
        return
    total_m, bad_m = _per_minute(total), _per_minute(bad)
    for m in list(total_m):
        if _excluded(m, q.excluded):
            total_m.pop(m)
            bad_m.pop(m, None)
    for w in q.windows:
        lo, hi = window_minutes(end=now_ts, seconds=w)
        if lo >= hi:
            out[q.slo_id].counts[w] = None
            continue
        if q.slice_target is not None:
            slices = [Counts(min(bad_m.get(m, 0), t), t) for m, t in total_m.items() if m >= lo]
            counts = timeslice_counts(slices=slices, slice_target=q.slice_target)
        else:
            t = sum(v for m, v in total_m.items() if m >= lo)
            counts = Counts(min(t, sum(v for m, v in bad_m.items() if m >= lo)), t)
        out[q.slo_id].counts[w] = counts if counts.total else None


def _per_minute(buckets) -> dict[int, int]:
    out: dict[int, int] = defaultdict(int)
    for b in buckets:
        out[int(b.start.timestamp()) // 60 * 60] += b.count
    return out
