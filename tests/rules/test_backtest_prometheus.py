"""Backtest of a rule that runs on Prometheus: the range query's series (``PromSeries.points``) become the
threshold series and the firing intervals. Prometheus itself is a stub source answering the range query."""

from __future__ import annotations

import datetime as dt

import pytest

from rules.services import backtest
from telemetry.prometheus import PromSeries

START = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


class _RangeSource:
    """One series per queue, mail at 150 from minute 3 to minute 6 (else 10), sms at 5; as Prometheus does, the
    comparison query keeps only the points above the threshold (and no series without any)."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def range(self, query: str, *, start: dt.datetime, end: dt.datetime, step: int) -> list[PromSeries]:
        self.queries.append(query)
        times = range(int(start.timestamp()), int(end.timestamp()) + 1, step)
        mail = [(float(t), 150.0 if 3 <= (t - int(START.timestamp())) // 60 <= 6 else 10.0) for t in times]
        sms = [(float(t), 5.0) for t in times]
        series = [PromSeries({"__name__": "queue_depth", "queue": "mail"}, mail), PromSeries({"queue": "sms"}, sms)]
        if query.endswith("> 100"):
            series = [PromSeries(s.labels, [(t, v) for t, v in s.points if v > 100]) for s in series]
        return [s for s in series if s.points]


@pytest.mark.django_db
def test_a_prometheus_rule_backtests_over_the_range_query_points(settings, monkeypatch):
    settings.PROMETHEUS_URL = "http://prometheus.test:9090"
    source = _RangeSource()
    monkeypatch.setattr(backtest, "prometheus_source", lambda: source)
    data = {"name": "QueueDeep", "source": "prometheus", "expr": "max by (queue) (queue_depth) > 100"}

    out = backtest.rule_backtest(data=data, start=START, end=START + dt.timedelta(minutes=10), step=60)

    assert out.error == ""
    assert (out.threshold, out.comparison, out.evaluations) == (100.0, ">", 11)
    assert source.queries == ["max by (queue) (queue_depth) > 100", "max by (queue) (queue_depth)"]
    by_queue = {s.labels["queue"]: s for s in out.series}
    assert set(by_queue) == {"mail", "sms"}
    assert max(v for _, v in by_queue["mail"].points) == 150.0
    (interval,) = out.firing
    assert interval.labels["queue"] == "mail"
    assert (interval.start, interval.end) == (int(START.timestamp()) + 180, int(START.timestamp()) + 420)
