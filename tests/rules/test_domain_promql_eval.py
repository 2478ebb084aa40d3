"""evaluate: every supported construct over small rollups, as tables of (expression, expected result)."""

from __future__ import annotations

import math

import pytest

from rules.domain.promql import Minute, Need, SeriesData, compile_expr, evaluate
from tests.rules.promql_data import AT, L, Labels, M, counter, gauge, run, same

INF, NAN = math.inf, math.nan

# Increases of 2**(k + 6) in minute k (-6 ... 1), so a sum names the buckets it added up.
BITS = {"x": [counter({"job": "a"}, {k: float(2 ** (k + 6)) for k in range(-6, 2)})]}


@pytest.mark.parametrize(
    ("text", "at", "buckets"),
    [
        ("increase(x[5m])", M, range(-4, 1)),  # at a minute boundary: that minute's bucket and the 4 before
        ("increase(x[5m])", M + 30, range(-4, 1)),  # mid-minute: the same buckets (current minute included)
        ("increase(x[5m])", M + 59, range(-4, 1)),
        ("increase(x[5m])", M - 1, range(-5, 0)),
        ("increase(x[5m])", M + 60, range(-3, 2)),
        ("increase(x[1m])", AT, [0]),
        ("increase(x[2m] offset 1m)", AT, [-2, -1]),
        ("increase(x[5m] offset 5m)", M + 59, [-6, -5]),  # buckets -9..-5, only -6 and -5 exist
    ],
)
def test_window_buckets(text: str, at: int, buckets: range | list[int]) -> None:
    assert run(text, BITS, at=at) == {L(job="a"): float(sum(2 ** (k + 6) for k in buckets))}


def test_window_without_buckets_gives_nothing() -> None:
    assert run("increase(x[5m])", BITS, at=M + 60 * 12) == {}  # buckets 8..12: no data, no sample
    assert run("increase(x[5m])", BITS, at=M + 60 * 5) == {L(job="a"): 2.0**7}  # bucket 1 still in


SERIES = {
    "x": [
        counter({"job": "a", "code": "200"}, {-1: 60.0, 0: 240.0}),
        counter({"job": "a", "code": "500"}, {-2: 30.0}),
        counter({"job": "b", "code": "500"}, {-9: 30.0}),  # outside every window below
        counter({"job": "d", "code": "200"}, {0: 6.0}, kind="delta"),
        gauge({"job": "g", "code": "200"}, {0: 5.0}),  # a gauge under a counter's name: rate() skips it
    ],
    "g": [
        gauge({"host": "h1", "dc": "eu"}, {-3: 2.0, -2: 8.0, -1: 4.0, 0: 6.0}),
        gauge({"host": "h2", "dc": "eu"}, {-1: -1.5}),
        gauge({"host": "h3", "dc": "us"}, {-7: 100.0}),  # older than the 5-minute lookback
    ],
    "c": [counter({"host": "h1"}, {0: 7.0})],  # a counter not named _total: no raw value
    "one": [gauge({}, {0: 3.0})],
    "odd": [gauge({"k": "n"}, {0: NAN}), gauge({"k": "v"}, {0: 2.0})],
}

CASES = [
    # increase / rate (counters and deltas; gauges skipped)
    ("increase(x[5m])", {L(job="a", code="200"): 300.0, L(job="a", code="500"): 30.0, L(job="d", code="200"): 6.0}),
    ("rate(x[5m])", {L(job="a", code="200"): 1.0, L(job="a", code="500"): 0.1, L(job="d", code="200"): 0.02}),
    ('rate(x{code="500"}[2m])', {}),
    ('rate(x{code=~"5.."}[10m])', {L(job="a", code="500"): 0.05, L(job="b", code="500"): 0.05}),
    # *_over_time: one value per minute for gauges; count/present from samples for any kind
    ("avg_over_time(g[5m])", {L(host="h1", dc="eu"): 5.0, L(host="h2", dc="eu"): -1.5}),
    ("min_over_time(g[5m])", {L(host="h1", dc="eu"): 2.0, L(host="h2", dc="eu"): -1.5}),
    ("max_over_time(g[3m])", {L(host="h1", dc="eu"): 8.0, L(host="h2", dc="eu"): -1.5}),
    ("sum_over_time(g[2m])", {L(host="h1", dc="eu"): 10.0, L(host="h2", dc="eu"): -1.5}),
    ("last_over_time(g[5m] offset 1m)", {L(host="h1", dc="eu"): 4.0, L(host="h2", dc="eu"): -1.5}),
    ("count_over_time(g[2m])", {L(host="h1", dc="eu"): 6.0, L(host="h2", dc="eu"): 3.0}),
    ("count_over_time(c[5m])", {L(host="h1"): 2.0}),
    ("present_over_time(c[5m])", {L(host="h1"): 1.0}),
    ("avg_over_time(c[5m])", {}),  # a counter has no raw values
    ("max_over_time(odd[1m])", {L(k="n"): NAN, L(k="v"): 2.0}),
    # instant selectors: gauges within the lookback; counters have no raw value
    ("g", {L(host="h1", dc="eu"): 6.0, L(host="h2", dc="eu"): -1.5}),
    ("g offset 1m", {L(host="h1", dc="eu"): 4.0, L(host="h2", dc="eu"): -1.5}),
    ("c", {}),
    ('g{dc="eu", host!="h1"}', {L(host="h2", dc="eu"): -1.5}),
    # absent / absent_over_time
    ("absent(g)", {}),
    ('absent(g{host="h9", dc="eu"})', {L(host="h9", dc="eu"): 1.0}),
    ('absent(g{host="h9", dc=~"eu|us"})', {L(host="h9"): 1.0}),
    ('absent(g{host="h9", host="h8"})', {(): 1.0}),
    ("absent(nothing_total)", {(): 1.0}),
    ("absent(c)", {}),  # a counter with samples in the lookback is present
    ('absent(sum(g{host="h9"}))', {(): 1.0}),
    ('absent_over_time(x{job="b"}[5m])', {L(job="b"): 1.0}),
    ('absent_over_time(x{job="b"}[10m])', {}),
    # aggregations
    ("sum(g)", {(): 4.5}),
    ("sum by (dc) (g)", {L(dc="eu"): 4.5}),
    ("sum(rate(x[5m])) by (code)", {L(code="200"): 1.02, L(code="500"): 0.1}),
    ("sum without (code) (rate(x[5m]))", {L(job="a"): 1.1, L(job="d"): 0.02}),
    ("count by (job) (rate(x[5m]))", {L(job="a"): 2.0, L(job="d"): 1.0}),
    ("avg(g)", {(): 2.25}),
    ("min(g)", {(): -1.5}),
    ("max by (host) (g)", {L(host="h1"): 6.0, L(host="h2"): -1.5}),
    ("group by (dc) (g)", {L(dc="eu"): 1.0}),
    ("sum by (nope) (g)", {(): 4.5}),
    ("min(odd)", {(): 2.0}),
    ("max(odd)", {(): 2.0}),
    ('min(odd{k="n"})', {(): NAN}),
    ("sum(nothing)", {}),
    # functions
    ("abs(g)", {L(host="h1", dc="eu"): 6.0, L(host="h2", dc="eu"): 1.5}),
    ("ceil(g)", {L(host="h1", dc="eu"): 6.0, L(host="h2", dc="eu"): -1.0}),
    ("floor(g)", {L(host="h1", dc="eu"): 6.0, L(host="h2", dc="eu"): -2.0}),
    ("round(g)", {L(host="h1", dc="eu"): 6.0, L(host="h2", dc="eu"): -1.0}),  # half-way rounds up
    ("round(g / 4, 0.5)", {L(host="h1", dc="eu"): 1.5, L(host="h2", dc="eu"): -0.5}),
    ("clamp_min(g, 0)", {L(host="h1", dc="eu"): 6.0, L(host="h2", dc="eu"): 0.0}),
    ("clamp_max(g, 0)", {L(host="h1", dc="eu"): 0.0, L(host="h2", dc="eu"): -1.5}),
    ("clamp(g, -1, 1)", {L(host="h1", dc="eu"): 1.0, L(host="h2", dc="eu"): -1.0}),
    ("clamp(g, 1, -1)", {}),
    ("clamp_min(odd, 0)", {L(k="n"): NAN, L(k="v"): 2.0}),
    ("vector(1)", {(): 1.0}),
    ("vector(scalar(one))", {(): 3.0}),
    ("vector(scalar(g))", {(): NAN}),  # not exactly one sample
    ("vector(time())", {(): float(AT)}),
    ("timestamp(one)", {(): M + 30.0}),
    ("timestamp(sum(g))", {(): float(AT)}),
    ("time() - timestamp(one) > 0", {}),
    # arithmetic with scalars
    ("g * 2", {L(host="h1", dc="eu"): 12.0, L(host="h2", dc="eu"): -3.0}),
    ("10 - g", {L(host="h1", dc="eu"): 4.0, L(host="h2", dc="eu"): 11.5}),
    ("-g", {L(host="h1", dc="eu"): -6.0, L(host="h2", dc="eu"): 1.5}),
    ("g % 4", {L(host="h1", dc="eu"): 2.0, L(host="h2", dc="eu"): -1.5}),
    ("one ^ 2 ^ 0.5", {(): 3.0**1.4142135623730951}),  # ^ is right-associative
    ("(one + 1) * 2", {(): 8.0}),
    ("one + 1 * 2", {(): 5.0}),
    ("one * -(1 + 1)", {(): -6.0}),
    ("one atan2 0", {(): math.atan2(3.0, 0.0)}),
    ("vector(1e3) + vector(0x10) + vector(5m)", {(): 1316.0}),
    ("vector(Inf) > 1e308", {(): INF}),
    # division by zero and other IEEE corners, as Prometheus
    ("g / 0", {L(host="h1", dc="eu"): INF, L(host="h2", dc="eu"): -INF}),
    ("g / -0", {L(host="h1", dc="eu"): -INF, L(host="h2", dc="eu"): INF}),
    ("(g - g) / 0", {L(host="h1", dc="eu"): NAN, L(host="h2", dc="eu"): NAN}),
    ("one % 0", {(): NAN}),
    ("vector(0) ^ -1", {(): INF}),
    ("vector(-8) ^ 0.5", {(): NAN}),
    ("vector(10) ^ 1000", {(): INF}),
    ("vector(-10) ^ 1001", {(): -INF}),
    ("vector(NaN) + 1", {(): NAN}),
    ("vector(1 / 0)", {(): INF}),
    # comparisons: filters keep the vector's value; bool gives 1/0 for every sample
    ("g > 0", {L(host="h1", dc="eu"): 6.0}),
    ("0 < g", {L(host="h1", dc="eu"): 6.0}),
    ("g == -1.5", {L(host="h2", dc="eu"): -1.5}),
    ("g != -1.5", {L(host="h1", dc="eu"): 6.0}),
    ("g >= 6", {L(host="h1", dc="eu"): 6.0}),
    ("g <= 6", {L(host="h1", dc="eu"): 6.0, L(host="h2", dc="eu"): -1.5}),
    ("g > bool 0", {L(host="h1", dc="eu"): 1.0, L(host="h2", dc="eu"): 0.0}),
    ("0 > bool g", {L(host="h1", dc="eu"): 0.0, L(host="h2", dc="eu"): 1.0}),
    ("odd > 0", {L(k="v"): 2.0}),
    ("odd != 0", {L(k="n"): NAN, L(k="v"): 2.0}),
    ("vector(1 > bool 2) + vector(2 >= bool 2)", {(): 1.0}),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_evaluate(text: str, expected: dict[Labels, float]) -> None:
    result = run(text, SERIES)
    assert same(result, expected), result


def test_instant_lookback_edges() -> None:
    at = M + 30

    def value(second_offset: float) -> dict[Labels, float]:
        ts = at + second_offset
        start = int(ts) - int(ts) % 60
        series = SeriesData({"a": "1"}, "gauge", {start: Minute(0.0, 7.0, ts, 1)})
        return run("g", {"g": [series]}, at=at)

    assert value(0) == {L(a="1"): 7.0}
    assert value(-299) == {L(a="1"): 7.0}
    assert value(-300) == {}  # Prometheus' lookback is (at - 5m, at]
    assert value(-359) == {}


def test_instant_passes_over_a_minute_that_went_on_after_at() -> None:
    # at is mid-minute and the minute's last sample came later: its value at `at` is unknown, so the
    # previous minute's last value stands
    series = gauge({"a": "1"}, {-1: 1.0, 0: 2.0}, second=50.0)
    assert run("g", {"g": [series]}, at=M + 20) == {L(a="1"): 1.0}
    assert run("g", {"g": [series]}, at=M + 50) == {L(a="1"): 2.0}


def test_instant_without_gauge_ts_uses_the_minute_start() -> None:
    series = SeriesData({}, "gauge", {M - 300: Minute(0.0, 1.0, None, 1)})
    assert run("g", {"g": [series]}, at=M) == {}  # M - 300 is not after M - 300
    assert run("g", {"g": [series]}, at=M - 1) == {(): 1.0}
    series = SeriesData({}, "gauge", {M: Minute(0.0, 2.0, None, 1), M - 300: Minute(0.0, 1.0, None, 1)})
    assert run("g", {"g": [series]}, at=M) == {(): 2.0}


def test_empty_label_values_are_absent_labels() -> None:
    series = gauge({"a": "1", "b": ""}, {0: 1.0})
    assert run("g", {"g": [series]}) == {L(a="1"): 1.0}


def test_a_need_the_caller_left_out_is_no_series() -> None:
    plan = compile_expr("absent(g) + vector(0)")
    assert evaluate(plan, at=AT, data={}) == evaluate(plan, at=AT, data={Need("g", (), 0): []})
    assert [s.value for s in evaluate(plan, at=AT, data={})] == [1.0]


def test_result_is_sorted_by_labels() -> None:
    series = [gauge({"h": h}, {0: 1.0}) for h in ("c", "a", "b")]
    plan = compile_expr("g")
    samples = evaluate(plan, at=AT, data={plan.needs[0]: series})
    assert [s.labels for s in samples] == [L(h="a"), L(h="b"), L(h="c")]
