"""Error-budget impact of an incident (a read): for each SLO of the affected services, the budget consumed
between the start and the resolution (or now), from ``slo.selectors``.

All the SLOs are counted in one pass (``slo.selectors.impact.slo_budget_impacts``); when that pass fails (a metric
source is down), each SLO is asked on its own (``slo.selectors.slo_budget_impact``) so the row of the SLO whose
source failed says why instead of showing a wrong number, and the others still show theirs."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache

from incidents.domain.postmortem import BudgetLine, budget_sentence
from incidents.models import Incident
from slo.choices import WindowKind
from slo.models import SLO
from slo.selectors import BudgetImpact as SloImpact
from slo.selectors import slo_budget_impact, slos_of_services
from slo.selectors.impact import slo_budget_impacts

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BudgetImpact:
    slo_id: int | None
    slo: str
    service: str
    available: bool
    reason: str = ""
    bad_events: int | None = None
    total_events: int | None = None
    fraction: float | None = None
    bad_minutes: int | None = None
    window: str = ""
    start: datetime | None = None
    end: datetime | None = None

    @property
    def sentence(self) -> str:
        if not self.available:
            return f"{self.slo}: {self.reason}"
        return budget_sentence(self.as_line())

    def as_line(self) -> BudgetLine:
        return BudgetLine(
            slo=self.slo,
            service=self.service,
            fraction=self.fraction if self.available else None,
            bad_minutes=self.bad_minutes,
            bad_events=self.bad_events,
            window=self.window,
            reason=self.reason,
        )


def window_label(slo: SLO) -> str:
    """'30-day', 'calendar-month': how the budget sentence names the SLO's window."""
    if slo.window_kind == WindowKind.CALENDAR:
        return f"calendar-{slo.calendar_unit}"
    return f"{slo.window_days}-day"


def _impacts(slos: list[SLO], *, start: datetime, end: datetime) -> dict[int, SloImpact | Exception]:
    """Per SLO id its impact, or the error its own count raised. One counting pass for all of them; only when that
    pass fails is each SLO counted alone (ten SLOs on one service: 17 queries and ~1 s each one at a time)."""
    try:
        return dict(slo_budget_impacts(slo_ids=[slo.pk for slo in slos], start=start, end=end))
    except Exception as exc:  # noqa: BLE001 - one at a time then says which SLO failed
        logger.warning("Budget impact of SLOs %s in one pass failed: %s", [slo.pk for slo in slos], exc)
    out: dict[int, SloImpact | Exception] = {}
    for slo in slos:
        try:
            out[slo.pk] = slo_budget_impact(slo_id=slo.pk, start=start, end=end)
        except Exception as exc:  # noqa: BLE001 - a source error shows on the row, never a 500
            logger.warning("Budget impact of SLO %s failed: %s", slo.pk, exc)
            out[slo.pk] = exc
    return out


def _row(slo: SLO, result: SloImpact | Exception | None, *, start: datetime, end: datetime) -> BudgetImpact:
    name, service = slo.name, slo.service.name
    if isinstance(result, Exception):
        return BudgetImpact(slo.pk, name, service, False, reason=f"not available ({result})")
    if result is None or result.data_state != "ok" or result.budget_consumed_ratio is None:
        state = "no_data" if result is None else result.data_state
        reason = "no data in this period" if state in ("no_data", "ok") else f"not available ({state})"
        return BudgetImpact(slo.pk, name, service, False, reason=reason, start=start, end=end)
    return BudgetImpact(
        slo_id=slo.pk,
        slo=name,
        service=service,
        available=True,
        bad_events=round(result.bad),  # timeslice SLIs count in Fractions: shown rounded
        total_events=round(result.total),
        fraction=float(result.budget_consumed_ratio),
        bad_minutes=result.bad_minutes,
        window=window_label(slo),
        start=start,
        end=end,
    )


def budget_impact(*, incident: Incident, now: datetime) -> tuple[str, list[BudgetImpact]]:
    """``(state, rows)``: state is ``ok``, or ``no_slos`` when no SLO is set on the affected services."""
    slos = slos_of_services(service_ids=[s.pk for s in incident.services.all()])
    if not slos:
        return "no_slos", []
    start, end = incident.started_at, incident.resolved_at or now
    impacts = _impacts(slos, start=start, end=end)
    return "ok", [_row(slo, impacts.get(slo.pk), start=start, end=end) for slo in slos]


IMPACT_CACHE_SECONDS = 60


def budget_impact_cached(*, incident: Incident, now: datetime) -> tuple[str, list[BudgetImpact]]:
    """``budget_impact`` for the incident page, kept up to ``IMPACT_CACHE_SECONDS``: counting every SLO's
    events over the incident was ~40 ms of a ~95 ms page on the bench data set. The key holds the incident's
    version (every change of an incident bumps it: services, start, resolution) and, while it is open, the
    current minute (the SLO evaluator and the rollups write once a minute), so an edit shows at once and an open
    incident's numbers are at most a minute old. The postmortem and the API still count afresh."""
    stamp = incident.resolved_at.timestamp() if incident.resolved_at else f"m{int(now.timestamp()) // 60}"
    started = incident.started_at.timestamp() if incident.started_at else ""
    key = f"incidents:budget:{incident.pk}:{incident.version}:{started}:{stamp}"
    found = cache.get(key)
    if found is None:
        found = budget_impact(incident=incident, now=now)
        cache.set(key, found, IMPACT_CACHE_SECONDS)
    return found
