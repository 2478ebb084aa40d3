"""The slo app's evaluator: windows and counts of each SLO, its status document and snapshot, and the burn
alerts it raises and resolves through ``alerts.services.alert_raise``."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from fractions import Fraction

import psycopg
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from alerts.services import alert_raise
from slo import metrics
from slo.choices import DataState, WindowKind
from slo.domain.budget import Condition, Evaluation, evaluate, policy_windows
from slo.domain.exact import decimal_str, exact
from slo.domain.spec import policy_validate
from slo.domain.windows import (
    BURN_WINDOWS,
    calendar_start,
    slo_period_seconds,
    slo_window_seconds,
)
from slo.models import SLO, SLOSnapshot
from slo.selectors import slo_counts, slo_exclusions, slo_query
from sre.domain.durations import format_duration
from telemetry.fold import rollups_fold

logger = logging.getLogger(__name__)

ALERT_NAME = "SLOErrorBudgetBurn"
EXHAUSTION_WINDOW = 3600


@dataclass
class SloResult:
    slo: SLO
    evaluation: Evaluation | None
    error: str
    document: dict


def slo_windows(slo: SLO, *, now: dt.datetime) -> tuple[int, int, set[int]]:
    """(window seconds, period seconds, every window length to count) for ``slo`` at ``now``."""
    window = slo_window_seconds(
        kind=slo.window_kind, days=slo.window_days, unit=slo.calendar_unit, tz=slo.timezone, now=now
    )
    period = slo_period_seconds(
        kind=slo.window_kind, days=slo.window_days, unit=slo.calendar_unit, tz=slo.timezone, now=now
    )
    conditions = _conditions(slo)
    return window, period, {window, EXHAUSTION_WINDOW, *BURN_WINDOWS.values(), *policy_windows(conditions)}


_POLICY_CACHE: dict[str, tuple[Condition, ...]] = {}


def _conditions(slo: SLO) -> tuple[Condition, ...]:
    """Validated conditions of the SLO's stored policy (memoised: most SLOs share the default policy)."""
    cached = getattr(slo, "_conditions_cache", None)
    if cached is not None and cached[0] is slo.alert_policy:
        return cached[1]
    key = repr(slo.alert_policy)
    if key not in _POLICY_CACHE:
        if len(_POLICY_CACHE) > 1000:
            _POLICY_CACHE.clear()
        _POLICY_CACHE[key] = tuple(policy_validate(slo.alert_policy))
    slo._conditions_cache = (slo.alert_policy, _POLICY_CACHE[key])
    return _POLICY_CACHE[key]


def slo_counts_evaluate(slo: SLO, *, counts: dict, window: int, period: int) -> Evaluation:
    """``slo.domain.budget.evaluate`` with ``slo``'s target, policy, burn windows and exhaustion window over
    ``counts`` per window length: the one evaluation the evaluator and the demo's backfill both make."""
    return evaluate(
        target=exact(slo.target),
        window_seconds=window,
        period_seconds=period,
        counts=counts,
        conditions=_conditions(slo),
        burn_windows=BURN_WINDOWS,
        exhaustion_window=EXHAUSTION_WINDOW,
    )


def slo_evaluate(*, slos: list[SLO], now: dt.datetime) -> list[SloResult]:
    """Evaluate many SLOs at ``now`` in bulk (reads only): one counting pass over every source."""
    if not slos:
        return []
    plans = {slo.pk: slo_windows(slo, now=now) for slo in slos}
    longest = max(plan[0] for plan in plans.values())
    excluded = slo_exclusions(slos=slos, start=now - dt.timedelta(seconds=longest), end=now)
    queries = [slo_query(slo, windows=plans[slo.pk][2], excluded=excluded.get(slo.pk)) for slo in slos]
    counts = slo_counts(queries=queries, now=now)
    results = []
    for slo in slos:
        window, period, _ = plans[slo.pk]
        found = counts[slo.pk]
        if found.error:
            results.append(SloResult(slo, None, found.error, status_document(slo, None, found.error, now, window)))
            continue
        evaluation = slo_counts_evaluate(slo, counts=found.counts, window=window, period=period)
        results.append(SloResult(slo, evaluation, "", status_document(slo, evaluation, "", now, window)))
    return results


def _num(value: Fraction | int | None) -> float | None:
    return None if value is None else float(value)


def count_json(value: Fraction | int | float | None) -> int | float | None:
    """An event count for JSON: an integer when whole (``5528176``, not ``5528176.0``); a fractional count
    (PromQL's ``increase()`` extrapolates) stays a number with its fraction, never rounded."""
    if value is None:
        return None
    if isinstance(value, int) or (isinstance(value, Fraction) and value.denominator == 1):
        return int(value)
    as_float = float(value)
    return int(as_float) if as_float.is_integer() else as_float


def window_start(slo: SLO, *, now: dt.datetime, seconds: int) -> dt.datetime:
    """Start of the window ``(start, now]``: the period start for a calendar window, else ``now − seconds``."""
    if slo.window_kind == WindowKind.CALENDAR:
        return calendar_start(unit=slo.calendar_unit, tz=slo.timezone, now=now)
    return now - dt.timedelta(seconds=seconds)


def status_document(slo: SLO, ev: Evaluation | None, error: str, now: dt.datetime, window: int) -> dict:
    """The JSON status of an SLO (the API's ``/status`` and the cached ``SLO.status``)."""
    target = exact(slo.target)
    doc: dict = {
        "evaluated_at": now.isoformat(),
        "target": decimal_str(target),
        "window": {
            "kind": slo.window_kind,
            "days": slo.window_days if slo.window_kind == WindowKind.ROLLING else None,
            "calendar_unit": slo.calendar_unit if slo.window_kind == WindowKind.CALENDAR else None,
            "timezone": slo.timezone,
            "seconds": window,
            "start": window_start(slo, now=now, seconds=window).isoformat(),
            "end": now.isoformat(),
        },
        "budgeting_method": slo.budgeting_method,
        "data_state": DataState.SOURCE_ERROR if error else (ev.data_state if ev else DataState.NO_DATA),
        "error": error,
        "sli": None,
        "missing_good": slo.missing_good,
        "error_budget": {
            "total_events": None,
            "bad_events": None,
            "allowed_bad": None,
            "bad": None,
            "remaining_ratio": None,
            "consumed_ratio": None,
        },
        "burn_rates": dict.fromkeys([*BURN_WINDOWS, "slo"]),
        "alerts": [],
        "conditions": [],
        "time_to_exhaustion_seconds": None,
    }
    if ev is None:
        return doc
    b = ev.budget
    doc["sli"] = _num(ev.sli)
    doc["error_budget"] = {
        "total_events": count_json(b.total_events),
        "bad_events": count_json(b.bad),
        "allowed_bad": count_json(b.allowed_bad),
        "bad": count_json(b.bad),  # deprecated alias of bad_events (cached statuses and older clients)
        "remaining_ratio": _num(b.remaining_ratio),
        "consumed_ratio": _num(b.consumed),
    }
    doc["burn_rates"] = {name: _num(rate) for name, rate in ev.burn_rates.items()}
    doc["time_to_exhaustion_seconds"] = _num(ev.time_to_exhaustion)
    for c in ev.conditions:
        item = {
            "name": c.condition.name,
            "severity": c.condition.severity,
            "factor": decimal_str(c.condition.factor),
            "threshold": decimal_str(c.threshold),
            "long_window": format_duration(c.condition.long_window),
            "short_window": format_duration(c.condition.short_window),
            "long_ratio": _num(c.long_ratio),
            "short_ratio": _num(c.short_ratio),
            "long_burn_rate": _num(c.long_burn),
            "short_burn_rate": _num(c.short_burn),
            "firing": c.firing,
            "data_state": c.data_state,
        }
        doc["conditions"].append(item)
        if c.firing:
            doc["alerts"].append(item)
    return doc


def _alert_labels(slo: SLO, item: dict) -> dict[str, str]:
    return {
        "alertname": ALERT_NAME,
        "service": slo.service.name,
        "slo": slo.name,
        "severity": item["severity"],
        "long_window": item["long_window"],
        "short_window": item["short_window"],
    }


def _fmt(value: float | None, pattern: str = "{:.6g}") -> str:
    return "n/a" if value is None else pattern.format(value)


def _alert_annotations(slo: SLO, item: dict, doc: dict) -> dict[str, str]:
    tte = doc["time_to_exhaustion_seconds"]
    consumed = doc["error_budget"]["consumed_ratio"]
    return {
        "summary": f"SLO {slo.name} ({slo.service.name}) burns its error budget at over {item['factor']}x",
        "description": (
            f"Error ratio {_fmt(item['long_ratio'])} over {item['long_window']} and {_fmt(item['short_ratio'])} "
            f"over {item['short_window']}, both above {item['threshold']} = {item['factor']} x (1 - {doc['target']})."
        ),
        "long_window_ratio": _fmt(item["long_ratio"], "{!r}"),
        "short_window_ratio": _fmt(item["short_ratio"], "{!r}"),
        "long_window_burn_rate": _fmt(item["long_burn_rate"]),
        "short_window_burn_rate": _fmt(item["short_burn_rate"]),
        "threshold": item["threshold"],
        "factor": item["factor"],
        "target": doc["target"],
        "budget_consumed": _fmt(consumed),
        "budget_remaining": _fmt(doc["error_budget"]["remaining_ratio"]),
        "time_to_exhaustion_seconds": "never at this rate" if tte is None else str(round(tte)),
    }


def alert_set(*, labels: dict, annotations: dict, firing: bool, now: dt.datetime, url: str = "") -> None:

    alert_raise(
        labels=labels,
        annotations=annotations,
        status="firing" if firing else "resolved",
        source="slo",
        now=now,
        generator_url=url,
    )


def snapshot_row(*, slo: SLO, doc: dict, at: dt.datetime, error: str) -> SLOSnapshot:
    """The (unsaved) history row for a status document: what the evaluator stores and the demo backfills."""
    budget = doc["error_budget"]
    return SLOSnapshot(
        slo=slo,
        at=at,
        data_state=doc["data_state"],
        error=error[:2000],
        sli=doc["sli"],
        bad=budget["bad_events"],
        total=budget["total_events"],
        remaining_ratio=budget["remaining_ratio"],
        time_to_exhaustion=doc["time_to_exhaustion_seconds"],
        burn_rates=doc["burn_rates"],
        firing=[a["name"] for a in doc["alerts"]],
    )


def slo_evaluate_all(*, now: dt.datetime, slo_ids: list[int] | None = None) -> dict:
    """Evaluate every enabled SLO (or ``slo_ids``), store one snapshot each and raise/resolve burn alerts.

    Idempotent: rows are locked (ordered by pk) and an SLO already evaluated at or after ``now`` is
    skipped, so a duplicate run leaves the same state. A source error keeps the alert state as it was
    (no resolve on an outage) and is recorded in the snapshot."""
    qs = SLO.objects.select_related("service").filter(enabled=True)
    if slo_ids is not None:
        qs = qs.filter(pk__in=slo_ids)
    slos = list(qs.order_by("pk"))
    # Metric batches staged on PostgreSQL reach the rollup tables within a second; fold what is left so
    # the counts below include every accepted sample (telemetry.fold).
    try:
        rollups_fold(wait=True)
    except (DatabaseError, psycopg.Error) as exc:  # a fold stuck behind a lock: evaluate what is folded
        logger.warning("slo: folding staged metric increments failed (%s); evaluating folded data", exc)
    results = slo_evaluate(slos=slos, now=now)
    stats = {"evaluated": 0, "skipped": 0, "raised": 0, "resolved": 0, "errors": 0}
    base = settings.SRE["BASE_URL"].rstrip("/")
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # bulk_update's CASE over hundreds of rows looks expensive enough to the planner to trigger
            # JIT compilation, which costs far more than the update itself.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        fresh = set(
            SLO.objects.select_for_update()
            .filter(pk__in=[s.pk for s in slos])
            .exclude(status_at__gte=now)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        snapshots, updated = [], []
        for r in results:
            slo, doc = r.slo, r.document
            if slo.pk not in fresh:
                stats["skipped"] += 1
                continue
            stats["evaluated"] += 1
            stats["errors"] += bool(r.error)
            snapshots.append(snapshot_row(slo=slo, doc=doc, at=now, error=r.error))
            if not r.error:
                firing = {tuple(sorted(_alert_labels(slo, a).items())): a for a in doc["alerts"]}
                before = {tuple(sorted(labels.items())) for labels in slo.burn_alerts}
                url = f"{base}/slos/{slo.pk}/"
                for key in firing.keys() - before:
                    alert_set(
                        labels=dict(key),
                        annotations=_alert_annotations(slo, firing[key], doc),
                        firing=True,
                        now=now,
                        url=url,
                    )
                    stats["raised"] += 1
                for key in before - firing.keys():
                    alert_set(
                        labels=dict(key),
                        annotations={"summary": f"SLO {slo.name} burn is back under threshold"},
                        firing=False,
                        now=now,
                        url=url,
                    )
                    stats["resolved"] += 1
                slo.burn_alerts = [dict(key) for key in sorted(firing)]
            slo.status, slo.status_at = doc, now
            updated.append(slo)
        SLOSnapshot.objects.bulk_create(snapshots, batch_size=1000, ignore_conflicts=True)
        _statuses_store(updated)
    metrics.record(stats)
    return stats


STATUS_FIELDS = ("status", "status_at", "burn_alerts")


def _statuses_store(slos: list[SLO]) -> None:
    """Write the evaluated status of many SLOs: one ``UPDATE ... WHERE id = %s`` per SLO sent with
    ``executemany`` (a pipeline on PostgreSQL). Django's ``bulk_update`` builds a CASE expression per row and
    field, which cost more Python time than all the counting queries together at 1,000 SLOs."""
    if not slos:
        return
    concrete = {f.name: f for f in SLO._meta.concrete_fields}
    fields = [concrete[name] for name in STATUS_FIELDS]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = f"UPDATE {quote(SLO._meta.db_table)} SET {assignments} WHERE {quote(SLO._meta.pk.column)} = %s"  # noqa: S608
    rows = [[field.get_db_prep_save(getattr(slo, field.attname), connection) for field in fields] + [slo.pk]
            for slo in slos]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def snapshots_expire(*, now: dt.datetime) -> int:
    """Delete snapshots older than ``SRE["SLO_SNAPSHOT_RETENTION_DAYS"]`` in bounded batches."""
    cutoff = now - dt.timedelta(days=settings.SRE.get("SLO_SNAPSHOT_RETENTION_DAYS", 35))
    deleted = 0
    while True:
        ids = list(SLOSnapshot.objects.filter(at__lt=cutoff).values_list("pk", flat=True)[:5000])
        if not ids:
            return deleted
        deleted += SLOSnapshot.objects.filter(pk__in=ids).delete()[0]
