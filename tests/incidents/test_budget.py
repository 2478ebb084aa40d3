"""Error-budget impact of an incident: the SLO app's numbers for every SLO of the affected services, counted from
real rollups; a metric source that fails shows on its SLO's row, never as a wrong number or a 500."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest
from django.utils import timezone

from incidents import budget
from incidents.services import incident_create, incident_transition
from slo.choices import WindowKind
from telemetry.store import cache_clear
from tests.incidents.factories import ServiceFactory
from tests.slo.conftest import push, traffic
from tests.slo.factories import SLOFactory

pytestmark = pytest.mark.django_db


def _minute_now() -> dt.datetime:
    """Half a minute into the minute an hour ago: whole minutes of pushed traffic around the incident."""
    return dt.datetime.fromtimestamp((time.time() // 60) * 60 - 3600 + 30, tz=dt.UTC)


def test_no_slos_on_the_affected_services() -> None:
    for services in ([], [ServiceFactory(name="checkout")]):
        incident = incident_create(title="x", actor="a", now=timezone.now(), services=services)
        assert budget.budget_impact(incident=incident, now=timezone.now()) == ("no_slos", [])


def test_budget_impact_from_real_rollups() -> None:
    """Traffic pushed through telemetry's ingest; the SLO app computes; the incident shows the sentence."""
    cache_clear()
    now = _minute_now()
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
    assert row.slo_id == slo.pk and row.available and row.service == "checkout"
    assert (row.start, row.end) == (incident.started_at, incident.resolved_at)
    assert row.bad_events == 30 * 50 and row.bad_minutes == 30
    # 1500 bad of the 30-day window ending at the resolution: the 170 minutes of traffic before it (the last
    # 10 minutes come after), at a 0.1% allowance.
    window_total = 170 * 1000 + 30 * 50
    assert row.fraction == pytest.approx(1500 / (0.001 * window_total), rel=1e-9)
    assert row.sentence.startswith(
        f"burned {row.fraction * 100:.1f}% of checkout-availability's 30-day budget, 30 bad minutes"
    )
    cache_clear()


def test_an_slo_without_traffic_says_so_and_a_calendar_window_is_named() -> None:
    cache_clear()
    svc = ServiceFactory(name="quiet")
    SLOFactory(service=svc, name="quiet-availability")
    calendar = SLOFactory(service=svc, name="quiet-month", window_kind=WindowKind.CALENDAR, calendar_unit="month")
    now = timezone.now()
    incident = incident_create(title="x", actor="a", now=now, started_at=now - dt.timedelta(hours=1), services=[svc])
    state, rows = budget.budget_impact(incident=incident, now=now)
    assert state == "ok"
    assert [(r.slo, r.available, r.sentence) for r in rows] == [
        ("quiet-availability", False, "quiet-availability: no data in this period"),
        ("quiet-month", False, "quiet-month: no data in this period"),
    ]
    assert budget.window_label(calendar) == "calendar-month"


def test_a_failing_source_shows_on_its_own_row(monkeypatch) -> None:
    """When the one counting pass fails (a metric source is down), each SLO is counted alone: the SLO whose source
    fails says so on its row, the other still gets its number."""
    cache_clear()
    now = _minute_now()
    push(traffic(service="checkout", now=now, minutes=60, ok=1000, errors=lambda m: 10 if m < 30 else 0), now=now)
    svc = ServiceFactory(name="checkout")
    good = SLOFactory(service=svc, name="checkout-availability")
    broken = SLOFactory(service=svc, name="checkout-latency")
    incident = incident_create(title="x", actor="a", now=now, started_at=now - dt.timedelta(minutes=30), services=[svc])
    real_one = budget.slo_budget_impact

    def bulk(**kwargs):
        raise RuntimeError("prometheus unreachable")

    def one(*, slo_id, start, end):
        if slo_id == broken.pk:
            raise RuntimeError("prometheus unreachable")
        return real_one(slo_id=slo_id, start=start, end=end)

    monkeypatch.setattr(budget, "slo_budget_impacts", bulk)
    monkeypatch.setattr(budget, "slo_budget_impact", one)
    state, rows = budget.budget_impact(incident=incident, now=now)
    assert state == "ok"
    by_id = {r.slo_id: r for r in rows}
    assert by_id[good.pk].available and by_id[good.pk].bad_events == 29 * 10
    assert not by_id[broken.pk].available
    assert by_id[broken.pk].sentence == "checkout-latency: not available (prometheus unreachable)"
    cache_clear()
