"""A good/total SLI whose good series stops while the total goes on: those minutes are no data (the
default, ``missing_good="no_data"``) or all bad (``"bad"``), in every window and in Timeslices."""

from __future__ import annotations

import datetime as dt

import pytest

from slo.services import slo_evaluate
from tests.slo.conftest import push
from tests.slo.factories import ServiceFactory, SLOFactory

pytestmark = pytest.mark.django_db

GOOD = 'req_good_total{service="g"}'
TOTAL = 'req_total{service="g"}'
SPEC = {"good": GOOD, "total": TOTAL}


def _traffic(now: dt.datetime, *, minutes: int, good_missing) -> list[dict]:
    """1,000 requests a minute, all good; the good counter sends nothing in the minutes ``good_missing(m)``
    (``m`` minutes ago)."""
    out = []
    for m in range(minutes):
        ts = now.timestamp() - m * 60
        out.append({"metric": "req_total", "labels": {"service": "g"}, "value": 1000, "timestamp": ts, "kind": "delta"})
        if not good_missing(m):
            out.append({"metric": "req_good_total", "labels": {"service": "g"}, "value": 1000, "timestamp": ts,
                        "kind": "delta"})  # fmt: skip
    return out


@pytest.fixture
def stopped(minute_now):
    """Three hours of traffic; the good series stopped 30 minutes ago and had a 10-minute gap 100 minutes ago."""
    push(_traffic(minute_now, minutes=180, good_missing=lambda m: m < 30 or 100 <= m < 110), now=minute_now)
    return minute_now


def test_missing_good_minutes_are_no_data_by_default(stopped):
    slo = SLOFactory(service=ServiceFactory(name="g"), sli=SPEC)
    assert slo.missing_good == "no_data"
    doc = slo_evaluate(slos=[slo], now=stopped)[0].document
    assert doc["data_state"] == "ok" and doc["missing_good"] == "no_data"
    assert doc["error_budget"]["total_events"] == 140 * 1000 and doc["error_budget"]["bad_events"] == 0
    assert doc["sli"] == 1
    assert doc["burn_rates"]["5m"] is None and doc["burn_rates"]["30m"] is None  # nothing but the gap: no data
    assert doc["burn_rates"]["1h"] == 0 and doc["burn_rates"]["6h"] == 0
    assert doc["alerts"] == []  # it paged before: 100% bad for the last 30 minutes


def test_missing_good_minutes_can_count_as_bad(stopped):
    slo = SLOFactory(service=ServiceFactory(name="g"), sli=SPEC, missing_good="bad")
    doc = slo_evaluate(slos=[slo], now=stopped)[0].document
    assert doc["error_budget"]["total_events"] == 180 * 1000 and doc["error_budget"]["bad_events"] == 40 * 1000
    assert doc["burn_rates"]["5m"] == pytest.approx(1000)
    assert {a["name"] for a in doc["alerts"]} >= {"fast-burn", "slow-burn"}


def test_a_gap_that_ended_is_still_no_data(minute_now):
    # The good series was silent from 50 to 41 minutes ago and is back: the 1 h window holds 50 minutes.
    push(_traffic(minute_now, minutes=180, good_missing=lambda m: 41 <= m < 51), now=minute_now)
    slo = SLOFactory(service=ServiceFactory(name="g"), sli=SPEC)
    [result] = slo_evaluate(slos=[slo], now=minute_now)
    assert result.evaluation.counts.total == 170 * 1000
    assert result.document["burn_rates"]["1h"] == 0 and result.document["burn_rates"]["5m"] == 0


def test_timeslices_leave_out_minutes_without_good(stopped):
    kw = {"service": ServiceFactory(name="g"), "sli": SPEC, "budgeting_method": "Timeslices"}
    no_data, bad = SLOFactory(**kw), SLOFactory(**kw, missing_good="bad")
    first, second = (r.document["error_budget"] for r in slo_evaluate(slos=[no_data, bad], now=stopped))
    assert (first["bad_events"], first["total_events"]) == (0, 140)
    assert (second["bad_events"], second["total_events"]) == (40, 180)


def test_the_api_takes_the_setting(token_client):
    client = token_client(role="admin", scopes=("read", "write"))
    ServiceFactory(name="g")
    body = {"service": "g", "name": "avail", "sli_kind": "ratio", "sli": SPEC}
    created = client.post("/api/v1/slos/", body, format="json")
    assert created.status_code == 201 and created.json()["missing_good"] == "no_data"
    pk = created.json()["id"]
    changed = client.patch(f"/api/v1/slos/{pk}/", {"missing_good": "bad"}, format="json")
    assert changed.status_code == 200 and changed.json()["missing_good"] == "bad"
    refused = client.patch(f"/api/v1/slos/{pk}/", {"missing_good": "zero"}, format="json")
    assert refused.status_code == 400 and "missing_good" in refused.json()["error"]["fields"]
