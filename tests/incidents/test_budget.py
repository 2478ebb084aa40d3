"""Error-budget impact: the "not available" state while the SLO app lacks it, and the adapter to its
``slo_budget_impact`` result once it exists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import budget
from incidents.services import incident_create, incident_transition
from tests.incidents.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def test_state_is_not_available_without_the_slo_selector(monkeypatch) -> None:
    monkeypatch.setattr(budget, "_impact_function", lambda: None)
    incident = incident_create(title="x", actor="a", now=timezone.now(), services=[ServiceFactory(name="checkout")])
    assert budget.budget_impact(incident=incident, now=timezone.now()) == ("not_available", [])


def test_rows_from_the_slo_selector_cover_start_to_resolution(monkeypatch) -> None:
    """The SLO model and selector are the SLO app's; this stands in for their shape only to test the
    adapter (the end-to-end test with real rollups lives with the SLO app's data once it lands)."""
    now = timezone.now()
    svc = ServiceFactory(name="checkout")
    calls = []

    class FakeSLO:
        pk = 7
        name = "checkout-availability"
        service = svc
        window_days = 30

    def impact(*, slo_id, start, end):
        calls.append((slo_id, start, end))
        return {"bad_events": 900, "total_events": 100_000, "budget_fraction": 0.072, "bad_minutes": 31}

    monkeypatch.setattr(budget, "_impact_function", lambda: impact)
    monkeypatch.setattr(budget, "_slo_model", lambda: object())
    monkeypatch.setattr(budget, "incident_slos", lambda incident: [FakeSLO()])
    incident = incident_create(
        title="x", actor="a", now=now - timedelta(hours=1), started_at=now - timedelta(hours=1), services=[svc]
    )
    incident_transition(incident_id=incident.pk, target="resolved", actor="a", now=now - timedelta(minutes=10))
    incident.refresh_from_db()
    state, rows = budget.budget_impact(incident=incident, now=now)
    assert state == "ok"
    assert rows[0].sentence == "burned 7.2% of checkout-availability's 30-day budget, 31 bad minutes"
    assert calls == [(7, incident.started_at, incident.resolved_at)]

    def failing(**kwargs):
        raise RuntimeError("prometheus unreachable")

    monkeypatch.setattr(budget, "_impact_function", lambda: failing)
    state, rows = budget.budget_impact(incident=incident, now=now)
    assert not rows[0].available and "prometheus unreachable" in rows[0].sentence


def test_budget_impact_from_real_rollups() -> None:
    """Traffic pushed through telemetry's ingest; the SLO app computes; the incident shows the sentence."""
    import datetime as dt
    import time
    from decimal import Decimal

    from telemetry.store import cache_clear
    from tests.slo.conftest import push, traffic
    from tests.slo.factories import SLOFactory

    cache_clear()
    now = dt.datetime.fromtimestamp((time.time() // 60) * 60 - 3600 + 30, tz=dt.UTC)
    # 3 hours of traffic: 1000 requests a minute, 50 of them failing during the 30 minutes of the incident.
    push(
        traffic(service="checkout", now=now, minutes=180, ok=1000, errors=lambda m: 50 if 10 <= m < 40 else 0), now=now
    )
    svc = ServiceFactory(name="checkout")
    slo = SLOFactory(service=svc, name="checkout-availability", target=Decimal("0.999"))
    started = now - dt.timedelta(minutes=40) + dt.timedelta(seconds=30)
    incident = incident_create(title="Checkout 500s", actor="a", now=started, started_at=started, services=[svc])
    incident_transition(
        incident_id=incident.pk,
        target="resolved",
        actor="a",
        now=now - dt.timedelta(minutes=10) + dt.timedelta(seconds=30),
    )
    incident.refresh_from_db()
    state, rows = budget.budget_impact(incident=incident, now=now)
    assert state == "ok"
    row = rows[0]
    assert row.slo_id == slo.pk and row.available
    assert row.bad_events == 30 * 50 and row.bad_minutes == 30
    # 1500 bad of the 30-day window ending at the resolution: the 170 minutes of traffic before it (the last
    # 10 minutes come after), at a 0.1% allowance.
    window_total = 170 * 1000 + 30 * 50
    assert row.fraction == pytest.approx(1500 / (0.001 * window_total), rel=1e-9)
    assert row.sentence.startswith(
        f"burned {row.fraction * 100:.1f}% of checkout-availability's 30-day budget, 30 bad minutes"
    )
    cache_clear()
