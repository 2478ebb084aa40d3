"""Vector/vector operators: one-to-one matching with on/ignoring, group_left/group_right, set operators and
the matching errors, with Prometheus' result labels."""

from __future__ import annotations

import pytest

from rules.domain.promql import ExprError
from tests.rules.promql_data import L, Labels, gauge, run

SERIES = {
    "errors": [
        gauge({"job": "api", "instance": "i1", "code": "500"}, {0: 3.0}),
        gauge({"job": "api", "instance": "i2", "code": "500"}, {0: 1.0}),
        gauge({"job": "web", "instance": "i3", "code": "500"}, {0: 4.0}),
    ],
    "requests": [
        gauge({"job": "api", "instance": "i1"}, {0: 30.0}),
        gauge({"job": "api", "instance": "i2"}, {0: 0.0}),
        gauge({"job": "db", "instance": "i4"}, {0: 5.0}),
    ],
    "limit": [gauge({"job": "api", "instance": "i1"}, {0: 2.0}), gauge({"job": "api", "instance": "i2"}, {0: 2.0})],
    "info": [
        gauge({"instance": "i1", "team": "red", "version": "1"}, {0: 1.0}),
        gauge({"instance": "i2", "team": "blue", "version": "2"}, {0: 1.0}),
    ],
    "per_job": [gauge({"job": "api"}, {0: 10.0}), gauge({"job": "web"}, {0: 20.0})],
    "threshold": [gauge({}, {0: 2.5})],
}

CASES = [
    # one-to-one on all labels
    ("limit - limit", {L(job="api", instance="i1"): 0.0, L(job="api", instance="i2"): 0.0}),
    # ignoring(code): the result drops the ignored labels (Prometheus' resultMetric)
    ("errors / ignoring(code) requests", {L(job="api", instance="i1"): 0.1, L(job="api", instance="i2"): float("inf")}),
    # on(...): the result has only the on labels
    (
        "errors / on(job, instance) requests",
        {L(job="api", instance="i1"): 0.1, L(job="api", instance="i2"): float("inf")},
    ),
    ("errors > on(instance) limit", {L(instance="i1"): 3.0}),  # a comparison keeps the left value
    ("errors > bool on(instance) limit", {L(instance="i1"): 1.0, L(instance="i2"): 0.0}),
    ("limit < ignoring(code) errors", {L(job="api", instance="i1"): 2.0}),
    ("limit >= bool limit", {L(job="api", instance="i1"): 1.0, L(job="api", instance="i2"): 1.0}),
    ("errors * requests", {}),  # no common label set
    ("errors + nothing", {}),
    ("sum by (job) (errors) / on(job) per_job", {L(job="api"): 0.4, L(job="web"): 0.2}),
    ("sum by (job) (errors) / per_job", {L(job="api"): 0.4, L(job="web"): 0.2}),
    (
        "sum by (job, code) (errors) * on(job) group_left sum by (job) (errors)",
        {L(job="api", code="500"): 16.0, L(job="web", code="500"): 16.0},
    ),
    # many-to-one / one-to-many
    (
        "errors / on(job) group_left per_job",
        {
            L(job="api", instance="i1", code="500"): 0.3,
            L(job="api", instance="i2", code="500"): 0.1,
            L(job="web", instance="i3", code="500"): 0.2,
        },
    ),
    (
        "errors * on(instance) group_left(team) info",
        {
            L(job="api", instance="i1", code="500", team="red"): 3.0,
            L(job="api", instance="i2", code="500", team="blue"): 1.0,
        },
    ),
    (
        "info * on(instance) group_right(team) errors",
        {
            L(job="api", instance="i1", code="500", team="red"): 3.0,
            L(job="api", instance="i2", code="500", team="blue"): 1.0,
        },
    ),
    (
        "per_job - on(job) group_right errors",
        {
            L(job="api", instance="i1", code="500"): 7.0,
            L(job="api", instance="i2", code="500"): 9.0,
            L(job="web", instance="i3", code="500"): 16.0,
        },
    ),
    (
        "errors > on() group_left threshold",
        {L(job="api", instance="i1", code="500"): 3.0, L(job="web", instance="i3", code="500"): 4.0},
    ),
    # set operators keep whole samples
    (
        "errors and on(instance) limit",
        {L(job="api", instance="i1", code="500"): 3.0, L(job="api", instance="i2", code="500"): 1.0},
    ),
    ("errors unless on(job) per_job", {}),
    ("errors unless on(instance) limit", {L(job="web", instance="i3", code="500"): 4.0}),
    ("requests and limit", {L(job="api", instance="i1"): 30.0, L(job="api", instance="i2"): 0.0}),
    ("requests unless limit", {L(job="db", instance="i4"): 5.0}),
    ("requests and nothing", {}),
    (
        "requests unless nothing",
        {L(job="api", instance="i1"): 30.0, L(job="api", instance="i2"): 0.0, L(job="db", instance="i4"): 5.0},
    ),
    (
        "limit or requests",
        {L(job="api", instance="i1"): 2.0, L(job="api", instance="i2"): 2.0, L(job="db", instance="i4"): 5.0},
    ),
    ("nothing or limit", {L(job="api", instance="i1"): 2.0, L(job="api", instance="i2"): 2.0}),
    ("per_job or on(job) errors", {L(job="api"): 10.0, L(job="web"): 20.0}),
    ("per_job or ignoring(instance, code) errors", {L(job="api"): 10.0, L(job="web"): 20.0}),
    ("sum(limit) > 3 or vector(0)", {(): 4.0}),
    ("sum(limit) > 5 or vector(0)", {(): 0.0}),
    # the usual error-ratio alert
    (
        "sum by (job) (errors) / sum by (job) (requests) > 0.1",
        {L(job="api"): 4.0 / 30.0},
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_vector_matching(text: str, expected: dict[Labels, float]) -> None:
    assert run(text, SERIES) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # two series with the same match group on the "one" side
        ("per_job / on(job) requests", "many-to-many matching not allowed: found duplicate series for the match group"),
        ("per_job / on(job) group_left requests", 'match group {job="api"} on the right hand-side'),
        ("requests / on(job) group_right per_job", 'match group {job="api"} on the left hand-side'),
        ("threshold * on() errors", "many-to-many matching not allowed: found duplicate series for the match group {}"),
        ("per_job > on(job) requests", "duplicate series"),
        # two left samples for one right sample without group_left
        (
            "requests / on(job) per_job",
            'multiple matches for labels {job="api"}: many-to-one matching must be explicit',
        ),
        ("errors / on() threshold", "multiple matches for labels {}: many-to-one matching must be explicit"),
    ],
)
def test_matching_errors(text: str, message: str) -> None:
    with pytest.raises(ExprError) as excinfo:
        run(text, SERIES)
    assert message in str(excinfo.value)


def test_a_comparison_filters_before_the_many_to_one_check() -> None:
    # Prometheus checks for repeated left samples only among those the comparison keeps
    assert run("errors > on(job) (per_job - 8)", SERIES) == {L(job="api"): 3.0}
    with pytest.raises(ExprError, match="multiple matches for labels"):
        run("errors > bool on(job) (per_job - 8)", SERIES)


def test_group_left_labels_must_keep_results_apart() -> None:
    series = {
        "a": [gauge({"x": "1", "y": "1"}, {0: 1.0}), gauge({"x": "1", "y": "2"}, {0: 2.0})],
        "b": [gauge({"x": "1", "y": "3"}, {0: 1.0})],
    }
    assert run("a * on(x) group_left b", series) == {L(x="1", y="1"): 1.0, L(x="1", y="2"): 2.0}
    with pytest.raises(ExprError, match="grouping labels must ensure unique matches"):
        run("a * on(x) group_left(y) b", series)


def test_a_duplicate_is_no_error_when_the_other_side_is_empty() -> None:
    # Prometheus short-circuits before matching
    assert run("nothing / on() per_job", SERIES) == {}
    assert run("per_job / on() nothing", SERIES) == {}
