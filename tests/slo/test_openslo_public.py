"""The public OpenSLO v1 files (tests/slo/fixtures/openslo, copied from OpenSLO/OpenSLO, OpenSLO/go-sdk and
OpenSLO/oslo) import file by file as the table says, and the Prometheus ones evaluate against a real
Prometheus holding backfilled history.

The table was written by reading each file, not by running the importer: how many SLOs the file holds,
which import, how many services are created, and for a file where nothing can be imported, the reason
the 422 gives."""

from __future__ import annotations

import datetime as dt
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from slo.domain.formats import flatten
from slo.domain.windows import calendar_start
from slo.models import SLO, Service
from slo.services import slo_evaluate
from tests.slo.prom import backfilled_prometheus, openmetrics
from tests.slo.test_openslo import post_yaml
from tests.support.servers import require_binary

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "openslo"
SDK = "go-sdk/pkg/openslosdk/test_data"
EXAMPLES = "go-sdk/pkg/openslo/v1/examples"
ANY = "metric source type 'Any' is not one the product reads"
UNUSED = "used by no SLO in these documents"
NO_VALUE = "a thresholdMetric needs spec.objectives[0].value"
NO_SLI = "spec.indicatorRef 'my-sli' names no SLI"
NOT_SLUG = "the name must be a slug"

# file, SLOs in it, SLOs imported, services created, the 422's reason when nothing imports
TABLE = [
    ("OpenSLO/examples/budgeting-method/occurences-slo.yaml", 1, [], 0, ANY),
    ("OpenSLO/examples/budgeting-method/ratio-timeslices.yaml", 1, [], 0, ANY),
    ("OpenSLO/examples/budgeting-method/timeslices-slo.yaml", 1, [], 0, ANY),
    ("OpenSLO/examples/treat-low-traffic-as-equally-important/timeslices-slo.yaml", 1, [], 0, ANY),
    (f"{EXAMPLES}/alert_conditions.yaml", 0, [], 0, UNUSED),
    (f"{EXAMPLES}/alert_notification_targets.yaml", 0, [], 0, "alert routing tree"),
    (f"{EXAMPLES}/alert_policies.yaml", 0, [], 0, UNUSED),
    (f"{EXAMPLES}/data_sources.yaml", 0, [], 0, "type 'Datadog' is not a source the product reads"),
    (f"{EXAMPLES}/services.yaml", 0, [], 1, None),  # the same service twice
    (f"{EXAMPLES}/slis.yaml", 0, [], 0, UNUSED),
    (f"{EXAMPLES}/slos.yaml", 1, ["web-availability"], 1, None),
    (f"{SDK}/decode/sequence_of_objects.json", 0, [], 2, None),
    (f"{SDK}/decode/sequence_of_objects.yaml", 0, [], 2, None),
    (f"{SDK}/decode/single_object.json", 0, [], 1, None),
    (f"{SDK}/decode/single_object.yaml", 0, [], 1, None),
    (f"{SDK}/decode/two_documents.yaml", 0, [], 2, None),
    (f"{SDK}/decode/v1_slos.yaml", 1, ["foo-slo"], 1, None),
    (f"{SDK}/encode/v1_slo.json", 1, ["foo-slo"], 1, None),
    (f"{SDK}/encode/v1_slo.yaml", 1, ["foo-slo"], 1, None),
    (f"{SDK}/export/inputs/custom_config.yaml", 1, ["my-slo"], 1, None),
    (f"{SDK}/export/inputs/v1_alert_policies.yaml", 0, [], 0, UNUSED),
    (f"{SDK}/export/inputs/v1_slo.yaml", 1, ["my-slo"], 1, None),
    (f"{SDK}/export/outputs/custom_config.yaml", 1, ["my-slo"], 1, None),
    (f"{SDK}/export/outputs/v1_alert_policies.yaml", 0, [], 0, UNUSED),
    (f"{SDK}/export/outputs/v1_slo.yaml", 1, ["my-slo"], 1, None),
    (f"{SDK}/inline/inputs/custom_config.yaml", 1, [], 0, NO_SLI),
    (f"{SDK}/inline/inputs/v1_alert_policies_invalid_condition.yaml", 0, [], 0, UNUSED),
    (f"{SDK}/inline/inputs/v1_alert_policies_invalid_target.yaml", 0, [], 0, UNUSED),
    (f"{SDK}/inline/inputs/v1_alert_policies_keep_refs.yaml", 0, [], 0, UNUSED),
    (f"{SDK}/inline/inputs/v1_alert_policies_remove_refs.yaml", 0, [], 0, UNUSED),
    (f"{SDK}/inline/inputs/v1_slo.yaml", 2, ["my-slo-1", "my-slo-2"], 1, None),
    (f"{SDK}/inline/inputs/v1_slo_invalid_policy.yaml", 1, [], 0, NO_VALUE),
    (f"{SDK}/inline/inputs/v1_slo_invalid_sli.yaml", 1, [], 0, "spec.indicatorRef 'no-sli' names no SLI"),
    (f"{SDK}/inline/inputs/v1_slo_invalid_target.yaml", 1, [], 0, NO_VALUE),
    (f"{SDK}/inline/outputs/custom_config.yaml", 1, [], 0, NO_SLI),
    (f"{SDK}/inline/outputs/v1_alert_policies_keep_refs.yaml", 0, [], 0, UNUSED),
    (f"{SDK}/inline/outputs/v1_alert_policies_remove_refs.yaml", 0, [], 0, UNUSED),
    (f"{SDK}/inline/outputs/v1_slo.yaml", 2, ["my-slo-1", "my-slo-2"], 1, None),
    ("oslo/internal/files/test-input", 0, [], 2, None),
    ("oslo/internal/files/testdata/format/list-of-services.yaml", 0, [], 2, None),
    ("oslo/internal/files/testdata/format/two-documents.yaml", 0, [], 3, None),
    ("oslo/test/inputs/fmt/service.yaml", 0, [], 1, None),
    ("oslo/test/inputs/validate/mix/2.yaml", 0, [], 0, NOT_SLUG),  # "example service"
    ("oslo/test/inputs/validate/recursive/1.yaml", 0, [], 0, NOT_SLUG),
    ("oslo/test/inputs/validate/unknown-field.yaml", 0, [], 0, NOT_SLUG),  # "my-rad service"
    ("oslo/test/inputs/validate/v1.yaml", 1, ["web-availability"], 2, None),  # and "example service" fails
    ("oslo/test/outputs/fmt/service.yaml", 0, [], 1, None),
]


def test_the_table_covers_every_fixture():
    files = {str(p.relative_to(FIXTURES)) for p in FIXTURES.rglob("*") if p.is_file() and p.name != "README.md"}
    assert files == {row[0] for row in TABLE}


@pytest.mark.parametrize(("path", "in_file", "imported", "services", "reason"), TABLE, ids=[r[0] for r in TABLE])
def test_public_file_imports(token_client, path, in_file, imported, services, reason):
    text = (FIXTURES / path).read_text()
    objects = [doc for _, doc in flatten(list(yaml.safe_load_all(text))) if isinstance(doc, dict)]
    assert sum(doc.get("kind") == "SLO" for doc in objects) == in_file  # the table matches the file
    response = post_yaml(token_client(role="admin", scopes=("read", "write")), text)
    body = response.json()
    if reason is not None:
        assert response.status_code == 422, body
        assert reason in str(body["error"]["fields"]["documents"]), body
        assert not SLO.objects.exists() and not Service.objects.exists()
        return
    assert response.status_code == 200, body
    assert body["slos"]["created"] == imported, body
    assert len(body["services"]["created"]) == services, body
    assert len(body["failed"]) == in_file - len(imported) + (path.endswith("validate/v1.yaml")), body["failed"]
    assert SLO.objects.count() == len(imported)


# --- evaluation against a real Prometheus --------------------------------------------------------

WEB = 'http_requests{{k8s_cluster="prod",component="web",code="{}"}}'
LAG = {"k8s_cluster": "prod", "consumergroup": "annotator", "topic": "annotator-in"}
BAD_MINUTES = (3, 4, 30, 120, 121, 1440, 3 * 1440, 6 * 1440 + 7)  # minutes before T that end badly
DAYS = 8


def _history(end: int) -> tuple[str, dict]:
    """OpenMetrics text of every series the public Prometheus SLOs query, starting at 0 at end − 8 d, and
    the per-minute facts to check against."""
    start = end - DAYS * 86400
    bad = {end - m * 60 for m in BAD_MINUTES}
    web = {"2xx": [], "4xx": [], "5xx": []}
    foo = {"200": [], "500": []}
    lag = []
    values = {"2xx": 0, "4xx": 0, "5xx": 0, "200": 0, "500": 0}
    for ts in range(start, end + 1, 60):
        if ts > start:  # each sample at ts ends the minute (ts − 60, ts]
            values["2xx"] += 90
            values["4xx"] += 10
            values["5xx"] += 20 if ts in bad else 0  # 100 good of 120: below the 0.95 slice target
            values["200"] += 50
            values["500"] += 1 if ts in bad else 0
        for code in web:
            web[code].append((ts, values[code]))
        for code in foo:
            foo[code].append((ts, values[code]))
        lag.append((ts, 0.0 if ts in bad else 5.0))
    counters = openmetrics(
        [("http_requests_total", {"status_code": code}, pts) for code, pts in foo.items()], family="http_requests"
    ).removesuffix("# EOF\n")
    gauges = ["# TYPE http_requests gauge"]  # named like a counter without _total: OpenMetrics wants a gauge
    for code, pts in web.items():
        gauges += [f"{WEB.format(code)} {v} {ts}" for ts, v in pts]
    gauges.append("# TYPE kafka_consumergroup_lag gauge")
    labels = ",".join(f'{k}="{v}"' for k, v in sorted(LAG.items()))
    gauges += [f"kafka_consumergroup_lag{{{labels}}} {v} {ts}" for ts, v in lag]
    return counters + "\n".join(gauges) + "\n# EOF\n", {"bad": bad, "start": start, "foo": values}


def _closed_ranges() -> bool:
    """Whether this Prometheus includes a range's start point (2.x does, 3.x does not)."""
    out = subprocess.run([require_binary("prometheus"), "--version"], capture_output=True, text=True, timeout=30)
    return (out.stdout + out.stderr).split("version ")[1].startswith("2.")


# Two more query styles people write, on the same series: rates under a grouped sum, and the mean of the
# one-minute ratios (RatioTimeslices) over a rolling day.
MORE = """
- apiVersion: openslo/v1
  kind: DataSource
  metadata: {name: thanos}
  spec: {type: Prometheus}
- apiVersion: openslo/v1
  kind: SLO
  metadata: {name: rate-style}
  spec:
    service: foo
    objectives: [{target: 0.98}]
    indicator:
      metadata: {name: rates}
      spec:
        ratioMetric:
          counter: true
          good:
            metricSource:
              metricSourceRef: thanos
              spec: {query: 'sum by (status_code) (rate(http_requests_total{status_code="200"}[5m]))'}
          total: {metricSource: {metricSourceRef: thanos, spec: {query: 'sum(rate(http_requests_total[5m]))'}}}
- apiVersion: openslo/v1
  kind: SLO
  metadata: {name: ratio-slices}
  spec:
    service: web
    timeWindow: [{duration: 1d, isRolling: true}]
    budgetingMethod: RatioTimeslices
    objectives: [{target: 0.99, timeSliceWindow: 1m}]
    indicator:
      metadata: {name: web-ratio}
      spec:
        ratioMetric:
          counter: true
          good: {metricSource: {type: Prometheus, spec: {query: 'sum(http_requests{component="web",code=~"2xx|4xx"})'}}}
          total: {metricSource: {type: Prometheus, spec: {query: 'sum(http_requests{component="web"})'}}}
"""


@pytest.mark.integration
def test_public_prometheus_slos_evaluate(token_client, settings):
    admin = token_client(role="admin", scopes=("read", "write"))
    for path in (f"{EXAMPLES}/slos.yaml", f"{SDK}/decode/v1_slos.yaml", f"{SDK}/inline/inputs/v1_slo.yaml"):
        assert post_yaml(admin, (FIXTURES / path).read_text()).status_code == 200
    assert post_yaml(admin, MORE).json()["slos"]["created"] == ["rate-style", "ratio-slices"]
    slos = {s.name: s for s in SLO.objects.all()}
    assert set(slos) == {"web-availability", "foo-slo", "my-slo-1", "my-slo-2", "rate-style", "ratio-slices"}
    end = (int(time.time()) // 60 - 5) * 60
    text, facts = _history(end)
    at = dt.datetime.fromtimestamp(end, tz=dt.UTC)
    with backfilled_prometheus(text) as url:
        settings.PROMETHEUS_URL = url
        docs = {r.slo.name: r.document for r in slo_evaluate(slos=list(slos.values()), now=at)}
    for name, doc in docs.items():
        assert doc["data_state"] == "ok", (name, doc.get("error"))
    # foo-slo: Occurrences over 30 days (all 8 days of data): good = the 200s, total = all requests
    foo = docs["foo-slo"]["error_budget"]
    assert (foo["total_events"], foo["bad"]) == (facts["foo"]["200"] + facts["foo"]["500"], facts["foo"]["500"])
    assert docs["rate-style"]["error_budget"] == foo
    # ratio-slices: each minute of the last day is one event worth its good ratio (100 of 120 when bad)
    day = list(range(end - 86400 + 60, end + 1, 60))
    slices = docs["ratio-slices"]["error_budget"]
    bad_minutes = sum(ts in facts["bad"] for ts in day)
    assert bad_minutes == 5 and slices["total_events"] == len(day) == 1440
    assert slices["bad"] == pytest.approx(bad_minutes * 20 / 120, rel=1e-9)
    # web-availability: one-minute slices of this calendar week (New York) whose good ratio is under 0.95
    week = int(calendar_start(unit="week", tz="America/New_York", now=at).timestamp())
    minutes = list(range(week + 60, end + 1, 60))
    web = docs["web-availability"]["error_budget"]
    assert (web["total_events"], web["bad"]) == (len(minutes), sum(ts in facts["bad"] for ts in minutes))
    # my-slo-1/2: a slice is good when min_over_time(lag[2m]) > 1: a bad sample spoils the slices whose
    # 2-minute range holds it (three on Prometheus 2, whose ranges include their start, two on 3)
    reach = 3 if _closed_ranges() else 2
    spoiled = {b + 60 * k for b in facts["bad"] for k in range(reach)}
    for name in ("my-slo-1", "my-slo-2"):
        lag = docs[name]["error_budget"]
        assert (lag["total_events"], lag["bad"]) == (len(minutes), sum(ts in spoiled for ts in minutes)), name
