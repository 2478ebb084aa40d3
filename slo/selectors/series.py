"""Hourly counts of one SLO over a range (charts: SLI over time and the budget burn-down).

Metric store: one query on the hourly rollup (Timeslices: one on the minute rollup, slices grouped by
hour). Prometheus: one range query for the numerator and one for the total (step 1 h). Logs: one
count-over-time per side with 1 h buckets."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from slo.domain.budget import Counts, counts_from_good, timeslice_counts
from slo.domain.exact import exact
from slo.domain.promql import count_expr
from slo.models import SLO
from slo.selectors.counts import _resolve, _to_counts
from sre.errors import SourceUnavailableError

HOUR = 3600


def slo_hourly_counts(*, slo: SLO, start: dt.datetime, end: dt.datetime) -> tuple[dict[int, Counts], str]:
    """({hour start (unix s): Counts}, error). Hours without traffic are absent."""
    from slo.selectors import slo_query

    s, e = int(start.timestamp()) // HOUR * HOUR, (int(end.timestamp()) // HOUR + 1) * HOUR
    timeslices = slo.budgeting_method == "Timeslices"
    try:
        if slo.sli_kind in ("ratio", "latency"):
            q = slo_query(slo, windows={e - s})
            r = _resolve([q])[slo.pk]
            ids = sorted(set(r.num_ids) | set(r.total_ids))
            if timeslices:
                return _store_timeslices(ids, r, s, e, exact(slo.timeslice_target)), ""
            from telemetry.models import HourRollup

            per_hour: dict[int, dict[int, float]] = defaultdict(dict)
            rows = HourRollup.objects.filter(series_id__in=ids, start__gte=s, start__lt=e)
            for sid, hour, increase in rows.values_list("series_id", "start", "increase"):
                per_hour[hour][sid] = increase
            return {h: c for h, v in per_hour.items() if (c := _to_counts(r, v)) is not None}, ""
        if slo.sli_kind == "promql":
            return _prometheus(slo, s, e), ""
        return _logs(slo, s, e), ""
    except SourceUnavailableError as exc:
        return {}, exc.message


def _store_timeslices(ids, r, s: int, e: int, target) -> dict[int, Counts]:
    from telemetry.models import MinuteRollup

    minutes: dict[int, dict[int, float]] = defaultdict(dict)
    rows = MinuteRollup.objects.filter(series_id__in=ids, start__gte=s, start__lt=e)
    for sid, minute, increase in rows.values_list("series_id", "start", "increase").iterator(chunk_size=20000):
        minutes[minute][sid] = increase
    hours: dict[int, list[Counts]] = defaultdict(list)
    for minute, values in minutes.items():
        if (c := _to_counts(r, values)) is not None:
            hours[minute // HOUR * HOUR].append(c)
    return {h: c for h, slices in hours.items() if (c := timeslice_counts(slices=slices, slice_target=target)).total}


def _prometheus(slo: SLO, s: int, e: int) -> dict[int, Counts]:
    from fractions import Fraction

    from telemetry.prometheus import prometheus_source

    source = prometheus_source()
    if source is None:
        raise SourceUnavailableError("Prometheus is not configured (set PROMETHEUS_URL).")
    numerator = "good" if "good" in slo.sli else "bad"
    start, end = dt.datetime.fromtimestamp(s + HOUR, tz=dt.UTC), dt.datetime.fromtimestamp(e, tz=dt.UTC)

    def points(query: str) -> dict[int, Fraction]:
        out: dict[int, Fraction] = {}
        for series in source.range(count_expr(query, HOUR), start=start, end=end, step=HOUR):
            for t, v in series.points:
                if v == v:
                    out[int(t) - HOUR] = Fraction(v)
        return out

    num, total = points(slo.sli[numerator]), points(slo.sli["total"])
    out = {}
    for hour, t in total.items():
        if t > 0:
            n = num.get(hour, Fraction(0))
            out[hour] = counts_from_good(good=n, total=t) if numerator == "good" else Counts(min(n, t), t)
    return out


def _logs(slo: SLO, s: int, e: int) -> dict[int, Counts]:
    from telemetry.domain.logs import LogQuery
    from telemetry.selectors import log_count_over_time

    start, end = dt.datetime.fromtimestamp(s, tz=dt.UTC), dt.datetime.fromtimestamp(e, tz=dt.UTC)
    spec = slo.sli
    total_buckets = log_count_over_time(
        query=LogQuery(service=spec["service"], start=start, end=end), step=HOUR
    ).buckets
    levels = tuple(spec.get("bad_levels", ()))
    if spec.get("bad_query"):
        q = LogQuery(q=spec["bad_query"], service=spec["service"], levels=levels, start=start, end=end)
        bad_buckets = log_count_over_time(query=q, step=HOUR).buckets
    else:
        bad_buckets = [b for b in total_buckets if b.level in levels]
    total: dict[int, int] = defaultdict(int)
    bad: dict[int, int] = defaultdict(int)
    for b in total_buckets:
        total[int(b.start.timestamp()) // HOUR * HOUR] += b.count
    for b in bad_buckets:
        bad[int(b.start.timestamp()) // HOUR * HOUR] += b.count
    return {h: Counts(min(bad.get(h, 0), t), t) for h, t in total.items() if t}
