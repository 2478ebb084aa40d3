"""The Prometheus rule export of a latency SLO matches the buckets as exporters spell them: a real Prometheus
fires the exported burn alert on Python-client data (``le="1.0"``), promtool's rule engine fires it on
Go-client (``le="1"``) and Prometheus 3 data alike, and ``promtool check rules`` accepts the file. The
``le`` matcher lists only spellings of the threshold (no other bucket matches)."""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
import time
import urllib.parse
import urllib.request

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from slo.domain.buckets import go_format, java_format, le_matcher, le_spellings, openmetrics_format, python_format
from slo.domain.selector import labels_match
from tests.slo.conftest import push
from tests.slo.prom import backfilled_prometheus, openmetrics
from tests.support.servers import require_binary, wait_for

METRIC = "http_request_duration_seconds_bucket"
# Per minute: 600 requests, 300 within 0.5 s, 480 within 1 s: 20% slower than 1 s burns a 99.9% budget at 200x.
PER_MINUTE = {"0.5": 300, "1": 480, "+Inf": 600}
MINUTES = 90


@pytest.fixture
def admin(token_client):
    return token_client(role="admin", scopes=("read", "write"))


@pytest.mark.parametrize(
    ("value", "go", "prom3", "python", "java"),
    [
        (1.0, "1", "1.0", "1.0", "1.0"),
        (0.5, "0.5", "0.5", "0.5", "0.5"),
        (100.0, "100", "100.0", "100.0", "100.0"),
        (0.005, "0.005", "0.005", "0.005", "0.005"),
        (1e6, "1e+06", "1e+06", "1e+06", "1000000.0"),
        (2.5e6, "2.5e+06", "2.5e+06", "2.5e+06", "2500000.0"),
        (1e7, "1e+07", "1e+07", "1e+07", "1.0E7"),
        (1e-05, "1e-05", "1e-05", "1e-05", "1.0E-5"),
        (2.5e-4, "0.00025", "0.00025", "0.00025", "2.5E-4"),
        (123456.0, "123456", "123456.0", "123456.0", "123456.0"),
        (float("inf"), "+Inf", "+Inf", "+Inf", "+Inf"),
    ],
)
def test_bucket_spellings_of_each_client(value, go, prom3, python, java):
    assert (go_format(value), openmetrics_format(value), python_format(value), java_format(value)) == (
        go, prom3, python, java,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("threshold", "matches", "not_matches"),
    [
        ("1", ["1", "1.0"], ["10", "1.5", "0.1", "11", "1x0", "100"]),
        ("0.25", ["0.25"], ["0.250001", "0.2", "0x25"]),
        ("1000000", ["1000000", "1e+06", "1000000.0"], ["1e+6x", "1e+060", "10000000"]),
        ("0.00001", ["1e-05", "0.00001"], ["1e-050", "1e-5x"]),
    ],
)
def test_le_matcher_is_exact(threshold, matches, not_matches):
    matcher = le_matcher(threshold, seen=("1e+6",) if threshold == "1000000" else ())
    for text in matches:
        assert labels_match({"le": text}, [matcher]), (matcher, text)
    for text in not_matches:
        assert not labels_match({"le": text}, [matcher]), (matcher, text)
    assert "1e+6" in le_spellings("1000000", seen=("1e+6", "2e+6", "junk"))
    assert "2e+6" not in le_spellings("1000000", seen=("1e+6", "2e+6", "junk"))


BOUNDS = st.floats(min_value=1e-9, max_value=1e12, allow_nan=False, allow_infinity=False)
CLIENTS = (go_format, openmetrics_format, python_format, java_format)


@given(value=BOUNDS, other=BOUNDS)
def test_the_matcher_takes_every_spelling_of_its_bound_and_no_other_number(value, other):
    threshold = repr(value)
    matcher = le_matcher(threshold)
    for client in CLIENTS:
        assert float(client(value)) == value
        assert labels_match({"le": client(value)}, [matcher]), (client.__name__, client(value), matcher)
    for near in (other, math.nextafter(value, math.inf), math.nextafter(value, 0)):
        if near != value:
            assert not any(labels_match({"le": client(near)}, [matcher]) for client in CLIENTS), (near, matcher)


def _histogram(*, le_one: str, end: int) -> list[tuple[str, dict[str, str], list[tuple[int, float]]]]:
    """Cumulative bucket counters for ``MINUTES`` minutes ending at ``end``, the 1 s bucket spelled ``le_one``."""
    out = []
    for le, per_minute in PER_MINUTE.items():
        spelled = le_one if le == "1" else le
        labels = {"service": "checkout", "le": spelled}
        points = [(end - 60 * (MINUTES - k), float(per_minute * k)) for k in range(MINUTES + 1)]
        out.append((METRIC, labels, points))
    return out


def _push_to_store(series, *, now) -> None:
    push([{"metric": name, "labels": labels, "value": value, "timestamp": ts, "kind": "counter"}
          for name, labels, points in series for ts, value in points], now=now)  # fmt: skip


def _latency_slo(admin, *, threshold: str = "1") -> dict:
    admin.post("/api/v1/services/", {"name": "checkout"}, format="json")
    sli = {"selector": f'{METRIC}{{service="checkout"}}', "threshold": threshold}
    response = admin.post(
        "/api/v1/slos/",
        {"service": "checkout", "name": "latency", "sli_kind": "latency", "sli": sli},
        format="json",
    )
    return response


def _query(url: str, expr: str) -> list[dict]:
    with urllib.request.urlopen(f"{url}/api/v1/query?{urllib.parse.urlencode({'query': expr})}", timeout=10) as r:
        return json.loads(r.read())["data"]["result"]


@pytest.mark.integration
@pytest.mark.django_db
def test_latency_export_fires_in_prometheus_on_python_client_buckets(admin, tmp_path):
    """Python-client data (``le="1.0"``) in the product's store and in a real Prometheus: the exported rules
    record a 0.2 error ratio and the page alert fires; the old ``le="1"`` selector finds nothing there."""
    promtool = require_binary("promtool")
    end = int(time.time())
    series = _histogram(le_one="1.0", end=end)
    _push_to_store(series, now=dt.datetime.fromtimestamp(end, tz=dt.UTC))
    created = _latency_slo(admin)
    assert created.status_code == 201, created.json()
    text = admin.get(f"/api/v1/slos/{created.json()['id']}/prometheus-rules").content.decode()
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    checked = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0 and "SUCCESS" in checked.stdout, checked.stdout + checked.stderr
    groups = yaml.safe_load(text)["groups"]
    assert [g["name"] for g in groups] == ["slo-checkout-latency-recording", "slo-checkout-latency-alerts"]
    record_5m = next(r for r in groups[0]["rules"] if r["record"] == "slo:sli_error:ratio_rate5m")
    assert 'le=~"1|1\\\\.0"' in record_5m["expr"], record_5m["expr"]

    with backfilled_prometheus(openmetrics(series, family=METRIC), rules=text) as url:
        old = _query(url, f'sum(rate({METRIC}{{service="checkout", le="1"}}[5m]))')
        assert old == []  # what the export wrote before: empty on this data

        def firing() -> list[dict]:
            return _query(url, 'ALERTS{alertname="SLOErrorBudgetBurn", alertstate="firing", severity="page"}')

        alerts = wait_for(firing, timeout=90, interval=0.5, what="the exported burn alert to fire")
        assert {a["metric"]["service"] for a in alerts} == {"checkout"}
        assert {a["metric"]["slo"] for a in alerts} == {"latency"}
        ratio = _query(url, 'slo:sli_error:ratio_rate5m{service="checkout", slo="latency"}')
        assert len(ratio) == 1 and abs(float(ratio[0]["value"][1]) - 0.2) < 1e-9


def _promtool_test(promtool: str, tmp_path, rules: str, *, le_one: str) -> subprocess.CompletedProcess:
    (tmp_path / "rules.yaml").write_text(rules)
    inputs = [
        {"series": f'{METRIC}{{service="checkout", le="{le_one if le == "1" else le}"}}',
         "values": f"0+{per_minute}x{MINUTES}"}
        for le, per_minute in PER_MINUTE.items()
    ]  # fmt: skip
    test = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": inputs,
                "promql_expr_test": [
                    {
                        "expr": "count by (service, slo, severity) "
                        '(ALERTS{alertstate="firing", condition="fast-burn"})',
                        "eval_time": "80m",
                        "exp_samples": [{"labels": '{service="checkout", slo="latency", severity="page"}', "value": 1}],
                    },
                    {
                        "expr": "round(slo:sli_error:ratio_rate1h, 0.001)",
                        "eval_time": "80m",
                        "exp_samples": [{"labels": '{service="checkout", slo="latency"}', "value": 0.2}],
                    },
                ],
            }
        ],
    }
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(test, sort_keys=False))
    return subprocess.run([promtool, "test", "rules", str(tmp_path / "test.yaml")],
                          capture_output=True, text=True, timeout=120)  # fmt: skip


@pytest.mark.integration
@pytest.mark.django_db
@pytest.mark.parametrize("le_one", ["1", "1.0"])
def test_latency_export_fires_in_promtool_whatever_the_spelling(admin, tmp_path, le_one):
    """No data in the store yet (the save is allowed): the export still matches Go's ``1`` and the Python
    client's / Prometheus 3's ``1.0``. The same file with the bare ``le="1"`` matcher fails on ``1.0`` data
    (so this test can fail)."""
    promtool = require_binary("promtool")
    created = _latency_slo(admin)
    assert created.status_code == 201, created.json()
    rules = admin.get(f"/api/v1/slos/{created.json()['id']}/prometheus-rules").content.decode()
    result = _promtool_test(promtool, tmp_path, rules, le_one=le_one)
    assert result.returncode == 0, result.stdout + result.stderr
    if le_one == "1.0":
        bare = rules.replace('le=~"1|1\\\\.0"', 'le="1"')
        assert bare != rules
        assert _promtool_test(promtool, tmp_path, bare, le_one=le_one).returncode != 0
