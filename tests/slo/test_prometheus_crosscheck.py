"""The same counters through a real Prometheus (PromQL SLI) and through our ingest (pushed counters)
give the same bad and total counts and the same budget, for every window.

30 days (+1 to cover the first window) of per-minute cumulative counters with error bursts and one
counter reset are backfilled into Prometheus with promtool and pushed to ``POST /api/v1/metrics``.
Samples sit on minute boundaries and the evaluation instant T is a minute boundary, so Prometheus'
``increase(x[W])`` sees samples at T−W and T and needs no extrapolation, and our window (T−W, T]
counts the same increases."""

from __future__ import annotations

import datetime as dt
import random
import time

import pytest

from slo.services import slo_evaluate
from tests.slo.factories import ServiceFactory, SLOFactory
from tests.slo.prom import backfilled_prometheus, openmetrics

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

DAYS = 31
BAD = 'http_requests_total{service="checkout", code="500"}'
TOTAL = 'http_requests_total{service="checkout"}'


def history(end: int) -> dict[str, list[tuple[int, float]]]:
    """Cumulative counters per code at every minute in [end − 31 d, end]."""
    rng = random.Random(4)
    start = end - DAYS * 86400
    values = {"200": 0, "500": 0}
    points: dict[str, list[tuple[int, float]]] = {"200": [], "500": []}
    for ts in range(start, end + 1, 60):
        burst = (ts // 3600) % 97 == 0 or end - 600 < ts  # an hour-long burst every ~4 days, and right now
        requests = rng.randint(800, 1200)
        errors = rng.randint(50, 300) if burst else rng.randint(0, 2)
        values["200"] += requests - errors
        values["500"] += errors
        if ts == start + 10 * 86400:  # a process restart: the 200 counter starts again from zero
            values["200"] = requests - errors
        for code in values:
            points[code].append((ts, values[code]))
    return points


def test_prometheus_and_pushed_counters_give_the_same_budget(token_client, settings):
    end = (int(time.time()) // 60 - 5) * 60
    points = history(end)
    text = openmetrics(
        [("http_requests_total", {"service": "checkout", "code": code}, pts) for code, pts in points.items()],
        family="http_requests",
    )
    client = token_client(role="viewer", scopes=("ingest",))
    for i in range(0, len(points["200"]), 10000):
        samples = [
            {"metric": "http_requests_total", "labels": {"service": "checkout", "code": code}, "value": value,
             "timestamp": ts, "kind": "counter"}
            for code, pts in points.items() for ts, value in pts[i : i + 10000]
        ]  # fmt: skip
        response = client.post("/api/v1/metrics", {"samples": samples}, format="json")
        assert response.status_code == 200, response.content[:500]
        assert response.json()["rejected"] == 0, response.json()
    service = ServiceFactory(name="checkout")
    pushed = SLOFactory(service=service, name="pushed", sli_kind="ratio", sli={"bad": BAD, "total": TOTAL})
    promql = SLOFactory(service=service, name="promql", sli_kind="promql", sli={"bad": BAD, "total": TOTAL})
    at = dt.datetime.fromtimestamp(end, tz=dt.UTC)
    with backfilled_prometheus(text) as url:
        settings.PROMETHEUS_URL = url
        ours, theirs = (r.document for r in slo_evaluate(slos=[pushed, promql], now=at))
    assert theirs["data_state"] == "ok", theirs["error"]
    for key in ("total_events", "bad", "allowed_bad", "remaining_ratio"):
        assert theirs["error_budget"][key] == pytest.approx(ours["error_budget"][key], rel=1e-9), key
    for window, rate in ours["burn_rates"].items():
        assert theirs["burn_rates"][window] == pytest.approx(rate, rel=1e-9), window
    # and against the numbers we generated: the 30-day window is (end − 30 d, end]
    first = DAYS * 86400 // 60 - 30 * 86400 // 60
    bad = points["500"][-1][1] - points["500"][first][1]
    assert ours["error_budget"]["bad"] == bad
    assert ours["burn_rates"]["5m"] > 14.4 and ours["error_budget"]["remaining_ratio"] < 1
