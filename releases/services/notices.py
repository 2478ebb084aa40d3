"""Threshold notices: an ``ErrorBudgetThreshold`` alert once per crossing per window (``releases.domain.notices``),
through the same intake as every alert, so routing, silences and on-call paging deliver it to the service's
owners (label ``team=<owner_team>``)."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from fractions import Fraction

from django.db import IntegrityError, transaction

from alerts.services import AlertInput, alerts_ingest
from releases.domain.notices import REARM, notice_plan
from releases.domain.policy import EXHAUSTED, effective_thresholds, percent_label, threshold_severity
from releases.models import BudgetNotice
from releases.selectors import public_link, rules_for, slo_consumed_percent
from slo.choices import WindowKind
from slo.domain.exact import decimal_str
from slo.domain.windows import calendar_start
from slo.models import SLO

logger = logging.getLogger(__name__)

ALERT_NAME = "ErrorBudgetThreshold"
SOURCE = "releases"


def notice_labels(slo: SLO, threshold: Fraction) -> dict[str, str]:
    labels = {
        "alertname": ALERT_NAME,
        "service": slo.service.name,
        "slo": slo.name,
        "threshold": percent_label(threshold),
        "severity": threshold_severity(threshold),
    }
    if slo.service.owner_team:
        labels["team"] = slo.service.owner_team
    return labels


def _pct(value: Fraction) -> str:
    return f"{float(value):.2f}%"


def notice_annotations(slo: SLO, threshold: Fraction, consumed: Fraction, *, freeze: bool) -> dict[str, str]:
    budget = (slo.status or {}).get("error_budget") or {}
    target = (slo.status or {}).get("target", "")
    window = (slo.status or {}).get("window") or {}
    out = {
        "summary": (
            f"{slo.name} ({slo.service.name}) has consumed {_pct(consumed)} of its error budget "
            f"(threshold {percent_label(threshold)})"
        ),
        "description": (
            f"Budget consumed = bad / ((1 - target) x total) = {budget.get('bad')} / ((1 - {target}) x "
            f"{budget.get('total_events')}) = {_pct(consumed)} over the SLO window from {window.get('start')} "
            f"to {window.get('end')}."
        ),
        "budget_consumed": decimal_str(consumed / 100, max_digits=12),
        "consumed_percent": f"{float(consumed):.4f}",
        "threshold": percent_label(threshold),
        "bad": str(budget.get("bad")),
        "allowed_bad": str(budget.get("allowed_bad")),
        "total": str(budget.get("total_events")),
        "target": str(target),
    }
    if threshold >= EXHAUSTED and freeze:
        out["release_freeze"] = f"The deploy gate of {slo.service.name} denies releases until the budget recovers."
    return out


def _period_start(slo: SLO, now: dt.datetime) -> dt.datetime | None:
    if slo.window_kind != WindowKind.CALENDAR:
        return None
    return calendar_start(unit=slo.calendar_unit, tz=slo.timezone, now=now)


def budget_notices_evaluate(*, now: dt.datetime) -> dict:
    """Open and close threshold notices for every enabled SLO from its last evaluation, raising and resolving
    their alerts in one batch. Notices of SLOs disabled or deleted since are closed (their alerts resolved).

    A few queries whatever the number of SLOs. Idempotent: an open notice is never sent again, and the
    constraints on ``BudgetNotice`` make a concurrent duplicate run fail its insert and roll back whole (the other
    run did the work), so nothing is sent twice."""
    slos = list(SLO.objects.select_related("service").filter(enabled=True).order_by("pk"))
    rules = rules_for(slos=slos)
    stats = {"opened": 0, "closed": 0, "slos": len(slos)}
    starts = {slo.pk: _period_start(slo, now) for slo in slos}
    try:
        with transaction.atomic():
            open_rows = list(BudgetNotice.objects.select_for_update().filter(cleared_at__isnull=True).order_by("pk"))
            periods = {s for s in starts.values() if s is not None}
            sent: set[tuple[int, Fraction]] = set()
            if periods:
                calendar = [pk for pk, s in starts.items() if s is not None]
                rows = BudgetNotice.objects.filter(slo_id__in=calendar, window_start__in=periods)
                for slo_id, sent_threshold, window_start in rows.values_list("slo_id", "threshold", "window_start"):
                    if starts[slo_id] == window_start:
                        sent.add((slo_id, Fraction(sent_threshold)))
            by_slo: dict[int | None, dict[Fraction, BudgetNotice]] = {}
            for row in open_rows:
                by_slo.setdefault(row.slo_id, {})[Fraction(row.threshold)] = row
            to_close: list[BudgetNotice] = []
            to_open: list[BudgetNotice] = []
            items: list[AlertInput] = []
            for slo in slos:
                open_here = by_slo.pop(slo.pk, {})
                consumed = slo_consumed_percent(slo)
                plan = notice_plan(
                    consumed_percent=consumed,
                    thresholds=effective_thresholds(rules[slo.pk]),
                    open_notices={t: row.window_start for t, row in open_here.items()},
                    sent_in_period=frozenset(t for (pk, t) in sent if pk == slo.pk),
                    period_start=starts[slo.pk],
                    now=now,
                )
                for threshold in plan.close:
                    to_close.append(open_here[threshold])
                if consumed is None:
                    continue  # without data nothing opens (plan.open is empty)
                for threshold, window_start in plan.open:
                    labels = notice_labels(slo, threshold)
                    to_open.append(
                        BudgetNotice(
                            slo=slo,
                            threshold=Decimal(decimal_str(threshold)),
                            window_start=window_start,
                            opened_at=now,
                            consumed_ratio=float(consumed / 100),
                            labels=labels,
                        )
                    )
                    annotations = notice_annotations(slo, threshold, consumed, freeze=rules[slo.pk].freeze)
                    url = public_link(f"/slos/{slo.pk}/")
                    items.append(AlertInput(labels=labels, annotations=annotations, generator_url=url))
            for leftover in by_slo.values():  # SLOs disabled or deleted since their notice
                to_close.extend(leftover.values())
            for row in to_close:
                reason = f"below {float(Fraction(row.threshold) * REARM):g}% or the window ended"
                annotations = {"summary": f"{row.labels.get('slo', 'SLO')} error budget notice cleared ({reason})"}
                items.append(AlertInput(labels=row.labels, annotations=annotations, status="resolved"))
            if to_close:
                BudgetNotice.objects.filter(pk__in=[r.pk for r in to_close]).update(cleared_at=now)
            if to_open:
                BudgetNotice.objects.bulk_create(to_open)
            if items:
                alerts_ingest(items=items, source=SOURCE, now=now)
            stats["opened"], stats["closed"] = len(to_open), len(to_close)
    except IntegrityError:
        logger.info("releases: another evaluation recorded the same notices first; nothing sent by this one")
        return {**stats, "opened": 0, "closed": 0, "skipped": True}
    for row in to_open:
        logger.info("releases: notice %s %s%% for slo %s", row.labels.get("alertname"), row.threshold, row.slo_id)
    return stats
