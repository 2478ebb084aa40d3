"""Error-budget impact of an incident (a read): for each SLO of the affected services, the budget consumed
between the start and the resolution (or now), from ``slo.selectors.slo_budget_impact``.

The SLO app provides that selector; until it exists (or when it fails) each row says why the number is not
available instead of showing a wrong one."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache

from incidents.domain.postmortem import BudgetLine, budget_sentence
from incidents.models import Incident
from incidents.selectors import field_of

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


def _slo_model() -> Any:
    """The SLO model of the slo app, or ``None`` while it does not exist yet."""
    import slo.models

    for name in ("SLO", "Slo", "ServiceLevelObjective"):
        model = getattr(slo.models, name, None)
        if model is not None:
            return model
    return None


def _impact_function() -> Any:
    import slo.selectors

    return getattr(slo.selectors, "slo_budget_impact", None)


def _int(value: Any) -> int | None:
    """Counts may come as Fractions (timeslice SLIs); shown rounded."""
    return None if value is None else round(value)


def _window_label(slo: Any) -> str:
    if field_of(slo, "window_kind", default="rolling") == "calendar":
        unit = field_of(slo, "calendar_unit", default="")
        return f"calendar-{unit}" if unit else "calendar"
    days = field_of(slo, "window_days", "days", default=None)
    if isinstance(days, int) and days > 0:
        return f"{days}-day"
    window = field_of(slo, "window", default="")
    return str(window) if window and not hasattr(window, "pk") else ""


def incident_slos(*, incident: Incident) -> list[Any]:
    """SLOs of the incident's services (empty when the SLO model does not exist yet)."""
    model = _slo_model()
    if model is None:
        return []
    service_ids = [s.pk for s in incident.services.all()]
    if not service_ids:
        return []
    try:
        return list(model.objects.filter(service_id__in=service_ids).select_related("service").order_by("pk"))
    except Exception:
        logger.exception("Could not list SLOs for incident %s", incident.pk)
        return []


def _bulk_impacts(slos: list[Any], *, start: datetime, end: datetime) -> dict[int, Any]:
    """All SLOs' impacts in one counting pass (``slo.selectors.impact``), or {} to ask one SLO at a time (each
    with its own error on its row). Ten SLOs on one service: 17 queries and ~1 s each one at a time."""
    try:
        from slo.selectors.impact import slo_budget_impacts

        return slo_budget_impacts(slo_ids=[slo.pk for slo in slos], start=start, end=end)
    except Exception as exc:  # noqa: BLE001 - one at a time then says which SLO failed
        logger.warning("Budget impact of SLOs %s in one pass failed: %s", [slo.pk for slo in slos], exc)
        return {}


def budget_impact(*, incident: Incident, now: datetime) -> tuple[str, list[BudgetImpact]]:
    """``(state, rows)``: state is ``ok``, ``no_slos`` (no SLO on the affected services) or
    ``not_available`` (the SLO app cannot compute budget impact yet)."""
    impact_fn = _impact_function()
    if _slo_model() is None or impact_fn is None:
        return "not_available", []
    slos = incident_slos(incident=incident)
    if not slos:
        return "no_slos", []
    start = incident.started_at
    end = incident.resolved_at or now
    bulk = _bulk_impacts(slos, start=start, end=end)
    rows = []
    for slo in slos:
        name = str(field_of(slo, "name", "slug", default=slo.pk))
        service = getattr(getattr(slo, "service", None), "name", "")
        try:
            result = bulk[slo.pk] if slo.pk in bulk else impact_fn(slo_id=slo.pk, start=start, end=end)
        except Exception as exc:  # noqa: BLE001 - a source error shows on the row, never a 500
            logger.warning("Budget impact of SLO %s failed: %s", slo.pk, exc)
            rows.append(BudgetImpact(slo.pk, name, service, False, reason=f"not available ({exc})"))
            continue
        state = field_of(result, "data_state", default="ok") if result is not None else "no_data"
        if result is None or state != "ok":
            reason = "no data in this period" if state == "no_data" else f"not available ({state})"
            rows.append(BudgetImpact(slo.pk, name, service, False, reason=reason, start=start, end=end))
            continue
        fraction = field_of(result, "budget_consumed_ratio", "budget_fraction", "fraction", "budget_consumed")
        rows.append(
            BudgetImpact(
                slo_id=slo.pk,
                slo=name,
                service=service,
                available=fraction is not None,
                reason="" if fraction is not None else "no data in this period",
                bad_events=_int(field_of(result, "bad_events", "bad")),
                total_events=_int(field_of(result, "total_events", "total")),
                fraction=float(fraction) if fraction is not None else None,
                bad_minutes=field_of(result, "bad_minutes"),
                window=_window_label(slo),
                start=start,
                end=end,
            )
        )
    return "ok", rows


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
