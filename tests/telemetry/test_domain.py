"""Pure telemetry maths: counter increases like Prometheus, window plans, naming (no database)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telemetry.domain.naming import labels_error, metric_name_error, series_key
from telemetry.domain.samples import apply_counter_state, chain_counters, counter_increase
from telemetry.domain.windows import plan_window, window_bounds


@pytest.mark.parametrize(
    ("prev", "value", "expected"),
    [(None, 5, 0), (5, 5, 0), (5, 8, 3), (8, 2, 2), (8, 0, 0), (0.5, 1.25, 0.75)],
)
def test_counter_increase_table(prev, value, expected):
    assert counter_increase(prev=prev, value=value) == expected


def reference_increase(values: list[float]) -> float:
    """Prometheus increase() without extrapolation: sum of positive steps, a drop counts the new value."""
    total = 0.0
    for prev, value in itertools.pairwise(values):
        total += value - prev if value >= prev else value
    return total


@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=40), st.integers(0, 39))
def test_split_batches_sum_to_the_reference(values, cut):
    """However the samples are split into two batches, the stored increases add up the same."""
    cut = min(cut, len(values))
    state = (None, None)
    total = 0.0
    for offset, part in ((0, values[:cut]), (cut, values[cut:])):
        points, dropped = chain_counters([(1, float(offset + i), float(v)) for i, v in enumerate(part)])
        assert dropped == 0
        for point in points:
            inc = apply_counter_state(point, last_value=state[0], last_ts=state[1])
            assert inc is not None
            total += inc
            state = (point.value, point.ts)
    assert total == pytest.approx(reference_increase([float(v) for v in values]))


def test_out_of_order_and_duplicate_points():
    points, dropped = chain_counters([(1, 10.0, 5.0), (1, 10.0, 6.0), (1, 5.0, 1.0), (1, 20.0, 9.0)])
    assert dropped == 1
    incs = [apply_counter_state(p, last_value=3.0, last_ts=8.0) for p in points]
    # t=5 is before the stored t=8 (rejected); t=10 compares with the stored 3.0; t=20 with t=10.
    assert incs == [None, 2.0, 4.0]


@given(st.integers(0, 10**7), st.integers(60, 40 * 86400))
def test_window_plan_covers_the_window_exactly_once(start_minute, length):
    start = start_minute * 60
    end = start + length // 60 * 60
    plan = plan_window(start=start, end=end)
    covered = sum(b - a for a, b in plan.minute_ranges)
    if plan.hour_range:
        a, b = plan.hour_range
        assert a % 3600 == 0 and b % 3600 == 0
        covered += b - a
        for ma, mb in plan.minute_ranges:
            assert mb <= a or ma >= b
    assert covered == end - start
    assert sum(b - a for a, b in plan.minute_ranges) < 2 * 3600  # at most 119 minute rows per series


def test_window_bounds_include_the_current_minute():
    assert window_bounds(now=1000.5, seconds=300) == (720, 1020)
    assert window_bounds(now=960, seconds=60) == (960, 1020)


@pytest.mark.parametrize(
    ("name", "ok"),
    [("http_requests_total", True), ("a:b_c", True), ("9x", False), ("a-b", False), ("", False), (3, False)],
)
def test_metric_names(name, ok):
    assert (metric_name_error(name) is None) is ok


def test_label_rules_and_key():
    assert labels_error({"__name__": "x"}) is not None
    assert labels_error({"a": 1}) is not None
    assert labels_error({"a-b": "1"}) is not None
    assert labels_error({"ok": "1"}) is None
    assert series_key("m", {"b": "2", "a": 'q"x', "empty": ""}) == 'm{a="q\\"x",b="2"}'
