"""``slo_demo_seed``: SLOs on the demo services' synthetic traffic (see ``sre/demo/traffic.py``).

``checkout-latency-1s`` asks 99.95% of checkout requests under 1 s while the generator keeps about 1%
above it (more in bursts): a 20x burn, so its page reaches the alerts ledger at the first evaluation
after the demo traffic arrives.

``slo_demo_history`` writes the budget history (status snapshots) of the demo's first start: the 30 days of
traffic ``sre.demo.history`` backfills would otherwise show as one point, the evaluator's first."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from itertools import accumulate

from django.db import transaction

from slo.choices import BudgetingMethod
from slo.domain.budget import Counts, timeslice_counts
from slo.domain.exact import exact
from slo.domain.windows import MINUTE, window_minutes
from slo.models import SLO, Service, SLOSnapshot
from slo.selectors import slo_exclusions, slo_query
from slo.selectors.counts import _resolve, _to_counts
from slo.services import (
    slo_counts_evaluate,
    slo_evaluate,
    slo_save,
    slo_windows,
    snapshot_row,
    status_document,
)
from telemetry.models import MinuteRollup

REQUESTS = "http_requests_total"
BUCKETS = "http_request_duration_seconds_bucket"


def _ratio(service: str) -> dict:
    return {"bad": f'{REQUESTS}{{service="{service}", code=~"5.."}}', "total": f'{REQUESTS}{{service="{service}"}}'}


DEMO_SLOS = (
    {
        "service": "checkout",
        "name": "checkout-availability",
        "display_name": "Checkout availability",
        "description": "Checkout requests answered without a 5xx.",
        "target": "0.999",
        "sli_kind": "ratio",
        "sli": _ratio("checkout"),
    },
    {
        "service": "checkout",
        "name": "checkout-latency-1s",
        "display_name": "Checkout under 1 s (burning)",
        "description": "Demo: an objective the generator cannot meet, so its budget burns at ~20x and pages.",
        "target": "0.9995",
        "sli_kind": "latency",
        "sli": {"selector": f'{BUCKETS}{{service="checkout"}}', "threshold": "1"},
    },
    {
        "service": "payments-api",
        "name": "payments-api-availability",
        "display_name": "Payments API availability",
        "target": "0.999",
        "sli_kind": "ratio",
        "sli": _ratio("payments-api"),
    },
    {
        "service": "search",
        "name": "search-latency-500ms",
        "display_name": "Search under 500 ms",
        "target": "0.95",
        "window_days": 28,
        "sli_kind": "latency",
        "sli": {"selector": f'{BUCKETS}{{service="search"}}', "threshold": "0.5"},
    },
    {
        "service": "search",
        "name": "search-good-minutes",
        "display_name": "Search good minutes (Timeslices)",
        "target": "0.99",
        "budgeting_method": "Timeslices",
        "timeslice_target": "0.99",
        "sli_kind": "ratio",
        "sli": {"good": f'{REQUESTS}{{service="search", code!~"5.."}}', "total": f'{REQUESTS}{{service="search"}}'},
    },
    {
        "service": "notifications",
        "name": "notifications-error-logs",
        "display_name": "Notifications critical log lines",
        "description": "Share of the sender's log lines that are critical (failed deliveries are errors, retried).",
        "target": "0.9",
        "window_kind": "calendar",
        "calendar_unit": "week",
        "timezone": "Europe/Paris",
        "sli_kind": "log",
        "sli": {"service": "notifications", "bad_query": "", "bad_levels": ["critical"]},
    },
)


def slo_demo_seed() -> int:
    """Create the demo SLOs that are missing (existing ones, maybe edited, are left alone); returns how
    many were created. Services missing are skipped (``demo_seed`` creates them first)."""
    created = 0
    with transaction.atomic():
        services = {s.name: s for s in Service.objects.filter(name__in={d["service"] for d in DEMO_SLOS})}
        names = [d["name"] for d in DEMO_SLOS]
        # SLO names repeat across services: an SLO is (service, name)
        existing = set(SLO.objects.filter(name__in=names).values_list("service__name", "name"))
        for spec in DEMO_SLOS:
            if (spec["service"], spec["name"]) in existing or spec["service"] not in services:
                continue
            slo_save(slo=None, data={**spec, "service": services[spec["service"]]})
            created += 1
    return created


METRIC_STORE_SLIS = ("ratio", "latency")


def slo_demo_history(*, instants: list[int], log_since: int | None = None) -> int:
    """Store a status snapshot of every enabled SLO at each unix second of ``instants`` (past ones) that has
    none there yet; returns how many were written. Burn alerts are not raised for the past.

    Each snapshot is the evaluator's own: ``slo.domain.budget.evaluate`` and ``status_document`` over the
    counts of every window the SLO needs at that instant. For metric-store SLIs the counts come from one read
    of the SLO's series' minute rollups, summed per window with prefix sums and counted by the evaluator's
    ``_to_counts``, so 30 days of hourly snapshots cost one read per SLO instead of 720 evaluations. Other
    SLIs (logs, PromQL) are evaluated as the evaluator does, at the instants from ``log_since`` on.

    Reads folded rollups only (what a backfill writes); rows staged by live ingest are folded within a second."""
    instants = sorted(set(instants))
    if not instants:
        return 0
    slos = list(SLO.objects.select_related("service").filter(enabled=True).order_by("pk"))
    taken = set(
        SLOSnapshot.objects.filter(
            slo__in=slos,
            at__in=[dt.datetime.fromtimestamp(t, tz=dt.UTC) for t in instants],
        ).values_list("slo_id", "at")
    )
    snapshots: list[SLOSnapshot] = []
    for slo in slos:
        wanted = [t for t in instants if (slo.pk, dt.datetime.fromtimestamp(t, tz=dt.UTC)) not in taken]
        if not wanted:
            continue
        if slo.sli_kind in METRIC_STORE_SLIS:
            snapshots += _from_minutes(slo, wanted)
        elif log_since is not None:
            for t in (t for t in wanted if t >= log_since):
                at = dt.datetime.fromtimestamp(t, tz=dt.UTC)
                result = slo_evaluate(slos=[slo], now=at)[0]
                snapshots.append(snapshot_row(slo=slo, doc=result.document, at=at, error=result.error))
    SLOSnapshot.objects.bulk_create(snapshots, batch_size=1000, ignore_conflicts=True)
    return len(snapshots)


def _from_minutes(slo: SLO, instants: list[int]) -> list[SLOSnapshot]:
    """Snapshots at ``instants`` from one read of the SLO's series: per series, prefix sums over the minutes,
    so each window's per-series increases cost two lookups; ``_to_counts`` (the evaluator's) turns them into
    counts, per window (Occurrences) or per minute (Timeslices), as ``slo.selectors.counts`` does."""
    windows = {t: slo_windows(slo, now=dt.datetime.fromtimestamp(t, tz=dt.UTC)) for t in instants}
    longest = max(max(plan[2]) for plan in windows.values())
    base = window_minutes(end=instants[0], seconds=longest)[0]
    stop = window_minutes(end=instants[-1], seconds=MINUTE)[1]
    size = (stop - base) // MINUTE
    resolved = _resolve([slo_query(slo, windows={longest})])[slo.pk]
    ids = sorted(set(resolved.num_ids) | set(resolved.total_ids))
    excluded = slo_exclusions(
        slos=[slo], start=dt.datetime.fromtimestamp(base, tz=dt.UTC), end=dt.datetime.fromtimestamp(stop, tz=dt.UTC)
    ).get(slo.pk, [])
    per_series: dict[int, list[float]] = {sid: [0.0] * size for sid in ids}
    has_row: dict[int, list[int]] = {sid: [0] * size for sid in ids}
    rows = MinuteRollup.objects.filter(series_id__in=ids, start__gte=base, start__lt=stop)
    for sid, start, increase in rows.values_list("series_id", "start", "increase").iterator(chunk_size=20000):
        if not any(a <= start < b for a, b in excluded):
            i = (start - base) // MINUTE
            per_series[sid][i] += increase
            has_row[sid][i] = 1
    slice_target = exact(slo.timeslice_target) if slo.budgeting_method == BudgetingMethod.TIMESLICES else None
    if slice_target is not None:
        slices = _minute_slices(resolved, per_series, has_row, size, slice_target)
    else:
        sums = {sid: list(accumulate(values, initial=0.0)) for sid, values in per_series.items()}
        rows_seen = {sid: list(accumulate(flags, initial=0)) for sid, flags in has_row.items()}
    out = []
    for t in instants:
        window, period, lengths = windows[t]
        counts: dict[int, Counts | None] = {}
        for seconds in lengths:
            lo, hi = window_minutes(end=t, seconds=seconds)
            i, j = max(0, (lo - base) // MINUTE), max(0, (hi - base) // MINUTE)
            if slice_target is not None:
                found = Counts(slices[0][j] - slices[0][i], slices[1][j] - slices[1][i])
                counts[seconds] = found if found.total else None
            else:
                values = {sid: sums[sid][j] - sums[sid][i] for sid in ids if rows_seen[sid][j] > rows_seen[sid][i]}
                counts[seconds] = _to_counts(resolved, values)
        evaluation = slo_counts_evaluate(slo, counts=counts, window=window, period=period)
        at = dt.datetime.fromtimestamp(t, tz=dt.UTC)
        out.append(snapshot_row(slo=slo, doc=status_document(slo, evaluation, "", at, window), at=at, error=""))
    return out


def _minute_slices(resolved, per_series: dict, has_row: dict, size: int, slice_target: Fraction) -> tuple:
    """Prefix sums of (bad slices, slices with data) over the minutes (``timeslice_counts`` of each minute)."""
    bad, total = [0] * (size + 1), [0] * (size + 1)
    for i in range(size):
        values = {sid: per_series[sid][i] for sid in per_series if has_row[sid][i]}
        c = _to_counts(resolved, values) if values else None
        one = timeslice_counts(slices=[c] if c is not None else [], slice_target=slice_target)
        bad[i + 1], total[i + 1] = bad[i] + one.bad, total[i] + one.total
    return bad, total
