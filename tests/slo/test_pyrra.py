"""Pyrra ServiceLevelObjective CRDs (pyrra-dev/pyrra's own example files, tests/slo/fixtures/pyrra/) to SLO
definitions: counts per file, targets, windows, services, queries for each indicator, Pyrra's burn-rate
windows, and what is listed as unsupported; the definitions pass the product's validators."""

from __future__ import annotations

import copy
from fractions import Fraction
from pathlib import Path

import promql_parser
import pytest
import yaml

from slo.domain.formats import parse_documents
from slo.domain.pyrra import burn_policy, pyrra_parse
from slo.domain.spec import policy_validate, sli_validate, target_validate

FIXTURES = Path(__file__).parent / "fixtures" / "pyrra"
DAY = 86400

# file -> [(service, SLO name, target, window days, SLI numerator)], read off each example file by hand
EXPECTED = {
    "caddy-response-latency.yaml": [("caddy-response-latency", "caddy-response-latency", "0.9", 28, "good")],
    "docker-compose-prometheus-http.yaml": [("monitoring", "prometheus-api-query", "0.99", 7, "bad")],
    "mimir-example-slo.yaml": [("default", "apiserver-read-cluster-latency", "0.99", 14, "good")],
    "nginx.yaml": [
        ("monitoring", "nginx-api-errors", "0.999", 28, "bad"),
        ("monitoring", "nginx-api-latency", "0.9", 28, "good"),
    ],
    "parca-grpc-queryrange-errors.yaml": [("parca", "parca-grpc-queryrange-errors", "0.99", 14, "bad")],
    "prometheus-http.yaml": [("prometheus-api-query", "prometheus-api-query", "0.99", 7, "bad")],
    "prometheus-operator.yaml": [("monitoring", "prometheus-operator-http", "0.95", 7, "bad")],
    "prometheus-probe-success.yaml": [
        ("prometheus-blackbox-probe-success", "prometheus-blackbox-probe-success", "0.99", 7, "good")
    ],
    "pyrra-connect-errors.yaml": [("monitoring", "pyrra-connect-errors", "0.99", 14, "bad")],
    "pyrra-connect-latency.yaml": [("monitoring", "pyrra-connect-latency", "0.99", 14, "good")],
    "pyrra-filesystem-errors.yaml": [("monitoring", "pyrra-filesystem-errors", "0.99", 7, "bad")],
    "pyrra-kubernetes-errors.yaml": [("monitoring", "pyrra-kubernetes-errors", "0.99", 7, "bad")],
    "thanos-grpc.yaml": [("monitoring", "thanos-store", "0.995", 7, "bad")],
    "thanos-http.yaml": [("monitoring", "thanos-query", "0.99", 28, "bad")],
    "kubernetes/slo-apiserver-read-cluster-latency.yaml": [
        ("monitoring", "apiserver-read-cluster-latency", "0.99", 14, "good")
    ],
    "kubernetes/slo-apiserver-read-namespace-latency.yaml": [
        ("monitoring", "apiserver-read-namespace-latency", "0.99", 14, "good")
    ],
    "kubernetes/slo-apiserver-read-resource-latency.yaml": [
        ("monitoring", "apiserver-read-resource-latency", "0.99", 14, "good")
    ],
    "kubernetes/slo-apiserver-read-response-errors.yaml": [
        ("monitoring", "apiserver-read-response-errors", "0.99", 14, "bad")
    ],
    "kubernetes/slo-apiserver-write-response-errors.yaml": [
        ("monitoring", "apiserver-write-response-errors", "0.99", 14, "bad")
    ],
    "kubernetes/slo-coredns-response-errors.yaml": [("monitoring", "coredns-response-errors", "0.9999", 14, "bad")],
    "kubernetes/slo-kubelet-request-errors.yaml": [("monitoring", "kubelet-request-errors", "0.99", 14, "bad")],
    "kubernetes/slo-kubelet-runtime-errors.yaml": [("monitoring", "kubelet-runtime-errors", "0.99", 14, "bad")],
    "kubernetes/slo-prometheus-notification-errors.yaml": [
        ("monitoring", "prometheus-notification-errors", "0.99", 14, "bad")
    ],
    "kubernetes/slo-prometheus-operator-http-errors.yaml": [
        ("monitoring", "prometheus-operator-http-errors", "0.995", 14, "bad")
    ],
    "kubernetes/slo-prometheus-operator-reconcile-errors.yaml": [
        ("monitoring", "prometheus-operator-reconcile-errors", "0.95", 14, "bad")
    ],
    "kubernetes/slo-prometheus-query-errors.yaml": [("monitoring", "prometheus-query-errors", "0.99", 14, "bad")],
    "kubernetes/slo-prometheus-rule-evaluation-failures.yaml": [
        ("monitoring", "prometheus-rule-evaluation-failures", "0.9999", 14, "bad")
    ],
    "kubernetes/slo-prometheus-sd-kubernetes-errors.yaml": [
        ("monitoring", "prometheus-sd-kubernetes-errors", "0.99", 14, "bad")
    ],
}
# the ones with grouping (evaluated as one SLO over all groups) and propagated labels
GROUPED = {"prometheus-http.yaml", "prometheus-probe-success.yaml", "pyrra-connect-errors.yaml",
           "pyrra-connect-latency.yaml", "kubernetes/slo-prometheus-operator-reconcile-errors.yaml",
           "kubernetes/slo-prometheus-query-errors.yaml"}  # fmt: skip


def load(name: str) -> list:
    return list(yaml.safe_load_all((FIXTURES / name).read_text()))


def test_every_pyrra_example_file_is_in_the_table():
    files = sorted(str(p.relative_to(FIXTURES)) for p in FIXTURES.rglob("*.yaml"))
    assert files == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_example_file_imports_its_slos(name):
    result = parse_documents(load(name))
    assert result.errors == [] and result.skipped == []
    got = [(s["service"], s["name"], s["target"], s["window_days"], "good" if "good" in s["sli"] else "bad")
           for s in result.slos]  # fmt: skip
    assert got == EXPECTED[name]
    for slo in result.slos:
        assert (slo["window_kind"], slo["budgeting_method"], slo["sli_kind"]) == ("rolling", "Occurrences", "promql")
        assert sli_validate("promql", slo["sli"]) == slo["sli"]  # the product's own validator accepts it
        for query in slo["sli"].values():
            promql_parser.parse(query.replace("$window", "5m"))
        assert policy_validate(slo["alert_policy"])
        assert target_validate(slo["target"]) == Fraction(slo["target"])
    grouped = [line for line in result.unsupported if ".grouping (one SLO over all groups" in line]
    assert bool(grouped) is (name in GROUPED)
    assert result.skipped == [] and all(slo["where"].startswith("document ") for slo in result.slos)


def test_ratio_queries_are_the_selectors_as_written():
    (slo,) = parse_documents(load("thanos-http.yaml")).slos
    assert slo["sli"] == {
        "bad": 'http_requests_total{job="thanos-query",handler=~"query|query_range",code=~"5.."}',
        "total": 'http_requests_total{job="thanos-query",handler=~"query|query_range"}',
    }


@pytest.mark.parametrize(
    ("name", "good"),
    [
        ("nginx.yaml", 'nginx_ingress_controller_request_duration_seconds_bucket{namespace="lastfm",ingress="lastfm",'
                       'service="lastfm",status=~"5..",le=~"1(?:[.]0)?"}'),
        ("mimir-example-slo.yaml", 'apiserver_request_sli_duration_seconds_bucket{component="apiserver",'
                                   'scope=~"cluster|",verb=~"LIST|GET",le=~"5(?:[.]0)?"}'),
        ("kubernetes/slo-apiserver-read-cluster-latency.yaml", 'apiserver_request_sli_duration_seconds_bucket{'
         'component="apiserver",scope=~"cluster|",verb=~"LIST|GET",le=~"5(?:[.]0)?"}'),
        ("kubernetes/slo-apiserver-read-resource-latency.yaml",
         'apiserver_request_sli_duration_seconds_bucket{verb=~"LIST|GET",le="0.1"}'),
        ("caddy-response-latency.yaml",
         'caddy_http_response_duration_seconds_bucket{job="caddy",handler="subroute",code!~"5..",le="0.05"}'),
    ],
)  # fmt: skip
def test_latency_buckets_match_both_spellings_of_a_whole_number(name, good):
    """le="1" (Prometheus 2, Go clients) and le="1.0" (Prometheus 3, Python clients) are the same bucket, as
    Pyrra's Prometheus 3 migration treats them; 0.1 is spelled alike everywhere and stays exact."""
    slo = parse_documents(load(name)).slos[-1]
    assert slo["sli"]["good"] == good
    assert slo["sli"]["total"].startswith(good.split("_bucket")[0] + "_count{")


def test_native_latency_and_bool_gauge_count_events():
    (native,) = parse_documents(load("pyrra-connect-latency.yaml")).slos
    increase = 'sum(increase(connect_server_requests_duration_seconds{job="pyrra",code="ok"}[$window]))'
    assert native["sli"] == {
        "good": f"histogram_fraction(0, 0.2, {increase}) * histogram_count({increase})",
        "total": f"histogram_count({increase})",
    }
    (probe,) = parse_documents(load("prometheus-probe-success.yaml")).slos
    assert probe["sli"] == {
        "good": "sum(sum_over_time(probe_success[$window]))",
        "total": "sum(count_over_time(probe_success[$window]))",
    }


def _policy(*rows):
    return [{"name": n, "severity": s, "factor": f, "long_window": lw, "short_window": sw} for n, s, f, lw, sw in rows]


@pytest.mark.parametrize(
    ("days", "policy"),
    [
        (28, _policy(("fast-burn", "page", "14", "1h", "5m"), ("medium-burn", "page", "7", "6h", "30m"),
                     ("slow-burn", "ticket", "2", "1d", "2h"), ("long-term-burn", "ticket", "1", "4d", "6h"))),
        (14, _policy(("fast-burn", "page", "14", "30m", "3m"), ("medium-burn", "page", "7", "3h", "15m"),
                     ("slow-burn", "ticket", "2", "12h", "1h"), ("long-term-burn", "ticket", "1", "2d", "3h"))),
        (7, _policy(("fast-burn", "page", "14", "15m", "1m"), ("medium-burn", "page", "7", "1h30m", "8m"),
                    ("slow-burn", "ticket", "2", "6h", "30m"), ("long-term-burn", "ticket", "1", "1d", "1h30m"))),
        # Written as Pyrra names them (Prometheus' compound durations: its burnrate1h4m recording rule).
        (30, _policy(("fast-burn", "page", "14", "1h4m", "5m"), ("medium-burn", "page", "7", "6h26m", "32m"),
                     ("slow-burn", "ticket", "2", "1d1h43m", "2h9m"),
                     ("long-term-burn", "ticket", "1", "4d6h51m", "6h26m"))),
    ],
)  # fmt: skip
def test_pyrra_burn_windows_scale_with_the_slo_window(days, policy):
    """Pyrra's Windows(): the SLO window divided (nanoseconds, truncated) and rounded to the minute, halves up
    (7 days / 1344 = 7.5 min -> 8m; 14 days / 8064 = 2.5 min -> 3m)."""
    conditions, dropped = burn_policy(days * DAY)
    assert conditions == policy and dropped == []
    policy_validate(conditions)


def test_a_window_too_short_for_the_fast_burn_short_window_drops_it():
    conditions, dropped = burn_policy(1 * DAY)  # 1d / 8064 = 10.7 s
    assert dropped == ["fast-burn"]  # 1d / 1344 = 64.3 s rounds to 1m and stays
    assert [c["name"] for c in conditions] == ["medium-burn", "slow-burn", "long-term-burn"]


def _doc(**spec) -> dict:
    doc = copy.deepcopy(load("thanos-http.yaml")[0])
    doc["spec"].update(spec)
    return doc


def test_alerting_settings():
    assert pyrra_parse([("d", _doc(alerting={"disabled": True}))]).slos[0]["alert_policy"] == []
    assert pyrra_parse([("d", _doc(alerting={"burnrates": False}))]).slos[0]["alert_policy"] == []
    result = pyrra_parse([("d", _doc(alerting={"severities": {"fastBurn": "warning", "slowBurn": "critical"},
                                                 "name": "MyBurn", "absent": True}))])  # fmt: skip
    assert [c["severity"] for c in result.slos[0]["alert_policy"]] == ["ticket", "page", "page", "ticket"]
    assert result.unsupported == [
        "d, SLO thanos-query: spec.alerting.name (alerts here are named by the product)",
        "d, SLO thanos-query: spec.alerting.absent (no absent alerts here; a missing metric shows as no data)",
    ]


def test_the_service_label_wins_over_the_namespace_and_names_become_slugs():
    doc = _doc()
    doc["metadata"]["labels"] = {"pyrra.dev/service": "thanos", "pyrra.dev/team": "obs", "role": "alert-rules"}
    doc["metadata"]["name"] = "thanos.query"
    result = pyrra_parse([("d", doc)])
    (slo,) = result.slos
    assert (slo["service"], slo["name"], slo["display_name"]) == ("thanos", "thanos-query", "thanos.query")
    assert result.unsupported == [
        "d, SLO thanos.query: metadata.labels.pyrra.dev/team (a label Pyrra puts on its rules; not carried over)"
    ]


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ({"window": "12h"}, "spec.window 12h (windows here are whole days from 1 to 90; SLO not imported)"),
        ({"window": "13w"}, "spec.window 13w (windows here are whole days from 1 to 90; SLO not imported)"),
        ({"target": "100"}, "spec.target 100 (a target of 0 or 100% has no error budget to burn; SLO not imported)"),
        ({"indicator": {"ratio": {"errors": {"metric": "sum(x)"}, "total": {"metric": "y"}}}},
         "spec.indicator.ratio bad metric is not a series selector"),
    ],
)  # fmt: skip
def test_what_pyrra_accepts_but_cannot_be_computed_here_is_listed(spec, reason):
    result = pyrra_parse([("d", _doc(**spec))])
    assert result.slos == [] and result.errors == []
    assert any(reason in line for line in result.skipped), result.skipped


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"target": "abc"}, "spec.target must be a percentage"),
        ({"target": "101"}, "spec.target must be a percentage"),
        ({"window": "4 weeks"}, "spec.window"),
        ({"indicator": {}}, "spec.indicator needs one of"),
        ({"indicator": {"ratio": {"errors": {"metric": "x"}}}}, "spec.indicator.ratio.total.metric is required"),
        ({"indicator": {"latency": {"success": {"metric": "x_bucket"}, "total": {"metric": "x_count"}}}},
         "must contain a le label matcher"),
        ({"indicator": {"latencyNative": {"total": {"metric": "x"}, "latency": "fast"}}},
         "spec.indicator.latencyNative.latency"),
    ],
)  # fmt: skip
def test_what_pyrra_itself_refuses_is_an_error(spec, message):
    result = pyrra_parse([("d", _doc(**spec))])
    assert result.slos == [] and len(result.errors) == 1 and message in result.errors[0], result.errors


def test_a_document_without_a_name_is_an_error():
    doc = _doc()
    del doc["metadata"]["name"]
    assert pyrra_parse([("document 3", doc)]).errors == ["document 3: metadata.name is required"]


@pytest.mark.django_db
def test_every_pyrra_example_imports_through_the_api_in_one_request(token_client):
    """All 29 SLOs of the 28 example files in one multi-document body: a dry run reports them and saves
    nothing, the import saves them with the same windows and targets."""
    from slo.models import SLO

    admin = token_client(role="admin", scopes=("read", "write"))
    text = "\n---\n".join((FIXTURES / name).read_text() for name in sorted(EXPECTED))

    def post(query: str = ""):
        return admin.generic("POST", f"/api/v1/slos/import{query}", text.encode(), content_type="application/yaml")

    dry = post("?dry_run=true")
    assert dry.status_code == 200, dry.json()
    assert len(dry.json()["slos"]["created"]) == 29 and dry.json()["failed"] == [] and dry.json()["skipped"] == []
    assert SLO.objects.count() == 0
    assert post().status_code == 200
    got = {(s.service.name, s.name): (Fraction(s.target), s.window_days) for s in SLO.objects.select_related("service")}
    assert got == {(svc, n): (Fraction(t), days) for rows in EXPECTED.values() for svc, n, t, days, _ in rows}
    caddy = SLO.objects.get(name="caddy-response-latency")
    assert caddy.alert_policy[0] == {"name": "fast-burn", "severity": "page", "factor": "14", "long_window": "1h",
                                     "short_window": "5m"}  # fmt: skip
