"""Reads of the slo app (and the contracts other apps use).

slo_daily_sli(slo_ids=, days=, now=, tz=)      -> per SLO, per local day: (good, total) or None
slo_budget_impact(slo_id=, start=, end=)       -> bad/total events, share of the window budget,
                                                  bad minutes in [start, end]
slo_exclusions(slos=, start=, end=)            -> maintenance ranges left out of budgets
slo_range_counts(slos=, start=, end=)          -> per SLO id: bad/total counts over (start, end], or None
slo_counts(queries=, now=)  (slo.selectors.counts) -> bulk counts per window from every source
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from django.db.models import Case, FloatField, IntegerField, Q, QuerySet, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from alerts.domain.matchers import matches_all, parse_matchers
from alerts.domain.suppression import next_occurrence
from alerts.models import Alert, MaintenanceWindow
from slo.choices import BudgetingMethod
from slo.domain.budget import Counts, sli
from slo.domain.exact import exact
from slo.domain.windows import MINUTE, slo_window_seconds, zone
from slo.models import SLO, Service, SLOSnapshot
from slo.selectors.counts import SloCounts, SloQuery, _minutes, _resolve, _to_counts, slo_counts

__all__ = [
    "SloCounts",
    "SloQuery",
    "service_list",
    "slo_budget_impact",
    "slo_counts",
    "slo_daily_sli",
    "slo_exclusions",
    "slo_list",
    "slo_range_counts",
]


def service_list() -> QuerySet[Service]:
    return Service.objects.all()


def service_get(*, service_id: int) -> Service | None:
    return Service.objects.filter(pk=service_id).first()


def slo_count(*, service_id: int) -> int:
    return SLO.objects.filter(service_id=service_id).count()


def service_names() -> set[str]:
    return set(Service.objects.values_list("name", flat=True))


def slo_get(*, slo_id: int) -> SLO | None:
    """One SLO with its service, or None."""
    return SLO.objects.select_related("service").filter(pk=slo_id).first()


def slo_saved_at(*, slo_id: int) -> dt.datetime | None:
    """When the SLO was last saved, ``None`` if there is no such SLO: one column, for a page kept until the SLO
    changes."""
    return SLO.objects.filter(pk=slo_id).values_list("updated_at", flat=True).first()


def slo_list(*, service: str = "", enabled: bool | None = None, name: str = "") -> QuerySet[SLO]:
    qs = SLO.objects.select_related("service")
    if service:
        qs = qs.filter(service__name=service)
    if name:
        qs = qs.filter(name=name)
    if enabled is not None:
        qs = qs.filter(enabled=enabled)
    return qs


def slos_of_services(*, service_ids: list[int]) -> list[SLO]:
    """The SLOs of these services with their service, oldest first (an incident's affected services)."""
    if not service_ids:
        return []
    return list(SLO.objects.select_related("service").filter(service_id__in=service_ids).order_by("pk"))


def slo_remaining_budgets() -> list[tuple[int, str, str, str, str | None]]:
    """``(pk, name, display_name, service name, remaining budget ratio as text or None)`` of every enabled SLO. One
    narrow query: the ratio is read from the cached status by the database, so 1,000 SLOs cost a few milliseconds,
    not 1,000 status documents decoded."""
    return list(
        SLO.objects.filter(enabled=True)
        .annotate(remaining_text=KT("status__error_budget__remaining_ratio"))
        .values_list("pk", "name", "display_name", "service__name", "remaining_text")
    )


def slo_list_ranked(*, text: str = "", data: str = "") -> QuerySet[SLO]:
    """The SLO list: least budget left first, no data last, then name; ``text`` in the name, display name or
    service; ``data`` "no_data" (never evaluated, or no budget figure) or "at_risk" (under 25% left). Sorted by
    the database, so a page of 50 out of 1,000 SLOs reads 50 rows."""
    # No data: the key is missing (never evaluated) or JSON null. (SQLite casts a JSON null to 0.0: say it apart.)
    no_data = Q(status__error_budget__remaining_ratio__isnull=True) | Q(status__error_budget__remaining_ratio=None)
    qs = slo_list().annotate(
        no_data=Case(When(no_data, then=Value(1)), default=Value(0), output_field=IntegerField()),
        remaining_sort=Cast(KT("status__error_budget__remaining_ratio"), FloatField()),
    )
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(display_name__icontains=text) | Q(service__name__icontains=text))
    if data == "no_data":
        qs = qs.filter(no_data=1)
    elif data == "at_risk":
        qs = qs.filter(no_data=0, remaining_sort__lt=0.25)
    return qs.order_by("no_data", "remaining_sort", "name", "pk")


def slo_exclusions(*, slos: list[SLO], start: dt.datetime, end: dt.datetime) -> dict[int, list[tuple[int, int]]]:
    """Maintenance ranges (unix seconds) to leave out of each SLO's counts within ``[start, end]``.

    Taken from ``alerts.MaintenanceWindow`` rows flagged ``exclude_from_slo`` (a field the status page
    work adds; until it exists nothing is excluded). A window with matchers applies to the SLOs whose
    burn-alert labels (``service``, ``slo``) match; without matchers to every SLO."""
    if "exclude_from_slo" not in {f.name for f in MaintenanceWindow._meta.get_fields()}:
        return {}

    out: dict[int, list[tuple[int, int]]] = {}
    for window in MaintenanceWindow.objects.filter(exclude_from_slo=True, starts_at__lt=end):
        ranges, after = [], start
        for _ in range(2000):
            occ = next_occurrence(
                starts_at=window.starts_at,
                ends_at=window.ends_at,
                recurrence=window.recurrence,
                until=window.recurrence_until,
                after=after,
            )
            if occ is None or occ[0] >= end:
                break
            ranges.append((int(occ[0].timestamp()), int(occ[1].timestamp())))
            after = occ[1]
        if not ranges:
            continue
        try:
            matchers = parse_matchers([str(m) for m in window.matchers or []])
        except ValueError:
            continue
        for slo in slos:
            if matches_all(matchers, {"service": slo.service.name, "slo": slo.name}):
                out.setdefault(slo.pk, []).extend(ranges)
    return out


def slo_query(slo: SLO, *, windows: set[int], excluded: list[tuple[int, int]] | None = None) -> SloQuery:
    """What to count for ``slo`` (its spec as stored, validated on save)."""
    timeslices = slo.budgeting_method == BudgetingMethod.TIMESLICES
    return SloQuery(
        slo_id=slo.pk,
        kind=slo.sli_kind,
        spec=slo.sli,
        windows=frozenset(windows),
        slice_target=exact(slo.timeslice_target) if timeslices else None,
        excluded=tuple(excluded or ()),
        missing_good=slo.missing_good,
    )


def _minute_counts(slo: SLO, *, start: int, end: int) -> dict[int, Counts]:
    """Per-minute counts of one SLO over bucket starts in ``[start, end)`` (minute aligned).

    Uses the same counting path as the evaluator: each minute is a one-minute window. For the metric
    store this reads the minute rollups once; PromQL and log SLIs ask their source per day."""
    if slo.sli_kind in ("ratio", "latency"):
        q = slo_query(slo, windows={end - start})
        resolved = _resolve([q])
        fake = SloQuery(q.slo_id, q.kind, q.spec, frozenset({end - start}), Fraction(1), missing_good=q.missing_good)
        now = dt.datetime.fromtimestamp(end - MINUTE, tz=dt.UTC)
        per_minute = _minutes([fake], resolved, now=now).get(slo.pk, {})
        r = resolved[slo.pk]
        out = {}
        for m, values in per_minute.items():
            c = _to_counts(r, values)
            if start <= m < end and c is not None:
                out[m] = c
        return out
    return {}


def slo_daily_sli(
    *, slo_ids: list[int], days: int, now: dt.datetime, tz: str = "UTC"
) -> dict[int, list[tuple[dt.date, tuple[Fraction | int, Fraction | int] | None]]]:
    """For each SLO, the last ``days`` local days in ``tz`` (oldest first, today included) with
    ``(good, total)`` events, or None where the day had no traffic (or the source failed).

    One counting query per SLO per day through the evaluator's path (``slo_counts`` with a window of
    that day), so the numbers agree with the SLO pages. Timeslices SLOs report good/total minutes."""
    local_today = now.astimezone(zone(tz)).date()
    slos = list(SLO.objects.filter(pk__in=slo_ids).select_related("service"))
    out: dict[int, list] = {slo.pk: [] for slo in slos}
    for offset in range(days - 1, -1, -1):
        day = local_today - dt.timedelta(days=offset)
        start = dt.datetime.combine(day, dt.time(), tzinfo=zone(tz)).astimezone(dt.UTC)
        end = min(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone(tz)).astimezone(dt.UTC), now)
        if end <= start:
            for slo in slos:
                out[slo.pk].append((day, None))
            continue
        for slo, counts in _range_counts(slos, start=start, end=end).items():
            out[slo.pk].append((day, None if counts is None else (counts.good, counts.total)))
    return out


def _range_counts(slos: list[SLO], *, start: dt.datetime, end: dt.datetime) -> dict[SLO, Counts | None]:
    """Counts of each SLO over ``(start, end]`` (rounded to whole minutes), maintenance excluded."""
    end_ts = int(end.timestamp()) // MINUTE * MINUTE
    seconds = max(MINUTE, end_ts - int(start.timestamp()) // MINUTE * MINUTE)
    at = dt.datetime.fromtimestamp(end_ts - 1, tz=dt.UTC)  # the window ends with the minute before end
    excluded = slo_exclusions(slos=slos, start=start, end=end)
    queries = [slo_query(slo, windows={seconds}, excluded=excluded.get(slo.pk)) for slo in slos]
    result = slo_counts(queries=queries, now=at)
    return {slo: (None if result[slo.pk].error else result[slo.pk].counts.get(seconds)) for slo in slos}


def slo_range_counts(*, slos: list[SLO], start: dt.datetime, end: dt.datetime) -> dict[int, Counts | None]:
    """Counts of each SLO (by id) over ``(start, end]`` in whole minutes, maintenance excluded; None where the
    source failed. One counting pass for all of them (the releases app's release-burn watch)."""
    return {slo.pk: counts for slo, counts in _range_counts(slos, start=start, end=end).items()}


@dataclass(frozen=True)
class BudgetImpact:
    """What ``[start, end]`` cost an SLO (for incidents)."""

    slo_id: int
    bad: Fraction | int
    total: Fraction | int
    budget_consumed_ratio: Fraction | None  # bad / the allowed bad events of the SLO's whole window
    bad_minutes: int  # whole minutes in [start, end) whose SLI was below target (metric-store SLIs)
    data_state: str  # ok | no_data | source_error


def slo_budget_impact(*, slo_id: int, start: dt.datetime, end: dt.datetime) -> BudgetImpact:
    """Bad and total events of the SLO in ``[start, end]`` (whole minutes), the fraction of the budget of
    the SLO window ending at ``end`` that they consumed, and the minutes whose SLI was below target."""
    slo = SLO.objects.select_related("service").get(pk=slo_id)
    target = exact(slo.target)
    counts = _range_counts([slo], start=start, end=end)[slo]
    window = slo_window_seconds(
        kind=slo.window_kind, days=slo.window_days, unit=slo.calendar_unit, tz=slo.timezone, now=end
    )
    window_counts = _range_counts([slo], start=end - dt.timedelta(seconds=window), end=end)[slo]
    consumed = None
    if counts is not None and window_counts is not None and window_counts.total:
        consumed = Fraction(counts.bad) / ((1 - target) * window_counts.total)
    s, e = int(start.timestamp()) // MINUTE * MINUTE, int(end.timestamp()) // MINUTE * MINUTE
    minutes = _minute_counts(slo, start=s, end=e)
    bad_minutes = sum(1 for c in minutes.values() if (ratio := sli(c)) is not None and ratio < target)
    return BudgetImpact(
        slo_id=slo.pk,
        bad=counts.bad if counts else 0,
        total=counts.total if counts else 0,
        budget_consumed_ratio=consumed,
        bad_minutes=bad_minutes,
        data_state="ok" if counts is not None else "no_data",
    )


def slo_history(*, slo_id: int, start: dt.datetime, end: dt.datetime, step: int) -> list[SLOSnapshot]:
    """Snapshots in ``[start, end]``, the last one of each ``step``-second bucket (at most 2,000 points)."""
    rows = SLOSnapshot.objects.filter(slo_id=slo_id, at__gte=start, at__lte=end).order_by("at")
    picked: dict[int, SLOSnapshot] = {}
    for snap in rows.iterator(chunk_size=2000):
        picked[int(snap.at.timestamp()) // step] = snap
    return list(picked.values())


SPARK_POINTS = 24


def slo_sparkline(
    *, slos: list[SLO], since: dt.datetime, now: dt.datetime, points: int = SPARK_POINTS
) -> dict[int, list[tuple[float, float | None]]]:
    """Budget remaining over ``[since, now]`` per SLO for the list's sparklines: ``(unix time, remaining)`` pairs,
    oldest first, ending with the SLO's current status.

    One read of at most ``points`` snapshots per SLO: the evaluator writes one a minute, so the snapshots of the
    two minutes before each of ``points`` evenly spaced instants are taken (never the 1,440 a day holds). An SLO
    with a status but fewer than two of those (its history is younger than one step, e.g. the first hour after
    the first start) gets its own snapshots since ``since`` instead (few rows, since the history is short)."""
    ids = [s.pk for s in slos]
    out: dict[int, dict[float, float | None]] = {i: {} for i in ids}
    if not ids:
        return {}
    # Instants on whole steps (whole hours for a day): snapshots written on the hour (the demo's history) are hit too.
    step = max(60, int((now - since).total_seconds() / points))
    first = int(since.timestamp()) // step * step + step
    instants = range(first, int(now.timestamp()) + 1, step)
    near = Q()
    for t in instants:
        at = dt.datetime.fromtimestamp(t, tz=dt.UTC)
        near |= Q(at__gt=at - dt.timedelta(seconds=120), at__lte=at)
    rows = SLOSnapshot.objects.filter(near, slo_id__in=ids).values_list("slo_id", "at", "remaining_ratio")
    for slo_id, at, remaining in rows.order_by("at"):
        out[slo_id][float(-(-int(at.timestamp()) // step) * step)] = remaining  # the instant at or after it
    for slo in slos:
        current = (slo.status or {}).get("error_budget", {}).get("remaining_ratio")
        if slo.status_at is not None and slo.status_at >= since:
            out[slo.pk][slo.status_at.timestamp()] = current
    young = [
        slo.pk for slo in slos
        if sum(v is not None for v in out[slo.pk].values()) < 2
        and (slo.status or {}).get("error_budget", {}).get("remaining_ratio") is not None
    ]  # fmt: skip
    if young:
        recent = SLOSnapshot.objects.filter(slo_id__in=young, at__gte=since).order_by("-at")
        for slo_id, at, remaining in recent.values_list("slo_id", "at", "remaining_ratio")[: 120 * len(young)]:
            out[slo_id].setdefault(at.timestamp(), remaining)
    return {i: sorted(v.items()) for i, v in out.items()}


def slo_firing_alerts(slo: SLO) -> list:
    """Firing alerts in the alerts app raised for this SLO (its burn alerts), newest first. Firing is the alert's
    own status, the rule of ``alerts.selectors.firing_alert_counts``: an alert resolved by hand is not firing."""
    # an SLO name is unique only within its service: both labels name the SLO
    alerts = Alert.objects.filter(status="firing", source="slo", labels__slo=slo.name)
    return [a for a in alerts.order_by("-starts_at")[:200] if a.labels.get("service") == slo.service.name]


def slo_burn_alerts(slo: SLO) -> dict[tuple[str, str, str], object]:
    """The latest burn alert (firing or resolved) of each policy condition of ``slo``, keyed by
    (severity, long window, short window): what the detail page's policy table says of each condition's alert."""
    out: dict[tuple[str, str, str], object] = {}
    rows = Alert.objects.filter(source="slo", labels__slo=slo.name).order_by("-updated_at", "-pk")
    for alert in rows[:500]:  # the newest first: each condition keeps its latest alert
        labels = alert.labels or {}
        if labels.get("service") == slo.service.name:
            key = (labels.get("severity", ""), labels.get("long_window", ""), labels.get("short_window", ""))
            out.setdefault(key, alert)
    return out


def service_incident_spans(service: Service, *, start: dt.datetime, end: dt.datetime, limit: int = 50) -> list:
    """Incidents naming ``service`` that were open at some time in ``[start, end]``, oldest first (chart markers)."""
    related = getattr(service, "incidents", None)
    if related is None:
        return []
    qs = related.filter(started_at__lte=end).filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=start))
    return list(qs.order_by("started_at", "pk")[:limit])


def service_incidents(service: Service, *, limit: int = 10) -> list:
    """Recent incidents that name ``service`` (the incidents app's ``services`` relation), if any."""
    related = getattr(service, "incidents", None)
    if related is None:
        return []
    return list(related.order_by("-started_at")[:limit])
