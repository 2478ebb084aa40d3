"""Counts of one SLO per time bucket over a range (charts: SLI over time and the budget burn-down).

``slo_bucket_counts(slo=, start=, end=, step=)`` returns ``{bucket start (unix s): Counts}`` with buckets
aligned to multiples of ``step`` (buckets without traffic are absent). One statement whatever the number
of buckets:
  * metric store: the SUM is grouped by bucket in the database, from the hourly rollup when ``step`` is a
    whole number of hours and from the minute rollup otherwise (Timeslices: one read of the minute rows,
    slices grouped by bucket);
  * Prometheus: one range query for the numerator and one for the total (``step`` apart);
  * logs: one count-over-time per side with ``step`` buckets.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction

from django.db.models import BigIntegerField, ExpressionWrapper, F, Sum

from slo.domain.budget import Counts, counts_from_good, timeslice_counts
from slo.domain.exact import exact
from slo.domain.promql import count_expr
from slo.models import SLO
from slo.selectors import slo_query, slo_range_counts
from slo.selectors.counts import _resolve, _to_counts
from sre.errors import SourceUnavailableError
from telemetry.domain.logs import LogQuery
from telemetry.models import HourRollup, MinuteRollup
from telemetry.prometheus import prometheus_source
from telemetry.selectors import log_count_over_time

HOUR = 3600
MINUTE = 60


def bucket_span(*, start: dt.datetime, end: dt.datetime, step: int) -> tuple[int, int]:
    """(first bucket start, end) in unix seconds: buckets are multiples of ``step``; the last one holds ``end``."""
    step = max(MINUTE, step // MINUTE * MINUTE)
    return int(start.timestamp()) // step * step, (int(end.timestamp()) // step + 1) * step


def slo_bucket_counts(
    *, slo: SLO, start: dt.datetime, end: dt.datetime, step: int = HOUR
) -> tuple[dict[int, Counts], str]:
    """({bucket start (unix s): Counts}, error) for buckets of ``step`` seconds (a multiple of 60) covering
    ``[start, end]``. Buckets without traffic are absent; a source failure is the error, never zeros."""
    step = max(MINUTE, step // MINUTE * MINUTE)
    s, e = bucket_span(start=start, end=end, step=step)
    try:
        if slo.sli_kind in ("ratio", "latency"):
            q = slo_query(slo, windows={e - s})
            r = _resolve([q])[slo.pk]
            ids = sorted(set(r.num_ids) | set(r.total_ids))
            if not ids:
                return {}, ""
            if slo.budgeting_method == "Timeslices":
                return _store_timeslices(ids, r, s, e, step, exact(slo.timeslice_target)), ""
            model = HourRollup if step % HOUR == 0 else MinuteRollup
            bucket = ExpressionWrapper((F("start") - s) / step, output_field=BigIntegerField())
            rows = (
                model.objects.filter(series_id__in=ids, start__gte=s, start__lt=e)
                .annotate(bucket=bucket)
                .values_list("series_id", "bucket")
                .annotate(increase=Sum("increase"))
                .order_by()
            )
            per_bucket: dict[int, dict[int, float]] = defaultdict(dict)
            for sid, b, increase in rows:
                per_bucket[s + int(b) * step][sid] = increase
            return {t: c for t, v in per_bucket.items() if (c := _to_counts(r, v)) is not None}, ""
        if slo.sli_kind == "promql":
            return _prometheus(slo, s, e, step), ""
        return _logs(slo, s, e, step), ""
    except SourceUnavailableError as exc:
        return {}, exc.message


@dataclass(frozen=True)
class ChartCounts:
    """What the detail page's charts are drawn from (``slo.charts.detail_charts`` computes, this reads):
    ``buckets`` of ``step`` seconds over ``span`` (first bucket start, end; unix s), ``bad_before`` the bad
    events of the SLO window before ``first`` (the burn-down's starting debt, counted once), ``error`` a source
    failure ("" when fine: then nothing is zero-filled)."""

    buckets: dict[int, Counts]
    step: int
    span: tuple[int, int]
    first: int
    bad_before: Fraction
    error: str


def slo_chart_counts(
    *, slo: SLO, start: dt.datetime, end: dt.datetime, step: int, window_start: dt.datetime
) -> ChartCounts:
    """The counts behind the detail charts over ``[start, end]`` in ``step`` buckets: one grouped read of the
    buckets and, when the SLO window began before the range, one count of the window's part before it."""
    buckets, error = slo_bucket_counts(slo=slo, start=start, end=end, step=step)
    s, e = bucket_span(start=start, end=end, step=step)
    window_ts = window_start.timestamp()
    first = max(s, int(window_ts) // step * step)
    before = Fraction(0)
    if not error and first > window_ts + MINUTE:
        found = slo_range_counts(slos=[slo], start=window_start, end=dt.datetime.fromtimestamp(first, tz=dt.UTC)).get(
            slo.pk
        )
        before = Fraction(found.bad) if found is not None else Fraction(0)
    return ChartCounts(buckets=buckets, step=step, span=(s, e), first=first, bad_before=before, error=error)


def _store_timeslices(ids, r, s: int, e: int, step: int, target) -> dict[int, Counts]:
    minutes: dict[int, dict[int, float]] = defaultdict(dict)
    rows = MinuteRollup.objects.filter(series_id__in=ids, start__gte=s, start__lt=e)
    for sid, minute, increase in rows.values_list("series_id", "start", "increase").iterator(chunk_size=20000):
        minutes[minute][sid] = increase
    buckets: dict[int, list[Counts]] = defaultdict(list)
    for minute, values in minutes.items():
        if (c := _to_counts(r, values)) is not None:
            buckets[s + (minute - s) // step * step].append(c)
    return {t: c for t, slices in buckets.items() if (c := timeslice_counts(slices=slices, slice_target=target)).total}


def _prometheus(slo: SLO, s: int, e: int, step: int) -> dict[int, Counts]:

    source = prometheus_source()
    if source is None:
        raise SourceUnavailableError("Prometheus is not configured (set PROMETHEUS_URL).")
    numerator = "good" if "good" in slo.sli else "bad"
    start, end = dt.datetime.fromtimestamp(s + step, tz=dt.UTC), dt.datetime.fromtimestamp(e, tz=dt.UTC)

    def points(query: str) -> dict[int, Fraction]:
        out: dict[int, Fraction] = {}
        for series in source.range(count_expr(query, step), start=start, end=end, step=step):
            for t, v in series.points:
                if v == v:
                    out[int(t) - step] = Fraction(v)
        return out

    num, total = points(slo.sli[numerator]), points(slo.sli["total"])
    out = {}
    for bucket, t in total.items():
        if t > 0:
            n = num.get(bucket, Fraction(0))
            out[bucket] = counts_from_good(good=n, total=t) if numerator == "good" else Counts(min(n, t), t)
    return out


def _logs(slo: SLO, s: int, e: int, step: int) -> dict[int, Counts]:

    start, end = dt.datetime.fromtimestamp(s, tz=dt.UTC), dt.datetime.fromtimestamp(e, tz=dt.UTC)
    spec = slo.sli
    total_buckets = log_count_over_time(
        query=LogQuery(service=spec["service"], start=start, end=end), step=step
    ).buckets
    levels = tuple(spec.get("bad_levels", ()))
    if spec.get("bad_query"):
        q = LogQuery(q=spec["bad_query"], service=spec["service"], levels=levels, start=start, end=end)
        bad_buckets = log_count_over_time(query=q, step=step).buckets
    else:
        bad_buckets = [b for b in total_buckets if b.level in levels]
    total: dict[int, int] = defaultdict(int)
    bad: dict[int, int] = defaultdict(int)
    for b in total_buckets:
        total[s + (int(b.start.timestamp()) - s) // step * step] += b.count
    for b in bad_buckets:
        bad[s + (int(b.start.timestamp()) - s) // step * step] += b.count
    return {t: Counts(min(bad.get(t, 0), n), n) for t, n in total.items() if n}
