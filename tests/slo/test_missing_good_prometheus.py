"""A PromQL good/total SLI whose good query returns nothing while the total has traffic, through a real
Prometheus: no data by default (``missing_good="no_data"``), all bad with ``"bad"``. (Prometheus answers a
window as a whole, so a good series that stops partway through a window is not seen there.)"""

from __future__ import annotations

import datetime as dt
import time

import pytest

from slo.services import slo_evaluate
from tests.slo.factories import ServiceFactory, SLOFactory
from tests.slo.prom import backfilled_prometheus, openmetrics

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

SPEC = {"good": 'req_good_total{service="g"}', "total": 'req_total{service="g"}'}


def test_a_good_query_without_result_is_no_data(settings):
    end = (int(time.time()) // 60 - 5) * 60
    points = [(ts, float((ts - end) // 60 + 200) * 1000) for ts in range(end - 180 * 60, end + 1, 60)]
    text = openmetrics([("req_total", {"service": "g"}, points)], family="req")
    service = ServiceFactory(name="g")
    no_data = SLOFactory(service=service, sli_kind="promql", sli=SPEC)
    bad = SLOFactory(service=service, sli_kind="promql", sli=SPEC, missing_good="bad")
    with backfilled_prometheus(text) as url:
        settings.PROMETHEUS_URL = url
        first, second = (
            r.document for r in slo_evaluate(slos=[no_data, bad], now=dt.datetime.fromtimestamp(end, tz=dt.UTC))
        )
    assert first["error"] == "" and first["data_state"] == "no_data"
    assert set(first["burn_rates"].values()) == {None} and first["alerts"] == []
    assert second["data_state"] == "ok" and second["sli"] == 0
    assert second["burn_rates"]["5m"] == pytest.approx(1000)
    assert {a["name"] for a in second["alerts"]} == {"fast-burn", "slow-burn", "budget-drain"}
