"""Sloth specs (slok/sloth's own example files, tests/slo/fixtures/sloth/) to SLO definitions: counts per
file, targets, windows, queries, burn policies and what is listed as unsupported; the definitions pass
the product's validators; an imported SLO evaluated through a real Prometheus counts what was written."""

from __future__ import annotations

import copy
import datetime as dt
import random
import time
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from slo.domain.foreign import percent, prom_duration_ms, rates_to_increases
from slo.domain.formats import parse_documents
from slo.domain.sloth import sloth_parse
from slo.domain.spec import policy_validate, sli_validate, target_validate

FIXTURES = Path(__file__).parent / "fixtures" / "sloth"
GETTING_STARTED_BAD = 'sum(increase(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[$window]))'
GETTING_STARTED_TOTAL = 'sum(increase(http_request_duration_seconds_count{job="myservice"}[$window]))'
POLICY_30D = [
    {"name": "page-quick", "severity": "page", "factor": "14.4", "long_window": "1h", "short_window": "5m"},
    {"name": "page-slow", "severity": "page", "factor": "6", "long_window": "6h", "short_window": "30m"},
    {"name": "ticket-quick", "severity": "ticket", "factor": "3", "long_window": "1d", "short_window": "2h"},
    {"name": "ticket-slow", "severity": "ticket", "factor": "1", "long_window": "3d", "short_window": "6h"},
]


def load(name: str) -> list:
    return list(yaml.safe_load_all((FIXTURES / name).read_text()))


def parse(*names: str):
    return parse_documents([doc for name in names for doc in load(name)])


# file -> [(service, SLO name, target, imported)], read off each example file by hand
EXPECTED = {
    "contrib-denominator-corrected.yaml": [("svc01", "slo1", "0.999", True)],
    "contrib-slo-plugins.yml": [
        ("myservice", "requests-availability-contrib-plugin-info-labels-v1", "0.999", True),
        ("myservice", "requests-availability-contrib-plugin-rule-intervals-v1", "0.999", True),
    ],
    "getting-started.yml": [("myservice", "requests-availability", "0.999", True)],
    "home-wifi.yml": [
        ("home-wifi", "good-wifi-client-satisfaction", "0.95", True),
        ("home-wifi", "risk-wifi-client-satisfaction", "0.999", True),
    ],
    "k8s-getting-started.yml": [("myservice", "requests-availability", "0.999", True)],
    "k8s-home-wifi.yml": [
        ("home-wifi", "good-wifi-client-satisfaction", "0.95", True),
        ("home-wifi", "risk-wifi-client-satisfaction", "0.999", True),
    ],
    "k8s-multifile.yml": [
        ("myservice", "requests-availability", "0.999", True),
        ("myservice2", "requests-availability", "0.9999", True),
    ],
    "kubernetes-apiserver.yml": [
        ("k8s-apiserver", "requests-availability", "0.999", True),
        ("k8s-apiserver", "requests-latency", "0.99", True),
    ],
    "multifile.yml": [
        ("myservice", "requests-availability", "0.999", True),
        ("myservice2", "requests-availability", "0.9999", True),
    ],
    "no-alerts.yml": [("myapp", "http-availability", "0.9999", True)],
    "plugin-getting-started.yml": [("myservice", "requests-availability", "0.999", False)],
    "plugin-k8s-getting-started.yml": [("myservice", "requests-availability", "0.999", False)],
    "raw-home-wifi.yml": [("home-wifi", "wifi-client-satisfaction", "0.95", False)],
    "slo-plugin-getting-started.yml": [("myservice", "requests-availability", "0.999", True)],
    "slo-plugin-k8s-getting-started.yml": [("myservice", "requests-availability", "0.999", True)],
    "victoria-metrics.yml": [
        ("foo-bar", "grpc-latency-percentile-90", "0.9", False),
        ("foo-bar", "grpc-latency-percentile-99", "0.99", False),
    ],
}


def test_every_sloth_example_file_is_in_the_table():
    assert sorted(p.name for p in FIXTURES.glob("*.y*ml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_example_file_imports_its_slos(name):
    result = parse(name)
    assert result.errors == []
    imported = [(s, n, t) for s, n, t, ok in EXPECTED[name] if ok]
    assert [(slo["service"], slo["name"], slo["target"]) for slo in result.slos] == imported
    for slo in result.slos:
        assert (slo["window_kind"], slo["window_days"], slo["budgeting_method"]) == ("rolling", 30, "Occurrences")
        assert slo["sli_kind"] == "promql" and set(slo["sli"]) == {"bad", "total"}
        assert sli_validate("promql", slo["sli"]) == slo["sli"]  # the product's own validator accepts it
        policy_validate(slo["alert_policy"])
        assert target_validate(slo["target"]) == Fraction(slo["target"])
    for _, slo_name, _, ok in EXPECTED[name]:
        not_imported = [line for line in result.skipped if "SLO not imported" in line and f"SLO {slo_name}:" in line]
        assert bool(not_imported) is not ok, result.skipped
    assert all("SLO not imported" in line for line in result.skipped)
    assert all(slo["where"].startswith("document ") for slo in result.slos)


def test_getting_started_queries_count_events_and_the_policy_is_sloths():
    (slo,) = parse("getting-started.yml").slos
    assert slo["sli"] == {"bad": GETTING_STARTED_BAD, "total": GETTING_STARTED_TOTAL}
    assert slo["alert_policy"] == POLICY_30D
    assert slo["description"] == "Common SLO based on availability for HTTP request responses."
    assert parse("k8s-getting-started.yml").slos == [slo]  # the CRD says the same thing


def test_a_multiline_query_keeps_its_shape_with_increases():
    latency = parse("kubernetes-apiserver.yml").slos[1]
    assert latency["sli"]["bad"] == (
        "(\n"
        '  sum(increase(apiserver_request_duration_seconds_count{verb!="WATCH"}[$window]))\n'
        "  -\n"
        '  sum(increase(apiserver_request_duration_seconds_bucket{le="0.4",verb!="WATCH"}[$window]))\n'
        ")"
    )
    assert latency["sli"]["total"] == 'sum(increase(apiserver_request_duration_seconds_count{verb!="WATCH"}[$window]))'


def test_subquery_counts_are_kept_and_the_window_substituted():
    good = parse("home-wifi.yml").slos[0]
    assert good["sli"] == {
        "bad": "sum_over_time((count(unifipoller_client_satisfaction_ratio < 0.75))[$window:]) OR on() vector(0)",
        "total": "sum_over_time((count(unifipoller_client_satisfaction_ratio))[$window:])",
    }


def test_disabled_alerts_drop_their_conditions():
    (slo,) = parse("no-alerts.yml").slos
    assert slo["alert_policy"] == []
    doc = load("getting-started.yml")[0]
    doc["slos"][0]["alerting"]["ticket_alert"]["disable"] = True
    (slo,) = sloth_parse([("document 1", doc)]).slos
    assert [c["name"] for c in slo["alert_policy"]] == ["page-quick", "page-slow"]
    doc["slos"][0]["alerting"].update(page_alert={"disable": True}, ticket_alert={"disable": False})
    (slo,) = sloth_parse([("document 1", doc)]).slos
    assert [c["name"] for c in slo["alert_policy"]] == ["ticket-quick", "ticket-slow"]


def test_unsupported_parts_are_listed_by_path():
    result = parse("raw-home-wifi.yml", "plugin-getting-started.yml", "victoria-metrics.yml", "contrib-slo-plugins.yml")
    text = "\n".join(result.unsupported + result.skipped)
    assert (
        "document 1, SLO wifi-client-satisfaction: slos[0].sli.raw (an error ratio query gives no event counts" in text
    )
    assert "document 2, SLO requests-availability: slos[0].sli.plugin 'getting_started_availability'" in text
    assert (
        "document 3, SLO grpc-latency-percentile-90: slos[0].sli.events.error_query is not PromQL Prometheus can "
        "run (unknown function with name 'histogram_share'); SLO not imported"
    ) in text
    assert "document 3: slo_plugins (Sloth rule generation plugins; not applied)" in text
    assert "document 4, SLO requests-availability-contrib-plugin-rule-intervals-v1: slos[1].plugins" in text
    assert "document 4, SLO requests-availability-contrib-plugin-info-labels-v1: slos[0].alerting.labels" in text
    assert "document 1: labels (Prometheus rule labels; not carried over)" in text
    assert len(result.slos) == 2


def test_snake_case_alert_keys_in_the_crd_are_not_sloth_fields():
    """plugin-k8s-getting-started.yml writes page_alert in a CRD, whose field is pageAlert: Sloth ignores it."""
    result = parse("plugin-k8s-getting-started.yml")
    assert "document 1, SLO requests-availability: spec.slos[0].alerting.page_alert (not a Sloth field; ignored)" in (
        result.unsupported
    )


@pytest.mark.parametrize(
    ("windows", "days", "policy"),
    [
        (
            "google-28d.yaml",
            28,
            [("page-quick", "13.44", "1h", "5m"), ("page-slow", "5.6", "6h", "30m"),
             ("ticket-quick", "2.8", "1d", "2h"), ("ticket-slow", "0.933333333333333333333333333333", "3d", "6h")],
        ),
        (
            "7d.yaml",
            7,
            [("page-quick", "13.44", "1h", "5m"), ("page-slow", "3.5", "6h", "30m"),
             ("ticket-quick", "1.4", "1d", "2h"), ("ticket-slow", "0.98", "3d", "6h")],
        ),
        (
            "custom-30d.yaml",
            30,
            [("page-quick", "14.4", "30m", "2m"), ("page-slow", "4.8", "3h", "15m"),
             ("ticket-quick", "3", "12h", "1h"), ("ticket-slow", "1", "1d12h", "3h")],
        ),
    ],
)  # fmt: skip
def test_an_alert_windows_document_sets_the_period_and_the_burn_factors(windows, days, policy):
    """factor = error budget percent / 100 × period / long window, exactly (Sloth's getBurnRateFactor)."""
    result = parse("getting-started.yml", f"windows/{windows}")
    assert result.errors == []
    (slo,) = result.slos
    assert slo["window_days"] == days
    got = [(c["name"], c["factor"], c["long_window"], c["short_window"]) for c in slo["alert_policy"]]
    assert got == policy
    policy_validate(slo["alert_policy"])


def test_the_28_day_period_without_a_windows_document():
    (slo,) = sloth_parse([("document 1", load("getting-started.yml")[0])], period=28 * 86400).slos
    assert slo["window_days"] == 28 and slo["alert_policy"][0]["factor"] == "13.44"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("service"), "document 1: service is required"),
        (lambda d: d.update(slos=[]), "document 1: slos: at least one SLO is required"),
        (lambda d: d["slos"][0].pop("name"), "document 1: slos[0].name is required"),
        (lambda d: d["slos"][0].update(objective="99.9"), "document 1: slos[0].objective must be a number"),
        (lambda d: d["slos"][0].update(objective=100.5), "document 1: slos[0].objective must be a number"),
        (lambda d: d["slos"][0]["sli"].update(raw={"error_ratio_query": "x"}), "needs exactly one of events"),
        (lambda d: d["slos"][0]["sli"]["events"].pop("total_query"), "slos[0].sli.events.total_query is required"),
        (lambda d: d["slos"][0].update(sli="x"), "document 1: slos[0].sli must be a mapping"),
    ],
)
def test_what_sloth_itself_refuses_is_an_error(change, message):
    doc = load("getting-started.yml")[0]
    change(doc)
    result = sloth_parse([("document 1", doc)])
    assert result.slos == [] and len(result.errors) == 1 and message in result.errors[0], result.errors


def test_an_objective_of_100_and_a_query_without_window_are_listed_not_imported():
    doc = load("multifile.yml")[0]
    doc["slos"][0]["objective"] = 100
    doc["slos"].append({**doc["slos"][0], "name": "fixed", "objective": 99,
                        "sli": {"events": {"error_query": "sum(errors)", "total_query": "sum(total)"}}})  # fmt: skip
    doc["slos"].append({**doc["slos"][1], "name": "templ", "sli": {"events": {
        "error_query": "sum(rate(x{a=\"{{.service}}\"}[{{ .window }}]))",
        "total_query": "sum(rate(x[{{.window}}]))"}}})  # fmt: skip
    result = sloth_parse([("document 1", doc)])
    assert result.slos == [] and result.errors == []
    text = "\n".join(result.skipped)
    assert "SLO requests-availability: slos[0].objective 100 (no error budget; SLO not imported)" in text
    assert "SLO fixed: slos[1].sli.events.error_query is not PromQL Prometheus can run (it has no {{.window}})" in text
    assert "SLO templ: slos[2].sli.events.error_query is not PromQL Prometheus can run (only the {{.window}}" in text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sum(rate(x[$window]))", "sum(increase(x[$window]))"),
        ('sum by (a) (rate( x{b=~"(r|rate()"} [$window] ))', 'sum by (a) (increase( x{b=~"(r|rate()"} [$window] ))'),
        ("irate(x[$window])", "irate(x[$window])"),
        ("rate(x[5m])", "rate(x[5m])"),
        ("sum_over_time(rate(x[5m])[$window:])", "sum_over_time(rate(x[5m])[$window:])"),
        ("x_rate(y)", "x_rate(y)"),
        ("rate(x[$window]) / rate(y{q='rate(z[$window])'}[$window])",
         "increase(x[$window]) / increase(y{q='rate(z[$window])'}[$window])"),
    ],
)  # fmt: skip
def test_rates_over_the_window_become_increases(query, expected):
    assert rates_to_increases(query) == expected


@pytest.mark.parametrize(
    ("text", "ms"), [("30d", 30 * 86400_000), ("4w", 28 * 86400_000), ("1h30m", 5400_000), ("200ms", 200)]
)
def test_prometheus_durations(text, ms):
    assert prom_duration_ms(text) == ms


@pytest.mark.parametrize("text", ["", "30", "1.5h", "30m1h", "0d", 30, None])
def test_prometheus_durations_refused(text):
    with pytest.raises(ValueError):
        prom_duration_ms(text)


def test_percent_is_exact():
    assert percent(99.9) == Fraction(999, 1000) and percent("99.95") == Fraction(9995, 10000)
    assert percent(95) == Fraction(19, 20)
    with pytest.raises(ValueError):
        percent(True)


# --- a real Prometheus ------------------------------------------------------------------------------


def _series(end: int, days: int) -> tuple[str, dict[str, int]]:
    """Per-minute cumulative apiserver counters for ``days`` + 1 days up to ``end``, OpenMetrics text, and the
    increases over the last ``days`` days: bad/total requests (5xx and 429 are bad) and slow/total non-WATCH
    requests (slower than 0.4 s). Buckets are spelled the Prometheus 3 / Python way (le="1.0")."""
    rng = random.Random(17)
    start = end - (days + 1) * 86400
    codes = {"200": 0, "500": 0, "429": 0}
    hist = {("GET", "0.4"): 0, ("GET", "1.0"): 0, ("GET", "+Inf"): 0, ("WATCH", "0.4"): 0, ("WATCH", "1.0"): 0,
            ("WATCH", "+Inf"): 0}  # fmt: skip
    points: dict[tuple, list[tuple[int, float]]] = {}
    window_start = end - days * 86400
    marks: dict[tuple, int] = {}
    for ts in range(start, end + 1, 60):
        n = rng.randint(500, 900)
        burst = ts > end - 3600
        codes["500"] += rng.randint(20, 90) if burst else rng.randint(0, 2)
        codes["429"] += rng.randint(0, 1)
        codes["200"] += n
        fast = rng.randint(0, n)
        mid = rng.randint(0, n - fast)
        hist[("GET", "0.4")] += fast
        hist[("GET", "1.0")] += fast + mid
        hist[("GET", "+Inf")] += n
        hist[("WATCH", "0.4")] += 1
        hist[("WATCH", "1.0")] += 1
        hist[("WATCH", "+Inf")] += 5  # WATCH requests are all slow: they must not count
        for key, value in [*(((c,), v) for c, v in codes.items()), *hist.items()]:
            points.setdefault(key, []).append((ts, value))
            if ts == window_start:
                marks[key] = value
    lines = ["# TYPE apiserver_request counter"]
    for (code,), pts in ((k, v) for k, v in points.items() if len(k) == 1):
        lines += [f'apiserver_request_total{{code="{code}"}} {v} {t}' for t, v in pts]
    lines.append("# TYPE apiserver_request_duration_seconds histogram")
    for (verb, le), pts in ((k, v) for k, v in points.items() if len(k) == 2):
        lines += [f'apiserver_request_duration_seconds_bucket{{le="{le}",verb="{verb}"}} {v} {t}' for t, v in pts]
        if le == "+Inf":
            lines += [f'apiserver_request_duration_seconds_count{{verb="{verb}"}} {v} {t}' for t, v in pts]
    lines.append("# EOF")

    def delta(key):
        return points[key][-1][1] - marks[key]

    expected = {
        "bad": delta(("500",)) + delta(("429",)),
        "total": sum(delta((c,)) for c in codes),
        "slow": delta(("GET", "+Inf")) - delta(("GET", "0.4")),
        "requests": delta(("GET", "+Inf")),
        "over_1s": delta(("GET", "+Inf")) - delta(("GET", "1.0")),
    }
    return "\n".join(lines) + "\n", expected


@pytest.mark.integration
@pytest.mark.django_db
def test_imported_sloth_and_pyrra_slos_count_events_in_a_real_prometheus(settings):
    """kubernetes-apiserver.yml with Sloth's 7-day windows, and a Pyrra latency SLO whose le="1" meets
    data spelled le="1.0": through the product's PromQL evaluation the counts are exactly the increases
    written (a rate left as a rate would give per-second values; WATCH or a wrong bucket would show)."""
    from slo.models import Service
    from slo.services import slo_evaluate, slo_save
    from tests.slo.prom import backfilled_prometheus

    end = (int(time.time()) // 60 - 5) * 60
    text, expected = _series(end, 7)
    pyrra_doc = {"apiVersion": "pyrra.dev/v1alpha1", "kind": "ServiceLevelObjective",
                 "metadata": {"name": "apiserver-get-latency", "namespace": "k8s-apiserver"},
                 "spec": {"target": "99", "window": "1w", "indicator": {"latency": {
                     "success": {"metric": 'apiserver_request_duration_seconds_bucket{verb="GET",le="1"}'},
                     "total": {"metric": 'apiserver_request_duration_seconds_count{verb="GET"}'}}}}}  # fmt: skip
    result = parse_documents([*load("kubernetes-apiserver.yml"), *load("windows/7d.yaml"), pyrra_doc])
    assert result.errors == [] and len(result.slos) == 3
    slos = []
    for definition in result.slos:
        service, _ = Service.objects.get_or_create(name=definition["service"])
        slos.append(slo_save(slo=None, data={**definition, "service": service}))
    with backfilled_prometheus(text) as url:
        settings.PROMETHEUS_URL = url
        documents = [r.document for r in slo_evaluate(slos=slos, now=dt.datetime.fromtimestamp(end, tz=dt.UTC))]
    availability, latency, pyrra = (d["error_budget"] for d in documents)
    assert [d["data_state"] for d in documents] == ["ok"] * 3, [d.get("error") for d in documents]
    assert availability["total_events"] == pytest.approx(expected["total"], rel=1e-12)
    assert availability["bad"] == pytest.approx(expected["bad"], rel=1e-12)
    assert latency["total_events"] == pytest.approx(expected["requests"], rel=1e-12)
    assert latency["bad"] == pytest.approx(expected["slow"], rel=1e-12)
    assert pyrra["total_events"] == pytest.approx(expected["requests"], rel=1e-12)
    assert pyrra["bad"] == pytest.approx(expected["over_1s"], rel=1e-12)
    assert documents[0]["burn_rates"]["5m"] > 14.4  # the last hour's burst


# --- through the API and the command ------------------------------------------------------------------


@pytest.fixture
def admin(token_client):
    return token_client(role="admin", scopes=("read", "write"))


def post_yaml(client, text: str, query: str = ""):
    return client.generic("POST", f"/api/v1/slos/import{query}", text.encode(), content_type="application/yaml")


@pytest.mark.django_db
def test_the_api_imports_sloth_files_with_a_dry_run_first(admin):
    from slo.models import SLO

    text = "\n---\n".join((FIXTURES / name).read_text() for name in ("multifile.yml", "kubernetes-apiserver.yml"))
    dry = post_yaml(admin, text, "?dry_run=true")
    assert dry.status_code == 200, dry.json()
    body = dry.json()
    assert body["dry_run"] is True and body["failed"] == []
    assert sorted(body["slos"]["created"]) == sorted(["requests-availability"] * 3 + ["requests-latency"])
    assert sorted(body["services"]["created"]) == ["k8s-apiserver", "myservice", "myservice2"]
    assert "document 1: labels (Prometheus rule labels; not carried over)" in body["unsupported"]
    assert SLO.objects.count() == 0
    assert post_yaml(admin, text).status_code == 200
    got = {(s.service.name, s.name): s for s in SLO.objects.select_related("service")}
    assert sorted(got) == [("k8s-apiserver", "requests-availability"), ("k8s-apiserver", "requests-latency"),
                           ("myservice", "requests-availability"), ("myservice2", "requests-availability")]  # fmt: skip
    slo = got[("myservice2", "requests-availability")]
    assert (slo.target, slo.window_kind, slo.window_days, slo.sli_kind) == (Decimal("0.9999"), "rolling", 30, "promql")
    assert slo.sli == {"bad": GETTING_STARTED_BAD, "total": GETTING_STARTED_TOTAL}
    assert slo.alert_policy == POLICY_30D
    again = post_yaml(admin, text).json()
    assert again["slos"]["created"] == [] and len(again["slos"]["updated"]) == 4


@pytest.mark.django_db
def test_a_sloth_file_with_nothing_importable_is_a_422_saying_why(admin):
    response = post_yaml(admin, (FIXTURES / "raw-home-wifi.yml").read_text())
    assert response.status_code == 422
    error = response.json()["error"]
    assert "slos[0].sli.raw (an error ratio query gives no event counts" in error["message"]
    assert any("SLO wifi-client-satisfaction" in line for line in error["fields"]["documents"])


@pytest.mark.django_db
def test_the_command_takes_sloths_period_and_the_old_name_still_works(capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from slo.models import SLO

    call_command("import_slos", str(FIXTURES / "getting-started.yml"), "--sloth-period", "28d")
    out = capsys.readouterr()
    assert '"requests-availability"' in out.out and "unsupported (ignored): document 1: labels" in out.err
    slo = SLO.objects.get()
    assert slo.window_days == 28 and slo.alert_policy[0]["factor"] == "13.44"
    call_command("import_openslo", str(FIXTURES / "getting-started.yml"), "--dry-run")
    assert SLO.objects.get().window_days == 28  # a dry run changes nothing
    call_command("import_openslo", str(FIXTURES / "getting-started.yml"))
    assert SLO.objects.get().window_days == 30
    with pytest.raises(CommandError, match="one Sloth AlertWindows document per import"):
        call_command("import_slos", str(FIXTURES / "getting-started.yml"), str(FIXTURES / "windows/7d.yaml"),
                     "--sloth-period", "30d")  # fmt: skip


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*prefix, i))


_ANY = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
_SAMPLES = [
    load("kubernetes-apiserver.yml")[0],
    load("k8s-getting-started.yml")[0],
    load("windows/7d.yaml")[0],
    *yaml.safe_load_all((FIXTURES.parent / "pyrra" / "nginx.yaml").read_text()),
    *yaml.safe_load_all((FIXTURES.parent / "pyrra" / "pyrra-connect-latency.yaml").read_text()),
]


@given(st.sampled_from(range(len(_SAMPLES))), st.data(), _ANY)
@hypothesis_settings(max_examples=300, deadline=None)
def test_any_value_anywhere_is_reported_never_raised(index, data, value):
    """Whatever a field holds, the parsers answer with SLOs, listed parts or errors (never an exception,
    which the API would turn into a 500)."""
    docs = copy.deepcopy(_SAMPLES)
    path = data.draw(st.sampled_from(list(_paths(docs[index]))))
    if not path:
        docs[index] = value
    else:
        parent = docs[index]
        for step in path[:-1]:
            parent = parent[step]
        parent[path[-1]] = value
    result = parse_documents(docs)
    for slo in result.slos:
        sli_validate("promql", slo["sli"])
        policy_validate(slo["alert_policy"])
    # An answer always: SLOs, or the reason there are none, each reason a line of text.
    reasons = [*result.errors, *result.unsupported, *result.skipped]
    assert result.slos or reasons, result
    assert all(isinstance(line, str) and line for line in reasons), reasons
