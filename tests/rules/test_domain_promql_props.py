"""Properties of the evaluator (hypothesis): window sums, filters, grouping and IEEE division."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from rules.domain.promql import arith
from tests.rules.promql_data import L, M, counter, gauge, run, same

increases = st.floats(min_value=0, max_value=1e9, allow_nan=False)
values = st.floats(allow_nan=False, allow_infinity=False, width=64)
# minute offset from M -> increase, for a handful of series
counter_series = st.lists(st.dictionaries(st.integers(-12, 3), increases, max_size=16), min_size=0, max_size=8)


@given(series=counter_series, second=st.integers(0, 59), minutes=st.sampled_from([1, 5, 10]))
def test_sum_of_rates_is_the_window_increases_over_the_range(
    series: list[dict[int, float]], second: int, minutes: int
) -> None:
    data = {"x": [counter({"i": str(i)}, incs) for i, incs in enumerate(series)]}
    window = range(-minutes + 1, 1)  # the bucket holding at and the ones before it
    in_window = [[v for k, v in incs.items() if k in window] for incs in series]
    result = run(f"sum(rate(x[{minutes}m]))", data, at=M + second)
    if not any(in_window):
        assert result == {}
    else:
        expected = sum(sum(vs) for vs in in_window) / (60 * minutes)
        assert math.isclose(result[()], expected, rel_tol=1e-9, abs_tol=1e-12)
    # increase() keeps exactly the series with a bucket in the window
    per_series = run(f"increase(x[{minutes}m])", data, at=M + second)
    assert set(per_series) == {L(i=str(i)) for i, vs in enumerate(in_window) if vs}


@given(samples=st.lists(values, max_size=10), k=values)
def test_a_comparison_keeps_exactly_the_samples_that_hold(samples: list[float], k: float) -> None:
    data = {"g": [gauge({"i": str(i)}, {0: v}) for i, v in enumerate(samples)]}
    above = {L(i=str(i)): v for i, v in enumerate(samples) if v > k}
    assert run(f"g > {k!r}", data) == above
    assert run(f"{k!r} < g", data) == above
    assert run(f"g > bool {k!r}", data) == {L(i=str(i)): float(v > k) for i, v in enumerate(samples)}
    assert run(f"g <= {k!r}", data) == {L(i=str(i)): v for i, v in enumerate(samples) if v <= k}


@given(
    samples=st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from(["1", "2"]), st.integers(-1000, 1000)),
        max_size=12,
        unique_by=lambda t: (t[0], t[1]),
    )
)
def test_grouping_by_and_without_agree(samples: list[tuple[str, str, int]]) -> None:
    data = {"g": [gauge({"svc": svc, "zone": zone}, {0: float(v)}) for svc, zone, v in samples]}
    expected: dict[tuple[tuple[str, str], ...], float] = {}
    counts: dict[tuple[tuple[str, str], ...], float] = {}
    for svc, _zone, v in samples:
        expected[L(svc=svc)] = expected.get(L(svc=svc), 0.0) + v
        counts[L(svc=svc)] = counts.get(L(svc=svc), 0.0) + 1
    assert run("sum by (svc) (g)", data) == expected
    assert run("sum without (zone) (g)", data) == expected
    assert run("count by (svc) (g)", data) == counts
    assert same(run("avg by (svc) (g)", data), {k: expected[k] / counts[k] for k in expected})


@given(x=st.floats(width=64), y=st.floats(width=64))
def test_division_follows_ieee(x: float, y: float) -> None:
    result = arith.div(x, y)
    if y != 0:
        assert same({(): result}, {(): x / y})
    elif x == 0 or math.isnan(x):
        assert math.isnan(result)
    else:
        assert math.isinf(result)
        assert (result > 0) == ((x > 0) == (math.copysign(1.0, y) > 0))


@given(x=st.floats(width=64), y=st.floats(width=64))
def test_mod_and_power_never_raise(x: float, y: float) -> None:
    assert isinstance(arith.mod(x, y), float)
    assert isinstance(arith.power(x, y), float)
    if y != 0 and math.isfinite(x) and math.isfinite(y):
        assert arith.mod(x, y) == math.fmod(x, y)
