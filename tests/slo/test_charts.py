"""Chart data of the SLO detail page: ranges and their buckets (one grouped query, whatever the number of
buckets), nothing after now, the burn chart's y range and threshold labels, releases and incidents on the axis."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from slo import charts
from slo.selectors.series import slo_bucket_counts, slo_chart_counts
from slo.services import slo_evaluate, slo_evaluate_all
from tests.incidents.factories import IncidentFactory
from tests.releases.factories import DeploymentFactory
from tests.slo.conftest import push, traffic
from tests.slo.factories import ServiceFactory, SLOFactory


def _t(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso)


# --- pure: y range and labels ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rates", "factors"),
    [
        ([22.5, 3.0, None, 0.4], [14.4, 6.0, 1.0]),  # bars above the highest threshold (clipped at 22x before)
        ([0.0, 0.0, None], [14.4, 6.0, 1.0]),  # thresholds above every bar
        ([950.0, 400.0], [14.4, 6.0, 1.0]),  # thresholds squeezed at the bottom of a tall axis
        ([2.0], [6.0, 6.5, 7.0, 1.0]),  # close factors
        ([None, None], []),
    ],
)
def test_burn_axis_covers_bars_and_thresholds_and_labels_keep_apart(rates, factors):
    y_max, label_y = charts.burn_axis(rates=rates, factors=factors)
    assert y_max >= max([r for r in rates if r is not None] + factors + [1.0])
    assert len(label_y) == len(factors)
    gap = charts.LABEL_GAP_PX * y_max / charts.BURN_PLOT_PX
    ys = sorted(label_y)
    assert all(b - a >= gap - 1e-9 for a, b in itertools.pairwise(ys))
    assert all(y <= y_max for y in label_y)
    assert all(y >= f for y, f in zip(label_y, factors, strict=True))  # a label never sits under its line


def test_range_key_defaults_to_a_day_for_anything_else():
    assert charts.range_key("7d") == "7d"
    assert charts.range_key(None) == charts.range_key("") == charts.range_key("2y") == "1d"
    assert charts.range_key("<script>") == "1d"


def test_sparkline_path_places_points_by_time():
    assert charts.sparkline_path([(0, 0.5)], start=0, end=10) == ""
    assert charts.sparkline_path([(0, None), (5, None)], start=0, end=10) == ""
    path = charts.sparkline_path([(0, 1.0), (5, None), (10, 0.5)], start=0, end=10, width=100, height=28)
    first, last = path.split()
    assert first.startswith("0.0,") and last.startswith("100.0,")
    assert float(first.split(",")[1]) < float(last.split(",")[1])  # higher budget is higher up
    flat = charts.sparkline_path([(0, 0.7), (10, 0.7)], start=0, end=10, height=28)
    assert flat == "0.0,14.0 120.0,14.0"


# --- chart data from the database -----------------------------------------------------------------------------


@pytest.fixture
def burning(db):
    now = timezone.now().replace(microsecond=0)
    push(traffic(service="checkout", now=now, minutes=150, ok=1000, errors=lambda m: 200 if m < 5 else 1), now=now)
    slo = SLOFactory(service=ServiceFactory(name="checkout"), name="checkout-availability")
    return slo, now


@pytest.mark.parametrize("name", list(charts.RANGES))
def test_no_point_after_now_and_buckets_of_the_range(burning, name):
    slo, now = burning
    result = slo_evaluate(slos=[slo], now=now)[0]
    length, step = charts.RANGES[name]
    window_start = now - dt.timedelta(seconds=result.document["window"]["seconds"])
    with CaptureQueriesContext(connection) as ctx:
        data = charts.detail_charts(
            slo,
            result,
            now=now,
            range_name=name,
            counts=slo_chart_counts(
                slo=slo, start=now - dt.timedelta(seconds=length), end=now, step=step, window_start=window_start
            ),
        )
    reads = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT")]
    assert len(reads) <= 5, reads  # series, grouped buckets; series, maintenance windows, counts before the range
    assert data["range"]["step"] == step and data["range"]["name"] == name
    xs = [_t(x) for x in data["sli"]["x"] + data["burndown"]["x"]]
    assert xs and max(xs) <= now  # the burn-down ended at the end of the current hour before
    assert _t(data["burndown"]["x"][-1]) == now and _t(data["range"]["end"]) == now
    assert min(xs) >= now - dt.timedelta(seconds=length + step)
    assert len(data["sli"]["x"]) <= length // step + 1
    gaps = {(b - a).total_seconds() for a, b in itertools.pairwise(xs) if b > a}
    assert min(gaps) >= min(step, 1) and (len(data["sli"]["x"]) < 3 or step in gaps)
    # events per bucket: the traffic behind the SLI, at the same times (all 150 minutes are inside 1 d and longer)
    assert data["events"]["x"] == data["sli"]["x"] and data["events"]["unit"] == "events"
    if length >= 86400:
        assert sum(data["events"]["good"]) + sum(data["events"]["bad"]) == 150 * 1000 + 5 * 200 + 145
        assert sum(data["events"]["bad"]) == 5 * 200 + 145
    # the burn-down ends where the page's number is
    remaining = result.document["error_budget"]["remaining_ratio"]
    assert data["burndown"]["remaining"][-1] == pytest.approx(remaining, abs=0.02)


def test_buckets_sum_to_the_traffic_and_cost_one_grouped_query(burning):
    slo, now = burning
    for step in (60, 900, 4 * 3600):
        with CaptureQueriesContext(connection) as ctx:
            buckets, error = slo_bucket_counts(slo=slo, start=now - dt.timedelta(days=30), end=now, step=step)
        assert not error
        assert len(ctx.captured_queries) <= 2  # the series, then one GROUP BY over the rollup
        assert sum(c.total for c in buckets.values()) == 150 * 1000 + 5 * 200 + 145
        assert all(b % step == 0 for b in buckets)
    minute, _ = slo_bucket_counts(slo=slo, start=now - dt.timedelta(hours=1), end=now, step=60)
    assert 59 <= len(minute) <= 61 and max(c.bad for c in minute.values()) == 200


def test_detail_page_ranges_markers_and_y_range(session_client, burning):
    slo, now = burning
    DeploymentFactory(service=slo.service, version="2.4.1", at=now - dt.timedelta(minutes=30))
    DeploymentFactory(service=slo.service, version="old", at=now - dt.timedelta(days=3))
    IncidentFactory(title="Checkout errors", started_at=now - dt.timedelta(minutes=20)).services.add(slo.service)
    slo_evaluate_all(now=now)
    client = session_client("viewer")
    for name, versions in (("1h", ["2.4.1"]), ("7d", ["old", "2.4.1"])):
        body = client.get(reverse("slo:detail", args=[slo.pk]), {"range": name}).content.decode()
        data = json.loads(body.split('id="slo-charts" type="application/json">')[1].split("</script>")[0])
        assert [m["version"] for m in data["releases"]] == versions
        assert [i["title"].split(" ", 1)[1] for i in data["incidents"]] == ["Checkout errors"]
        assert _t(data["incidents"][0]["x1"]) <= _t(data["range"]["end"])  # open: drawn up to now, not later
        assert "Checkout errors" in data["incidents"][0]["text"]
        assert f'href="?range={name}"' in body and 'aria-current="true"' in body
        burn = data["burn"]
        top = max([r for r in burn["rates"] if r is not None] + [t["factor"] for t in burn["thresholds"]])
        assert burn["y_max"] >= top
        assert [t["label"] for t in burn["thresholds"]] == ["14.4× page", "6× page", "1× ticket"]
    junk = client.get(reverse("slo:detail", args=[slo.pk]), {"range": "../../x"})
    assert junk.status_code == 200 and 'href="?range=1d" data-range="1d" aria-current="true"' in junk.content.decode()
