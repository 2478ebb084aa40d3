"""What a time range cost many SLOs at once (an incident's page shows it for every SLO of its services).

``slo_budget_impacts(slo_ids=, start=, end=)`` answers what ``slo.selectors.slo_budget_impact`` answers for one SLO,
for all of them in one counting pass per kind of read: the range's counts, the window's counts (one pass per window
length), and the per-minute counts read once for all their series. SLOs on the same series (ten objectives on one
service's request counter) share the per-minute arithmetic; only the comparison with each target is per SLO.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections import defaultdict
from fractions import Fraction

from slo.domain.budget import sli
from slo.domain.exact import exact
from slo.domain.windows import MINUTE, slo_window_seconds
from slo.models import SLO
from slo.selectors import BudgetImpact, _range_counts, slo_query
from slo.selectors.counts import SloQuery, _minutes, _resolve, _to_counts

NEAR = 1e-9  # float SLIs this close to a target are compared exactly


def _float_sli(r, values: dict[int, float]) -> float | None:
    """A minute's SLI in floats, as ``_to_counts`` and ``sli`` count it exactly (None: no data)."""
    totals = [v for i in r.total_ids if (v := values.get(i)) is not None]
    if not totals:
        return None
    nums = [v for i in r.num_ids if (v := values.get(i)) is not None]
    if r.skip_missing_good and not nums:
        return None
    total, num = sum(totals), sum(nums)
    bad = max(0.0, total - num) if r.numerator == "good" else min(num, total)
    return None if total <= 0 else (total - bad) / total


def _bad_minutes(slos: list[SLO], *, start: int, end: int) -> dict[int, int]:
    """Per SLO: minutes in ``[start, end)`` whose SLI was below its target (metric-store SLIs; others 0)."""
    out = dict.fromkeys((slo.pk for slo in slos), 0)
    wanted = [slo for slo in slos if slo.sli_kind in ("ratio", "latency")]
    if not wanted or end <= start:
        return out
    seconds = end - start
    queries = [slo_query(slo, windows={seconds}) for slo in wanted]
    resolved = _resolve(queries)
    per_key: dict[tuple, list[SloQuery]] = defaultdict(list)
    for q in queries:
        r = resolved[q.slo_id]
        per_key[(tuple(sorted(r.num_ids)), tuple(sorted(r.total_ids)), r.numerator, r.skip_missing_good)].append(q)
    # one SLO per distinct series set is read and counted; the others of that set reuse its minutes
    readers = [
        SloQuery(
            qs[0].slo_id, qs[0].kind, qs[0].spec, frozenset({seconds}), Fraction(1), missing_good=qs[0].missing_good
        )
        for qs in per_key.values()
    ]
    now = dt.datetime.fromtimestamp(end - MINUTE, tz=dt.UTC)
    per_minute = _minutes(readers, resolved, now=now)
    targets = {slo.pk: exact(slo.target) for slo in wanted}
    for qs in per_key.values():
        reader = qs[0].slo_id
        r = resolved[reader]
        minutes = [(m, v) for m, v in per_minute.get(reader, {}).items() if start <= m < end]
        ratios = sorted((ratio, m) for m, v in minutes if (ratio := _float_sli(r, v)) is not None)
        floats = [ratio for ratio, _ in ratios]
        values = dict(minutes)
        for q in qs:
            target = targets[q.slo_id]
            low, high = bisect_left(floats, float(target) - NEAR), bisect_right(floats, float(target) + NEAR)
            # below target for sure, plus the few too close to the target for floats: counted exactly
            out[q.slo_id] = low + sum(
                1
                for _, m in ratios[low:high]
                if (exact_ratio := sli(_to_counts(r, values[m]))) is not None and exact_ratio < target
            )
    return out


def slo_budget_impacts(*, slo_ids: list[int], start: dt.datetime, end: dt.datetime) -> dict[int, BudgetImpact]:
    """Per SLO id: bad and total events in ``[start, end]`` (whole minutes), the share of the budget of the SLO
    window ending at ``end`` they consumed, and the minutes whose SLI was below target."""
    slos = list(SLO.objects.select_related("service").filter(pk__in=slo_ids).order_by("pk"))
    if not slos:
        return {}
    counts = _range_counts(slos, start=start, end=end)
    by_window: dict[int, list[SLO]] = defaultdict(list)
    for slo in slos:
        seconds = slo_window_seconds(
            kind=slo.window_kind, days=slo.window_days, unit=slo.calendar_unit, tz=slo.timezone, now=end
        )
        by_window[seconds].append(slo)
    window_counts = {}
    for seconds, group in by_window.items():
        window_counts.update(_range_counts(group, start=end - dt.timedelta(seconds=seconds), end=end))
    s, e = int(start.timestamp()) // MINUTE * MINUTE, int(end.timestamp()) // MINUTE * MINUTE
    bad_minutes = _bad_minutes(slos, start=s, end=e)
    out = {}
    for slo in slos:
        mine, window = counts[slo], window_counts[slo]
        consumed = None
        if mine is not None and window is not None and window.total:
            consumed = Fraction(mine.bad) / ((1 - exact(slo.target)) * window.total)
        out[slo.pk] = BudgetImpact(
            slo_id=slo.pk,
            bad=mine.bad if mine else 0,
            total=mine.total if mine else 0,
            budget_consumed_ratio=consumed,
            bad_minutes=bad_minutes[slo.pk],
            data_state="ok" if mine is not None else "no_data",
        )
    return out
