"""Window sums for the SLO app: hourly + minute combination equals the brute-force minute sum."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from telemetry.domain.samples import validate_samples
from telemetry.models import MinuteRollup
from telemetry.selectors import counter_increase_matching, counter_increase_windows, gauge_last, series_match
from telemetry.services import metrics_ingest


def push(samples, now):
    metrics_ingest(samples=validate_samples(samples, now=now.timestamp()), scope="t", batch_id=None, now=now)


@pytest.fixture
def history():
    """Three hours of per-minute deltas for 4 series (code 200/500 for two services)."""
    now = dt.datetime.fromtimestamp((time.time() // 60) * 60 + 17, tz=dt.UTC)
    samples = []
    for minute in range(190):
        ts = now.timestamp() - minute * 60
        for service in ("checkout", "search"):
            for code, value in (("200", 100 + minute % 7), ("500", minute % 3)):
                samples.append({"metric": "http_requests_total", "labels": {"service": service, "code": code},
                                "value": value, "timestamp": ts, "kind": "delta"})  # fmt: skip
    push(samples, now)
    return now


def brute_force(series_id: int, *, now: dt.datetime, seconds: int) -> float:
    end = (int(now.timestamp()) // 60 + 1) * 60
    start = end - seconds
    rows = MinuteRollup.objects.filter(series_id=series_id, start__gte=start, start__lt=end)
    return sum(r.increase for r in rows)


@pytest.mark.django_db
def test_window_sums_match_brute_force_for_many_series(history, django_assert_max_num_queries):
    ids = [s.id for s in series_match(name="http_requests_total")]
    windows = [300, 3600, 5400, 3 * 3600, 30 * 86400]
    with django_assert_max_num_queries(len(windows)):
        sums = counter_increase_windows(series_ids=ids, windows=windows, now=history)
    for window in windows:
        for sid in ids:
            assert sums[window][sid] == pytest.approx(brute_force(sid, now=history, seconds=window))
    assert sums[300][ids[0]] > 0


@pytest.mark.django_db
def test_regex_matchers_run_on_re2(history):
    now = history
    push([{"metric": "paths_total", "labels": {"path": "a" * 40 + "b"}, "value": 1, "timestamp": now.timestamp(),
           "kind": "delta"}], now)  # fmt: skip
    assert series_match(name="paths_total", matchers=[("path", "=~", "(a+)+$")]) == []  # hours on Python's re
    assert len(series_match(name="paths_total", matchers=[("path", "!~", "(a+)+$")])) == 1
    with pytest.raises(ValueError, match="invalid perl operator"):
        series_match(name="paths_total", matchers=[("path", "=~", "(?=a)a+")])


@pytest.mark.django_db
def test_matchers_select_series_and_sum(history):
    errors = series_match(name="http_requests_total", matchers=[("code", "=~", "5.."), ("service", "!=", "search")])
    assert [s.labels for s in errors] == [{"service": "checkout", "code": "500"}]
    not_5xx = series_match(name="http_requests_total", matchers=[("code", "!~", "5..")])
    assert len(not_5xx) == 2
    totals = counter_increase_matching(name="http_requests_total", matchers=[("service", "=", "checkout")],
                                       windows=[3600], now=history)  # fmt: skip
    ids = [s.id for s in series_match(name="http_requests_total", matchers=[("service", "=", "checkout")])]
    assert totals[3600] == pytest.approx(sum(brute_force(i, now=history, seconds=3600) for i in ids))


@pytest.mark.django_db
def test_no_data_is_none_not_zero(history):
    assert counter_increase_matching(name="nothing_total", windows=[300], now=history) == {300: None}
    old = history + dt.timedelta(days=20)
    assert counter_increase_matching(name="http_requests_total", windows=[300], now=old) == {300: None}


@pytest.mark.django_db
def test_gauge_last():
    now = dt.datetime.now(tz=dt.UTC)
    push([{"metric": "temp", "value": 3, "timestamp": now.timestamp() - 120},
          {"metric": "temp", "value": 5, "timestamp": now.timestamp() - 10}], now)  # fmt: skip
    [ref] = series_match(name="temp")
    assert gauge_last(series_ids=[ref.id], now=now) == {ref.id: 5.0}


def test_bad_matcher_is_value_error():
    with pytest.raises(ValueError):
        series_match(name="x", matchers=[("a", "~~", "b")])
