"""compile_expr: the needs and lookback of a plan, and every refused construct with a message naming it."""

from __future__ import annotations

import pytest

from rules.domain.promql import ExprError, Need, Plan, compile_expr


@pytest.mark.parametrize(
    ("text", "needs", "lookback"),
    [
        ('rate(x{job="a"}[5m]) > 0', [Need("x", (("job", "=", "a"),), 300)], 300),
        ("g > 1", [Need("g", (), 0)], 360),  # 5-minute lookback + the minute holding at - 300
        ("increase(x[1h] offset 10m) > 0", [Need("x", (), 3600, 600)], 4200),
        ("g offset 2m > 1", [Need("g", (), 0, 120)], 480),
        ('{__name__="x", job="a"} > 1', [Need("x", (("job", "=", "a"),), 0)], 360),
        (
            'x{b!="2", a=~"1|3", c!~"z.*", a="1"} > 1',
            [Need("x", (("a", "=", "1"), ("a", "=~", "1|3"), ("b", "!=", "2"), ("c", "!~", "z.*")), 0)],
            360,
        ),
        # the same selector written twice is one need; needs are sorted by name, matchers, range, offset
        (
            'rate(y[5m]) / rate(x{a="1",b="2"}[5m]) + rate(x{b="2",a="1"}[5m]) + rate(x{a="1",b="2"}[10m])',
            [
                Need("x", (("a", "=", "1"), ("b", "=", "2")), 300),
                Need("x", (("a", "=", "1"), ("b", "=", "2")), 600),
                Need("y", (), 300),
            ],
            600,
        ),
        ("vector(1)", [], 0),
        ("absent(requests_total)", [Need("requests_total", (), 0)], 360),  # absent() may read a counter
    ],
)
def test_needs_and_lookback(text: str, needs: list[Need], lookback: int) -> None:
    plan = compile_expr(text)
    assert plan.text == text
    assert list(plan.needs) == needs
    assert plan.lookback_seconds == lookback


def test_plan_and_needs_are_hashable_and_frozen() -> None:
    plan = compile_expr("sum(rate(x[5m])) > 1")
    assert hash(plan) == hash(compile_expr("sum(rate(x[5m])) > 1"))
    assert plan == compile_expr("sum(rate(x[5m])) > 1")
    assert isinstance(plan, Plan)
    assert {plan.needs[0]: 1}[Need("x", (), 300)] == 1
    with pytest.raises(AttributeError):
        plan.text = "y"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # functions that need raw samples
        ("irate(x[5m])", "unsupported function irate(): needs the raw samples"),
        ("idelta(x[5m])", "unsupported function idelta()"),
        ("delta(g[5m])", "unsupported function delta()"),
        ("deriv(g[5m])", "unsupported function deriv()"),
        ("predict_linear(g[1h], 3600)", "unsupported function predict_linear()"),
        ("resets(x[5m])", "unsupported function resets()"),
        ("changes(g[5m])", "unsupported function changes()"),
        ("quantile_over_time(0.9, g[5m])", "unsupported function quantile_over_time()"),
        ("stddev_over_time(g[5m])", "unsupported function stddev_over_time()"),
        ("histogram_quantile(0.9, rate(x_bucket[5m]))", "unsupported function histogram_quantile()"),
        ('label_replace(g, "a", "$1", "b", "(.*)")', "unsupported function label_replace(): label rewriting"),
        ("sort(g)", "unsupported function sort()"),
        ("sqrt(g)", "unsupported function sqrt(): not evaluated over minute rollups; use source: prometheus"),
        # aggregations
        ("topk(3, g)", "unsupported aggregation topk()"),
        ("bottomk(3, g)", "unsupported aggregation bottomk()"),
        ("quantile(0.9, g)", "unsupported aggregation quantile()"),
        ("stddev(g)", "unsupported aggregation stddev()"),
        ("stdvar(g)", "unsupported aggregation stdvar()"),
        ('count_values("v", g)', "unsupported aggregation count_values()"),
        # selectors and modifiers
        ("rate(x[5m:1m])", "subqueries are not supported over minute rollups; use source: prometheus"),
        ("max_over_time(g[5m])[10m:1m]", "subqueries are not supported"),
        ("g @ 1700000000", "the @ modifier is not supported"),
        ("rate(x[5m] @ end())", "the @ modifier is not supported"),
        ("g offset -1m", "negative offset -1m is not supported"),
        ("g offset 30s", "offset 30s is not a whole number of minutes"),
        ("rate(x[90s])", "range 1m30s is not a whole number of minutes"),
        ("rate(x[30s])", "range 30s is not a whole number of minutes"),
        ("rate(x[1500ms])", "range 1s500ms is not a whole number of minutes"),
        ('{job="x"}', "a selector must name its metric"),
        ('rate({job="x"}[5m])', "a selector must name its metric"),
        ('{__name__=~"x.*"}', "matching __name__ with =~ is not supported"),
        ('{__name__="x", __name__="y"}', "a selector names one metric"),
        ('g{a="b" or c="d"}', "'or' inside a selector"),
        ("g + fill(0) h", "fill modifiers are not supported"),
        # bare counters
        ("http_requests_total", "raw counter values are not stored; use rate() or increase()"),
        ("latency_count > 1", "latency_count is used without a range"),
        ("sum(latency_sum)", "latency_sum is used without a range"),
        ('latency_bucket{le="1"}', "raw counter values are not stored"),
        ("timestamp(x_total)", "raw counter values are not stored"),
        # types
        ('"abc"', "string literals"),
        ("1 + 1", "is a scalar: an alert expression must return an instant vector"),
        ("time()", "is a scalar"),
        ("scalar(g)", "is a scalar"),
        ("g[5m]", "is a range vector"),
        # parse errors carry the parser's message
        ("sum(", "cannot parse the expression: unclosed left parenthesis"),
        ("foo(g)", "unknown function with name 'foo'"),
        ("", "no expression found in input"),
        ("1 > 2", "comparisons between scalars must use BOOL modifier"),
        ("rate(g)", "expected type matrix in call to function 'rate'"),
    ],
)
def test_refused(text: str, message: str) -> None:
    with pytest.raises(ExprError) as excinfo:
        compile_expr(text)
    assert message in str(excinfo.value)


@pytest.mark.parametrize(
    "text",
    [
        "sum by (service) (rate(http_requests_total[5m])) > 0.05",
        "sum(rate(x[5m])) by (service) / sum without (code) (rate(x[5m])) > bool 0.5",
        "increase(x_total[1h] offset 5m) > 0",
        "avg_over_time(g[10m]) > 1 and min_over_time(g[10m]) < 5 or max_over_time(g[10m]) > 9 unless g",
        "sum_over_time(g[5m]) + last_over_time(g[5m]) + count_over_time(x[5m]) + present_over_time(x[5m])",
        'absent(up{job="api"}) or absent_over_time(x_total[10m])',
        "abs(g) + ceil(g) + floor(g) + round(g) + round(g, 0.5) + clamp_min(g, 0) + clamp_max(g, 1) + clamp(g, 0, 1)",
        "vector(1) + scalar(g) - time() + timestamp(g) + timestamp(sum(g))",
        "-g % 3 ^ 2 atan2 1 * (g / on(a) h) - ignoring(b) h",
        "g * on(instance) group_left(team) info and on() vector(1)",
        "h + on(instance) group_right(team) g",
        "g == bool 1 or g != 1 or g >= 1e3 or g <= Inf or g < -Inf or g > NaN or g > 0x1f or g > 5m",
        "count(g) by (a) > 1 and group without (b) (g) and min(g) and max(g) and avg(g)",
    ],
)
def test_supported(text: str) -> None:
    assert compile_expr(text).text == text


@pytest.mark.parametrize(
    "text",
    [
        "-" * 20000 + "g",
        "(" * 20000 + "g" + ")" * 20000,
        "abs(" * 6000 + "g" + ")" * 6000,
        "g" + " + g" * 5000,
        "g" + " and g" * 5000,
    ],
)
def test_a_deeply_nested_expression_is_refused_before_the_parser_overflows_its_stack(text: str) -> None:
    # the parser recurses on the native stack: a few thousand levels crash the process instead of raising
    with pytest.raises(ExprError, match="the expression is too large"):
        compile_expr(text)


def test_the_size_bound_skips_strings_comments_and_label_matchers() -> None:
    regex = "|".join(f"svc-{i}+" for i in range(400))  # a long alternation counts nothing
    text = f'sum by (svc) (rate(x{{svc=~"{regex}", code!="5(0)0"}}[5m])) > 1 # ((( and or\n and vector(1)'
    assert compile_expr(text).needs[0].matchers[1] == ("svc", "=~", regex)
    assert compile_expr("-" * 499 + "g")
    with pytest.raises(ExprError, match="501 parentheses and operators, at most 500"):
        compile_expr("-" * 501 + "g")
