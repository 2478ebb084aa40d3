"""Contracts for other apps (daily SLI, budget impact), maintenance exclusions, log SLIs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from slo.domain.budget import Counts
from slo.selectors import SloQuery, slo_budget_impact, slo_counts, slo_daily_sli, slo_exclusions
from slo.services import slo_evaluate
from tests.slo.conftest import push, traffic
from tests.slo.factories import ServiceFactory, SLOFactory

pytestmark = pytest.mark.django_db

SPEC = {"bad": 'http_requests_total{service="a", code="500"}', "total": 'http_requests_total{service="a"}'}


@pytest.fixture
def day_aligned():
    """Traffic from 00:01 two days before ``now`` up to ``now`` (02:00:30): 10 bad of 1000 per minute on
    the first day, none after."""
    import time

    today = int(time.time()) // 86400 * 86400
    now = dt.datetime.fromtimestamp(today - 86400 + 2 * 3600 + 30, tz=dt.UTC)
    push(traffic(service="a", now=now, minutes=2 * 1440 + 120, ok=990,
                 errors=lambda m: 10 if m > 1440 + 120 else 0), now=now)  # fmt: skip
    return now


def test_daily_sli_per_local_day(day_aligned):
    slo = SLOFactory(service=ServiceFactory(name="a"), sli=SPEC)
    days = slo_daily_sli(slo_ids=[slo.pk], days=4, now=day_aligned, tz="UTC")[slo.pk]
    assert len(days) == 4
    (d0, c0), (_, c1), (_, c2), (d3, c3) = days
    assert d3 == day_aligned.date() and d0 == d3 - dt.timedelta(days=3)
    assert c0 is None  # before any traffic: no data, not 100%
    assert c1 == (990 * 1439, 1000 * 1439)  # 00:01 to 23:59
    assert c2 == (990 * 1440, 990 * 1440)
    assert c3 == (990 * 120, 990 * 120)  # today up to the last whole minute


def test_budget_impact_of_an_incident(day_aligned):
    slo = SLOFactory(service=ServiceFactory(name="a"), sli=SPEC, target=Decimal("0.99"))
    start = day_aligned - dt.timedelta(days=2)
    end = start + dt.timedelta(hours=1)
    impact = slo_budget_impact(slo_id=slo.pk, start=start, end=end)
    assert (impact.bad, impact.total) == (600, 60000)
    assert impact.bad_minutes == 0  # 1% errors: exactly at the 99% target is not below it
    strict = SLOFactory(service=slo.service, sli=SPEC, target=Decimal("0.999"))
    impact = slo_budget_impact(slo_id=strict.pk, start=start, end=end)
    assert impact.bad_minutes == 60
    window_total = 1000 * 179  # the 30-day window ending at 03:00 holds traffic since 00:01
    assert impact.budget_consumed_ratio == Fraction(600) / (Fraction(1, 1000) * window_total)
    quiet = slo_budget_impact(slo_id=strict.pk, start=start - dt.timedelta(days=5), end=start - dt.timedelta(days=4))
    assert quiet.data_state == "no_data" and quiet.budget_consumed_ratio is None


def test_excluded_ranges_are_left_out(minute_now):
    push(traffic(service="a", now=minute_now, minutes=60, ok=90, errors=lambda m: 10 if 20 <= m < 30 else 0),
         now=minute_now)  # fmt: skip
    slo = SLOFactory(service=ServiceFactory(name="a"), sli=SPEC)
    end = (int(minute_now.timestamp()) // 60 + 1) * 60
    maintenance = (end - 30 * 60, end - 20 * 60)  # exactly the ten bad minutes
    base = {"slo_id": slo.pk, "kind": "ratio", "spec": slo.sli, "windows": frozenset({3600})}
    plain = slo_counts(queries=[SloQuery(**base)], now=minute_now)[slo.pk].counts[3600]
    excluded = slo_counts(queries=[SloQuery(**base, excluded=(maintenance,))], now=minute_now)[slo.pk].counts[3600]
    assert plain == Counts(100, 50 * 90 + 10 * 100)
    assert excluded == Counts(0, 50 * 90)


def test_no_exclusions_without_flagged_maintenance_windows():
    slo = SLOFactory()
    now = dt.datetime.now(dt.UTC)
    assert slo_exclusions(slos=[slo], start=now - dt.timedelta(days=30), end=now) == {}


def test_log_sli_counts_lines(minute_now):
    from telemetry.domain.logs import validate_logs
    from telemetry.services import logs_ingest

    lines = []
    for m in range(30):
        ts = minute_now.timestamp() - m * 60
        lines += [{"timestamp": ts, "service": "mailer", "level": "info", "message": "sent"} for _ in range(9)]
        lines.append({"timestamp": ts, "service": "mailer", "level": "error", "message": "smtp timeout"})
    logs_ingest(records=validate_logs(lines, now=minute_now.timestamp()), scope="t", batch_id=None, now=minute_now)
    by_level = SLOFactory(sli_kind="log", sli={"service": "mailer", "bad_query": "", "bad_levels": ["error"]},
                          target=Decimal("0.95"))  # fmt: skip
    by_text = SLOFactory(sli_kind="log", sli={"service": "mailer", "bad_query": "timeout", "bad_levels": []},
                         target=Decimal("0.95"))  # fmt: skip
    for result in slo_evaluate(slos=[by_level, by_text], now=minute_now):
        assert result.document["error_budget"]["bad"] == 30
        assert result.document["error_budget"]["total_events"] == 300
        assert result.document["burn_rates"]["5m"] == pytest.approx(2.0)


def test_maintenance_window_flagged_exclude_from_slo_is_left_out_of_the_budget(minute_now):
    from alerts.models import MaintenanceWindow
    from slo.services import slo_evaluate

    push(traffic(service="a", now=minute_now, minutes=60, ok=90, errors=lambda m: 10 if 20 <= m < 30 else 0),
         now=minute_now)  # fmt: skip
    slo = SLOFactory(service=ServiceFactory(name="a"), sli=SPEC)
    end = (int(minute_now.timestamp()) // 60 + 1) * 60
    start_dt = dt.datetime.fromtimestamp(end - 30 * 60, tz=dt.UTC)
    end_dt = dt.datetime.fromtimestamp(end - 20 * 60, tz=dt.UTC)
    other = MaintenanceWindow.objects.create(name="other service", starts_at=start_dt, ends_at=end_dt,
                                             matchers=['service="b"'], exclude_from_slo=True)  # fmt: skip
    MaintenanceWindow.objects.create(name="not for budgets", starts_at=start_dt, ends_at=end_dt)
    [before] = slo_evaluate(slos=[slo], now=minute_now)
    assert before.document["error_budget"]["bad"] == 100
    other.matchers = ['service="a"']
    other.save()
    assert slo_exclusions(slos=[slo], start=minute_now - dt.timedelta(days=1), end=minute_now) == {
        slo.pk: [(end - 1800, end - 1200)]
    }
    [after] = slo_evaluate(slos=[slo], now=minute_now)
    assert after.document["error_budget"]["bad"] == 0
    assert after.document["error_budget"]["total_events"] == 50 * 90
