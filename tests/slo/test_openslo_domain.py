"""OpenSLO parsing and PromQL query mapping (pure, no database)."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from slo.domain.exact import exact
from slo.domain.formats import parse_documents
from slo.domain.promql import count_expr, timeslice_exprs
from slo.domain.promql_query import counter_query, promql_validate, store_selector, threshold_queries
from slo.domain.spec import SpecError, sli_validate


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('x{a="1"}', 'x{a="1"}'),  # a selector: count_expr takes the increase
        ("x{}", "x{}"),
        ('sum(x{a="1", b=~"2.."})', 'sum(increase(x{a="1", b=~"2.."}[$window]))'),
        ("sum by (code) (x)", "sum(increase(x[$window]))"),
        ("sum(x) by (code)", "sum(increase(x[$window]))"),
        ('sum(rate(x{a="1"}[5m]))', 'sum(increase(x{a="1"}[$window]))'),
        ("sum without (pod) (increase(x[1h]))", "sum(increase(x[$window]))"),
        ("rate(x[5m])", "sum(increase(x[$window]))"),
        ("sum(a) + sum(b)", "sum(increase(a[$window])) + sum(increase(b[$window]))"),
        ("sum(increase(x[$window]))", "sum(increase(x[$window]))"),  # the product's own form is kept
        ('sum(x{a="q\\"x"})', 'sum(increase(x{a="q\\"x"}[$window]))'),
    ],
)
def test_counter_queries_become_increases_over_the_window(query, expected):
    assert counter_query(query)[0] == expected
    promql_validate(expected)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("avg(x)", "avg() is not a count of events"),
        ("sum(irate(x[5m]))", "irate() is not a count of events"),
        ("x offset 5m", "offset"),
        ("sum(x{", "PromQL does not parse: unexpected end of input inside braces"),
        ('x{a="1" or b="2"}', "'or'"),
    ],
)
def test_counter_queries_that_count_nothing_are_refused(query, message):
    with pytest.raises(ValueError, match=None) as info:
        counter_query(query) if "or" not in query else store_selector(query)
    assert message in str(info.value)


def test_store_selector_unwraps_one_selector():
    assert store_selector('sum(rate(x{a="1"}[5m]))') == 'x{a="1"}'
    assert store_selector("sum(x)") == store_selector("x") == "x"
    with pytest.raises(ValueError):
        store_selector("sum(x) + sum(y)")


def test_threshold_and_subquery_windows():
    q = threshold_queries("max(lag)", op="lte", value="10")
    assert q == {
        "good": "sum(sum_over_time((max(lag) <= bool 10)[$window:1m]))",
        "total": "sum(count_over_time((max(lag))[$window:1m]))",
    }
    # one-minute subqueries end 1 ms short so Prometheus 2 (closed ranges) and 3 count the same minutes
    assert count_expr(q["good"], 3600) == "sum(sum_over_time((max(lag) <= bool 10)[3599s999ms:1m]))"
    assert count_expr("sum(increase(x[$window]))", 3600) == "sum(increase(x[1h]))"
    slices = timeslice_exprs(good="x", bad=None, total="y", seconds=300, slice_target=exact("0.9"))
    assert slices["total"] == "count_over_time((sum(increase(y[1m])) > 0)[299s999ms:1m])"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"bad": "sum(x{", "total": "x"}, "PromQL does not parse"),
        ({"bad": "sum(x)", "total": "x"}, "Give a series selector, or an expression containing $window"),
        ({"bad": "x[$window]", "total": "x"}, "not a range or a string"),
        ({"bad": "sum(increase(x[$window])", "total": "x"}, "PromQL does not parse"),
    ],
)
def test_promql_slis_are_checked_with_the_parser_when_saved(spec, message):
    with pytest.raises(SpecError) as info:
        sli_validate("promql", spec)
    assert message in " ".join(info.value.errors["sli.bad"])


def _parse(text: str):
    return parse_documents(list(yaml.safe_load_all(text)))


SLO = """
- apiVersion: openslo/v1
  kind: SLO
  metadata: {{name: {name}}}
  spec:
    service: web
    budgetingMethod: {method}
    objectives: [{{target: 0.99, timeSliceTarget: 0.9}}]
    indicator:
      metadata: {{name: i}}
      spec:
        ratioMetric:
          counter: {counter}
          good: {{metricSource: {{metricSourceRef: prom, spec: {{query: 'sum(ok)'}}}}}}
          total: {{metricSource: {{metricSourceRef: prom, spec: {{query: 'sum(all)'}}}}}}
- apiVersion: openslo/v1
  kind: DataSource
  metadata: {{name: prom}}
  spec: {{type: Prometheus, connectionDetails: [{{url: 'http://p'}}]}}
- apiVersion: openslo/v1
  kind: AlertNotificationTarget
  metadata: {{name: pager}}
  spec: {{target: pagerduty}}
- apiVersion: openslo/v1
  kind: DataSource
  metadata: {{name: dd}}
  spec: {{type: Datadog}}
"""


def test_data_source_references_and_skipped_objects():
    result = _parse(SLO.format(name="a", method="Occurrences", counter="true"))
    assert result.errors == []
    (slo,) = result.slos
    assert slo["sli"] == {"good": "sum(increase(ok[$window]))", "total": "sum(increase(all[$window]))"}
    assert slo["where"] == "document 1, item 1"
    assert result.skipped == [
        "document 1, item 4: DataSource dd: type 'Datadog' is not a source the product reads",
        "document 1, item 3: AlertNotificationTarget pager: notifications go through the alert routing tree: "
        "route burn alerts on their service and slo labels",
    ]
    assert "document 1, item 2: DataSource prom: spec.connectionDetails" in result.unsupported[0]


def test_gauges_and_ratio_timeslices():
    gauge = _parse(SLO.format(name="g", method="Timeslices", counter="false")).slos[0]
    assert gauge["sli"]["good"] == "sum(sum_over_time((sum(ok))[$window:1m]))"
    assert (gauge["budgeting_method"], gauge["timeslice_target"]) == ("Timeslices", "0.9")
    ratio = _parse(SLO.format(name="r", method="RatioTimeslices", counter="true")).slos[0]
    assert ratio["budgeting_method"] == "Occurrences"
    assert ratio["sli"] == {
        "good": "sum_over_time((sum(increase(ok[1m])) / sum(increase(all[1m])))[$window:1m])",
        "total": "count_over_time((sum(increase(all[1m])) > 0)[$window:1m])",
    }
    for query in ratio["sli"].values():
        promql_validate(query)


@pytest.mark.parametrize(("window", "accepted"), [("1m", True), ("60s", True), ("60000ms", True), ("5m", False),
                                                 ("1 m", False), ("soon", False)])  # fmt: skip
@pytest.mark.parametrize("method", ["Timeslices", "RatioTimeslices"])
def test_time_slices_are_one_minute_however_it_is_written(method, window, accepted):
    text = SLO.format(name="t", method=method, counter="true").replace(
        "timeSliceTarget: 0.9}", f"timeSliceTarget: 0.9, timeSliceWindow: '{window}'}}"
    )
    result = _parse(text)
    assert bool(result.slos) is accepted
    assert accepted or "timeSliceWindow: the product's time slices are one minute" in result.errors[0]


def test_one_bad_slo_does_not_stop_the_others():
    text = (
        SLO.format(name="a", method="Occurrences", counter="true")
        + "---\n"
        + SLO.format(name="b", method="Nope", counter="true")
    )
    result = _parse(text)
    assert [s["name"] for s in result.slos] == ["a"]
    assert result.errors == [
        "document 2, item 1: SLO b: budgetingMethod 'Nope' is not Occurrences, Timeslices or RatioTimeslices"
    ]


@pytest.mark.parametrize(
    "doc",
    [
        "7",
        "[1, 2]",
        "{apiVersion: openslo/v1, kind: SLO}",
        "{apiVersion: openslo/v1, kind: SLO, metadata: {name: x}, spec: 3}",
        "{apiVersion: openslo/v1, kind: SLO, metadata: {name: x}, spec: {service: s, indicator: 1}}",
        "{apiVersion: openslo/v1, kind: SLO, metadata: {name: x}, spec: {service: s, objectives: [1], "
        "indicator: {spec: {ratioMetric: {good: 1, total: 2}}}}}",
        "{apiVersion: openslo/v1, kind: SLO, metadata: {name: x}, spec: {service: s, objectives: [{target: 0.9}], "
        "indicator: {spec: {thresholdMetric: {metricSource: {type: Prometheus, spec: {query: x}}}}}, "
        "timeWindow: [{duration: 5x}], alertPolicies: [{alertPolicyRef: [1]}]}}",
        "{apiVersion: openslo/v1, kind: AlertPolicy, metadata: {name: [1]}}",
        "{apiVersion: openslo/v1, kind: SLO, metadata: {name: x, annotations: 5}, spec: {service: s, "
        "objectives: [{target: .nan}], indicator: {spec: {ratioMetric: {raw: {metricSource: {type: Prometheus, "
        "spec: {query: 'x'}}}}}}}}",
    ],
)
def test_malformed_objects_are_reported_not_raised(doc):
    result = _parse(doc)
    assert result.slos == []
    assert result.errors or result.skipped


LEAF = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8) | st.sampled_from(
    ["openslo/v1", "SLO", "SLI", "AlertPolicy", "AlertCondition", "DataSource", "Prometheus", "SRE", "1h", "sum(x)",
     "x{a=\"1\"}", "burnrate", "gt", "Timeslices", "RatioTimeslices", "1w", "1M", "[$window]"]
)  # fmt: skip
KEYS = st.sampled_from(
    ["apiVersion", "kind", "metadata", "name", "spec", "service", "indicator", "indicatorRef", "ratioMetric",
     "thresholdMetric", "good", "bad", "total", "raw", "metricSource", "metricSourceRef", "type", "query",
     "objectives", "target", "value", "op", "timeWindow", "duration", "calendar", "alertPolicies", "conditions",
     "conditionRef", "alertPolicyRef", "condition", "threshold", "lookbackWindow", "counter", "budgetingMethod"]
)  # fmt: skip
TREE = st.recursive(LEAF, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=5),
                    max_leaves=30)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(TREE.map(lambda t: {"apiVersion": "openslo/v1", **t} if isinstance(t, dict) else t), max_size=4))
def test_any_structure_is_reported_never_raised(docs):
    result = parse_documents(docs)
    for slo in result.slos:
        assert isinstance(slo["name"], str)
