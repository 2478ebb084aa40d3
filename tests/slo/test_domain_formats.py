"""Selectors, specs, windows, exact printing and PromQL text (pure)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slo.domain.budget import DEFAULT_POLICY
from slo.domain.exact import decimal_str, exact
from slo.domain.promql import count_expr, rule_groups
from slo.domain.selector import labels_match, le_equals, parse_selector
from slo.domain.spec import SpecError, policy_default, policy_validate, sli_validate, target_validate
from slo.domain.windows import (
    calendar_start,
    clip_ranges,
    slo_period_seconds,
    slo_window_seconds,
)

UTC = dt.UTC


@pytest.mark.parametrize(
    ("text", "metric", "matchers"),
    [
        ("up", "up", ()),
        ('http_requests_total{service="checkout"}', "http_requests_total", (("service", "=", "checkout"),)),
        ('x{a!="1", b=~"5..",c!~"2.."}', "x", (("a", "!=", "1"), ("b", "=~", "5.."), ("c", "!~", "2.."))),
        ('{__name__="x", a="q\\"uote"}', "x", (("a", "=", 'q"uote'),)),
        ("x{}", "x", ()),
    ],
)
def test_parse_selector(text, metric, matchers):
    sel = parse_selector(text)
    assert (sel.metric, sel.matchers) == (metric, matchers)
    assert parse_selector(str(sel)) == sel


@pytest.mark.parametrize("text", ['x{a="1"', 'x{a~"1"}', '{a="1"}', 'x{a=~"("}', "x y", "x{a=1}", 'x{a=~"(?=1)"}'])
def test_parse_selector_rejects(text):
    with pytest.raises(ValueError):
        parse_selector(text)


@pytest.mark.parametrize(
    ("labels", "matchers", "expected"),
    [
        ({"code": "500"}, [("code", "=~", "5..")], True),
        ({"code": "5000"}, [("code", "=~", "5..")], False),  # anchored
        ({}, [("code", "!=", "500")], True),  # missing label is ""
        ({"code": "200"}, [("code", "!~", "5..")], True),
        ({"path": "a" * 40 + "b"}, [("path", "=~", "(a+)+$")], False),  # hours on Python's re; RE2 is linear
        ({"path": "a" * 40 + "b"}, [("path", "!~", "(a+)+$")], True),
    ],
)
def test_labels_match(labels, matchers, expected):
    assert labels_match(labels, matchers) is expected


def test_le_equals_numerically():
    assert le_equals("0.50", "0.5") and le_equals("5e-1", "0.5") and not le_equals("+Inf", "0.5")


@pytest.mark.parametrize(
    ("value", "text"),
    [(Fraction(144, 10000), "0.0144"), (exact("14.4") * (1 - exact("0.999")), "0.0144"), (Fraction(6, 1000), "0.006"),
     (Fraction(1), "1"), (exact("0.99999"), "0.99999"), (Fraction(1, 3), "0.333333333333333333333333333333")],
)  # fmt: skip
def test_decimal_str_is_exact(value, text):
    assert decimal_str(value) == text


@given(st.decimals(min_value=0, max_value=1000, places=6, allow_nan=False))
def test_decimal_str_round_trips(value):
    assert exact(decimal_str(exact(value))) == exact(value)


def test_calendar_windows_in_a_time_zone():
    now = dt.datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    start = calendar_start(unit="month", tz="Europe/Paris", now=now)
    assert start == dt.datetime(2026, 2, 28, 23, 0, tzinfo=UTC)
    assert slo_window_seconds(kind="calendar", days=0, unit="month", tz="Europe/Paris", now=now) == int(
        (now - start).total_seconds()
    )
    # March in Paris has 31 days minus the hour lost to daylight saving time.
    assert slo_period_seconds(kind="calendar", days=0, unit="month", tz="Europe/Paris", now=now) == 31 * 86400 - 3600
    assert calendar_start(unit="week", tz="UTC", now=now) == dt.datetime(2026, 3, 9, tzinfo=UTC)
    assert slo_window_seconds(kind="rolling", days=28, unit="", tz="UTC", now=now) == 28 * 86400


def test_clip_ranges_merges_and_clips():
    assert clip_ranges(ranges=[(0, 100), (50, 200), (500, 600), (900, 1000)], start=60, end=550) == [
        (60, 200),
        (500, 550),
    ]


@pytest.mark.parametrize(
    ("kind", "spec", "error_field"),
    [
        ("ratio", {"good": 'x{code!~"5.."}', "total": "x"}, None),
        ("ratio", {"good": "x", "bad": "y", "total": "x"}, "sli.good"),
        ("ratio", {"total": "x"}, "sli.good"),
        ("ratio", {"good": "x{", "total": "x"}, "sli.good"),
        ("ratio", {"good": "x", "total": "x", "extra": 1}, "sli.extra"),
        ("promql", {"bad": 'sum(increase(x{code="500"}[$window]))', "total": "x"}, None),
        ("promql", {"bad": "sum(rate(x[5m]))", "total": "x"}, "sli.bad"),
        ("log", {"service": "checkout", "bad_levels": ["error"]}, None),
        ("log", {"service": "checkout"}, "sli.bad_levels"),
        ("log", {"service": "checkout", "bad_levels": ["loud"]}, "sli.bad_levels"),
        ("latency", {"selector": 'http_request_duration_seconds{service="a"}', "threshold": "0.5"}, None),
        ("latency", {"selector": 'h_bucket{le="0.5"}', "threshold": "0.5"}, "sli.selector"),
        ("latency", {"selector": "h_bucket", "threshold": -1}, "sli.threshold"),
        ("nope", {}, "sli_kind"),
    ],
)
def test_sli_validate(kind, spec, error_field):
    if error_field is None:
        sli_validate(kind, spec)
    else:
        with pytest.raises(SpecError) as info:
            sli_validate(kind, spec)
        assert error_field in info.value.errors


def test_latency_selector_gets_the_bucket_suffix():
    spec = sli_validate("latency", {"selector": 'h{service="a"}', "threshold": 0.25})
    assert spec == {"selector": 'h_bucket{service="a"}', "threshold": "0.25"}


def test_policy_default_is_the_workbook_and_round_trips():
    assert policy_default() == [
        {"name": "fast-burn", "severity": "page", "factor": "14.4", "long_window": "1h", "short_window": "5m"},
        {"name": "slow-burn", "severity": "page", "factor": "6", "long_window": "6h", "short_window": "30m"},
        {"name": "budget-drain", "severity": "ticket", "factor": "1", "long_window": "3d", "short_window": "6h"},
    ]
    assert tuple(policy_validate(policy_default())) == DEFAULT_POLICY


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        ([{"factor": "2", "long_window": "5m", "short_window": "1h"}], "alert_policy[0].short_window"),
        ([{"factor": "-1", "long_window": "1h", "short_window": "5m"}], "alert_policy[0].factor"),
        ([{"factor": "2", "long_window": "1h", "short_window": "5m", "severity": "sms"}], "alert_policy[0].severity"),
        ("x", "alert_policy"),
    ],
)
def test_policy_validate_rejects(policy, field):
    with pytest.raises(SpecError) as info:
        policy_validate(policy)
    assert field in info.value.errors


@pytest.mark.parametrize("value", [0, 1, "1.5", "abc", None, True])
def test_target_validate_rejects(value):
    with pytest.raises(SpecError):
        target_validate(value)


def test_float_target_is_read_as_its_decimal_text():
    assert target_validate(0.999) == Fraction(999, 1000)


def test_count_expr():
    assert count_expr('x{a="1"}', 2592000) == 'sum(increase(x{a="1"}[30d]))'
    assert count_expr("sum(increase(x[$window]))", 300) == "sum(increase(x[5m]))"


def test_rule_thresholds_print_exactly():
    groups = rule_groups(slo="s", service="svc", target=exact("0.999"), good=None, bad='x{c="5"}', total="x",
                         windows=[300], conditions=list(DEFAULT_POLICY), budget_window=2592000)  # fmt: skip
    alerts = groups["groups"][1]["rules"]
    assert "> 0.0144\n" in alerts[0]["expr"] and "> 0.006\n" in alerts[1]["expr"] and "> 0.001\n" in alerts[2]["expr"]
    records = {r["record"] for r in groups["groups"][0]["rules"]}
    assert {"slo:sli_error:ratio_rate5m", "slo:sli_error:ratio_rate1h", "slo:sli_error:ratio_rate30d"} <= records
