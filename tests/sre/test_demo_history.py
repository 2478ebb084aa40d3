"""The demo's 30 days of history (``sre.demo.history``): rollups, logs, SLO snapshots and past incidents on the
first run; nothing on a second run; only the gap a day later. The backfilled snapshots are the evaluator's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from incidents.demo import HISTORY
from incidents.models import Incident, StatusUpdate
from slo.models import SLO, SLOSnapshot
from slo.services import slo_evaluate
from sre.demo.history import demo_history_backfill
from sre.demo.services import DEMO_SERVICES, DEMO_TRAFFIC_LOOKBACK_MINUTES, demo_seed
from sre.demo.traffic import Outage, demo_minute, minute_values
from telemetry.models import HourRollup, LogEntry, MinuteRollup, Series
from telemetry.selectors import counter_increase_matching
from telemetry.store import cache_clear

SERVICES = [s["name"] for s in DEMO_SERVICES]


def test_minute_values_are_the_samples_of_demo_minute() -> None:
    outage = (Outage(service="checkout", start=6000, end=6600),)
    for minute in range(0, 86400, 3600 + 60):
        for outages in ((), outage):
            samples = demo_minute(seed=7, minute=minute, services=SERVICES, outages=outages).samples
            assert [s["value"] for s in samples] == minute_values(
                seed=7, minute=minute, services=SERVICES, outages=outages
            )


def test_an_outage_fails_its_service_only() -> None:
    outage = (Outage(service="checkout", start=6000, end=6600),)
    quiet = demo_minute(seed=7, minute=6060, services=SERVICES)
    failing = demo_minute(seed=7, minute=6060, services=SERVICES, outages=outage)

    def errors(minute, service: str) -> int:
        return next(
            s["value"]
            for s in minute.samples
            if s["labels"].get("service") == service and s["labels"].get("code") == "500"
        )

    requests = sum(s["value"] for s in failing.samples if s["metric"] == "http_requests_total"
                   and s["labels"]["service"] == "checkout")  # fmt: skip
    assert errors(failing, "checkout") >= requests * 0.2 > errors(quiet, "checkout")
    assert errors(failing, "search") == errors(quiet, "search")


@pytest.mark.django_db
def test_backfill_writes_30_days_once_and_then_only_the_gap() -> None:
    cache_clear()  # series ids cached by earlier tests whose rows were rolled back
    now = timezone.now().replace(microsecond=0)
    demo_seed(password="demo-test")
    first = demo_history_backfill(now=now, days=30)

    assert first.minutes == 30 * 1440 and first.recent_minutes == DEMO_TRAFFIC_LOOKBACK_MINUTES
    reference = Series.objects.get(key='http_requests_total{code="200",service="checkout"}')
    starts = MinuteRollup.objects.filter(series=reference).values_list("start", flat=True)
    assert len(starts) == 30 * 1440 + DEMO_TRAFFIC_LOOKBACK_MINUTES  # every minute once, the last 15 live
    assert max(starts) - min(starts) == (len(starts) - 1) * 60
    assert min(starts) <= now.timestamp() - 30 * 86400 + 16 * 60
    assert HourRollup.objects.filter(series=reference).count() >= 30 * 24
    month = counter_increase_matching(name="http_requests_total", matchers=[("service", "=", "checkout")],
                                      windows=[30 * 86400], now=now)[30 * 86400]  # fmt: skip
    assert month > 30 * 1440 * 400  # ~600 requests a minute
    assert LogEntry.objects.filter(timestamp__lt=now - dt.timedelta(hours=1)).exists()

    # Budget history: an hourly snapshot of every metric-store SLO over the 30 days, equal to the evaluator's.
    slo = SLO.objects.select_related("service").get(name="checkout-availability")
    snapshots = SLOSnapshot.objects.filter(slo=slo)
    assert snapshots.count() >= 30 * 24 - 1
    assert snapshots.earliest("at").at <= now - dt.timedelta(days=29)
    for snap in (snapshots.latest("at"), snapshots.order_by("at")[300]):
        doc = slo_evaluate(slos=[slo], now=snap.at)[0].document
        assert snap.data_state == doc["data_state"] == "ok"
        assert (snap.sli, snap.remaining_ratio, snap.burn_rates) == (
            doc["sli"],
            doc["error_budget"]["remaining_ratio"],
            doc["burn_rates"],
        )
    assert 0 < snapshots.latest("at").remaining_ratio < 1  # spent in part, not exhausted

    # Past incidents, told to customers under a public title, with their timelines.
    past = Incident.objects.filter(title__in=[row[6] for row in HISTORY])
    assert past.count() == len(HISTORY) and all(i.public_title and i.resolved_at for i in past)
    assert StatusUpdate.objects.filter(incident__in=past, visibility="public").count() == 3 * len(HISTORY)
    assert all(i.timeline.count() >= 5 for i in past)

    rows, snaps, logs = MinuteRollup.objects.count(), SLOSnapshot.objects.count(), LogEntry.objects.count()
    again = demo_history_backfill(now=now, days=30)
    assert (again.minutes, again.rows, again.snapshots, again.recent_minutes) == (0, 0, 0, 0)
    assert (MinuteRollup.objects.count(), SLOSnapshot.objects.count(), LogEntry.objects.count()) == (rows, snaps, logs)

    later = demo_history_backfill(now=now + dt.timedelta(days=1), days=30)
    assert later.minutes == 1440 - DEMO_TRAFFIC_LOOKBACK_MINUTES  # the day away, up to the live look-back
    assert later.recent_minutes == DEMO_TRAFFIC_LOOKBACK_MINUTES and 23 <= later.snapshots // 5 <= 25
    assert MinuteRollup.objects.filter(series=reference).count() == 31 * 1440 + DEMO_TRAFFIC_LOOKBACK_MINUTES
