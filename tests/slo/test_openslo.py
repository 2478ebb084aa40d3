"""OpenSLO v1 import (API and manage.py), export, lossless round trip; Prometheus rules and promtool."""

from __future__ import annotations

import subprocess
from decimal import Decimal

import pytest
import yaml
from django.core.management import call_command

from slo.interchange import openslo_export_text, slo_definition
from slo.models import SLO, Service
from tests.slo.factories import ServiceFactory, SLOFactory
from tests.support.payloads import alias_bomb, deep_yaml
from tests.support.servers import require_binary

pytestmark = pytest.mark.django_db

DOCS = """
apiVersion: openslo/v1
kind: Service
metadata:
  name: checkout
  displayName: Checkout
spec:
  description: Cart and checkout
---
apiVersion: openslo/v1
kind: SLI
metadata:
  name: checkout-errors
spec:
  ratioMetric:
    counter: true
    bad:
      metricSource:
        type: Prometheus
        spec:
          query: http_requests_total{service="checkout", code=~"5.."}
    total:
      metricSource:
        type: Prometheus
        spec:
          query: http_requests_total{service="checkout"}
---
apiVersion: openslo/v1
kind: AlertCondition
metadata:
  name: fast
  annotations:
    sre/short-window: 5m
spec:
  severity: page
  condition:
    kind: burnrate
    op: gte
    threshold: 14.4
    lookbackWindow: 1h
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata:
  name: checkout-policy
spec:
  alertWhenBreaching: true
  notificationTargets:
    - targetRef: pager
  conditions:
    - conditionRef: fast
    - kind: AlertCondition
      metadata:
        name: slow
      spec:
        severity: ticket
        condition:
          kind: burnrate
          threshold: 6
          lookbackWindow: 6h
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-availability
  displayName: Checkout availability
spec:
  description: Requests answered without a 5xx
  service: checkout
  indicatorRef: checkout-errors
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.9995
  alertPolicies:
    - alertPolicyRef: checkout-policy
  fancyField: 1
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-latency
spec:
  service: checkout
  indicator:
    metadata:
      name: checkout-latency-sli
    spec:
      thresholdMetric:
        metricSource:
          type: SRE
          spec:
            query: http_request_duration_seconds_bucket{service="checkout"}
  timeWindow:
    - duration: 1M
      isRolling: false
      calendar:
        startTime: "2024-01-01 00:00:00"
        timeZone: Europe/Paris
  budgetingMethod: Timeslices
  objectives:
    - op: lte
      value: 0.5
      target: 0.99
      timeSliceTarget: 0.95
      timeSliceWindow: 1m
"""


@pytest.fixture
def admin(token_client):
    return token_client(role="admin", scopes=("read", "write"))


def post_yaml(client, text, **params):
    query = "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""
    return client.generic("POST", f"/api/v1/slos/import{query}", text.encode(), content_type="application/yaml")


def test_import_upserts_and_reports_unsupported_fields_by_path(admin):
    response = post_yaml(admin, DOCS)
    body = response.json()
    assert response.status_code == 200, body
    assert body["slos"]["created"] == ["checkout-availability", "checkout-latency"]
    assert "document 5: SLO checkout-availability: spec.fancyField" in body["unsupported"]
    assert any(
        u.startswith("document 5: SLO checkout-availability: AlertPolicy checkout-policy.spec.notificationTargets")
        for u in body["unsupported"]
    )
    assert body["failed"] == [] and body["skipped"] == []
    availability = SLO.objects.get(name="checkout-availability")
    assert availability.service.description == "Cart and checkout"
    assert (availability.sli_kind, availability.target, availability.window_days) == ("promql", Decimal("0.9995"), 28)
    assert availability.sli == {"bad": 'http_requests_total{service="checkout", code=~"5.."}',
                                "total": 'http_requests_total{service="checkout"}'}  # fmt: skip
    assert availability.alert_policy == [
        {"name": "fast", "severity": "page", "factor": "14.4", "long_window": "1h", "short_window": "5m"},
        {"name": "slow", "severity": "ticket", "factor": "6", "long_window": "6h", "short_window": "30m"},
    ]
    latency = SLO.objects.get(name="checkout-latency")
    assert (latency.sli_kind, latency.window_kind, latency.calendar_unit, latency.timezone) == (
        "latency", "calendar", "month", "Europe/Paris",
    )  # fmt: skip
    assert latency.sli == {"selector": 'http_request_duration_seconds_bucket{service="checkout"}', "threshold": "0.5"}
    assert (latency.budgeting_method, latency.timeslice_target) == ("Timeslices", Decimal("0.95"))
    # a second import updates in place
    again = post_yaml(admin, DOCS.replace("target: 0.9995", "target: 0.999")).json()
    assert again["slos"]["updated"] == ["checkout-availability", "checkout-latency"]
    assert SLO.objects.get(name="checkout-availability").target == Decimal("0.999")
    assert SLO.objects.count() == 2 and Service.objects.count() == 1


def test_dry_run_changes_nothing(admin):
    body = post_yaml(admin, DOCS, dry_run="true").json()
    assert body["dry_run"] is True and len(body["slos"]["created"]) == 2
    assert not SLO.objects.exists() and not Service.objects.exists()


@pytest.mark.parametrize(
    ("text", "status", "message"),
    [
        ("a: [", 400, "does not parse"),
        ("apiVersion: openslo/v1\nkind: Nope\nmetadata: {name: x}\n", 422, "kind 'Nope'"),
        ("apiVersion: openslo/v2\nkind: SLO\nmetadata: {name: x}\n", 422, "apiVersion"),
        ("- 1\n- [2]\n", 422, "not a mapping"),
        ("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec: {}\n", 422, "spec.service is required"),
    ],
)
def test_nothing_importable_is_refused(admin, text, status, message):
    response = post_yaml(admin, text)
    assert response.status_code == status, response.json()
    assert message in str(response.json()["error"])
    assert not SLO.objects.exists()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("indicatorRef: checkout-errors", "indicatorRef: missing", "spec.indicatorRef 'missing' names no SLI"),
        ("target: 0.9995", "target: 2", "target: Must be strictly between 0 and 1"),
        ("duration: 28d", "duration: 3h", "whole days"),
        ('query: http_requests_total{service="checkout"}', "query: sum(http_requests_total{", "does not parse"),
        ("type: Prometheus", "type: Datadog", "'Datadog' is not one the product reads"),
    ],
)
def test_one_failing_slo_is_listed_and_the_rest_imports(admin, old, new, message):
    assert old in DOCS
    body = post_yaml(admin, DOCS.replace(old, new, 1)).json()
    assert body["slos"]["created"] == ["checkout-latency"], body
    assert len(body["failed"]) == 1 and body["failed"][0].startswith("document 5: SLO checkout-availability: ")
    assert message in body["failed"][0], body["failed"]
    assert list(SLO.objects.values_list("name", flat=True)) == ["checkout-latency"]


def test_empty_and_binary_bodies_are_400(admin):
    assert post_yaml(admin, "").status_code == 400
    bomb = post_yaml(admin, alias_bomb(9))  # a billion values in 450 bytes
    assert bomb.status_code == 400 and "aliases are expanded" in bomb.json()["error"]["message"]
    for style, text in deep_yaml().items():  # 500 deep: was a 500 (RecursionError)
        deep = post_yaml(admin, "apiVersion: openslo/v1\nkind: SLO\n---\n" + text)
        assert deep.status_code == 400 and "nested more than" in deep.json()["error"]["message"], style
    response = admin.generic("POST", "/api/v1/slos/import", b"\xff\xfe", content_type="application/yaml")
    assert response.status_code == 400


SPECS = [
    {"sli_kind": "ratio", "sli": {"good": 'x{code!~"5.."}', "total": "x"}},
    {"sli_kind": "promql", "sli": {"bad": 'sum(increase(x{code="500"}[$window]))', "total": "x"},
     "window_kind": "calendar", "calendar_unit": "week", "timezone": "America/New_York"},
    {"sli_kind": "log", "sli": {"service": "checkout", "bad_query": "timeout", "bad_levels": ["error"]},
     "budgeting_method": "Timeslices", "timeslice_target": Decimal("0.97"), "enabled": False},
    {"sli_kind": "latency", "sli": {"selector": 'h_bucket{service="a"}', "threshold": "0.25"},
     "target": Decimal("0.95"), "alert_policy": [{"name": "only", "severity": "ticket", "factor": "2.5",
                                                  "long_window": "2h", "short_window": "10m"}]},
]  # fmt: skip


@pytest.mark.parametrize("fields", SPECS)
def test_export_then_import_is_lossless(admin, fields):
    slo = SLOFactory(service=ServiceFactory(name="checkout", description="Cart"), name="round-trip",
                     display_name="Round trip", description="d", **fields)  # fmt: skip
    before = slo_definition(slo)
    exported = admin.get(f"/api/v1/slos/{slo.pk}/openslo")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("application/yaml")
    text = exported.content.decode()
    assert [d["kind"] for d in yaml.safe_load_all(text)] == ["Service", "SLO"]
    SLO.objects.all().delete()
    Service.objects.all().delete()
    body = post_yaml(admin, text).json()
    assert body["unsupported"] == [], body
    assert slo_definition(SLO.objects.get(name="round-trip")) == before
    assert openslo_export_text(SLO.objects.get()) == text


def test_manage_command_imports_files(tmp_path, capsys):
    path = tmp_path / "slos.yaml"
    path.write_text(DOCS)
    call_command("import_openslo", str(path))
    out = capsys.readouterr()
    assert "checkout-latency" in out.out and "spec.fancyField" in out.err
    assert SLO.objects.count() == 2
    from django.core.management.base import CommandError

    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec: {}\n")
    with pytest.raises(CommandError):
        call_command("import_openslo", str(bad))


@pytest.mark.parametrize("fields", [SPECS[0], SPECS[1], SPECS[3]])
def test_prometheus_rules_pass_promtool(admin, tmp_path, fields):
    promtool = require_binary("promtool")
    slo = SLOFactory(name="rules", **fields)
    response = admin.get(f"/api/v1/slos/{slo.pk}/prometheus-rules")
    assert response.status_code == 200
    text = response.content.decode()
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
    groups = yaml.safe_load(text)["groups"]
    records = {r["record"] for r in groups[0]["rules"]}
    assert "slo:sli_error:ratio_rate5m" in records and "slo:sli_error:ratio_rate3d" in records
    alerts = groups[1]["rules"]
    assert len(alerts) == len(slo.alert_policy)
    threshold = alerts[0]["labels"] and alerts[0]["annotations"]["threshold"]
    assert "9999" not in threshold and "0000001" not in threshold
    if fields is SPECS[0]:
        assert [a["annotations"]["threshold"] for a in alerts] == ["0.0144", "0.006", "0.001"]
        assert "> 0.0144\nand" in alerts[0]["expr"]


def test_log_sli_has_no_prometheus_rules(admin):
    slo = SLOFactory(**SPECS[2])
    response = admin.get(f"/api/v1/slos/{slo.pk}/prometheus-rules")
    assert response.status_code == 422 and "log" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("name: checkout-availability\n  displayName: Checkout availability", "name: Not A Slug"),
        ("displayName: Checkout availability", "displayName: " + "x" * 300),
        ("threshold: 14.4", "threshold: [1]"),
        ("lookbackWindow: 1h", "lookbackWindow: soon"),
        ("    - target: 0.9995", "    - target: abc"),
        ("    - target: 0.9995", "    - target: true"),
        ("  objectives:\n    - target: 0.9995", "  objectives: 3"),
        ("spec:\n  description: Requests", "spec: [1]\nx:\n  description: Requests"),
        ("alertPolicies:\n    - alertPolicyRef: checkout-policy", "alertPolicies: {a: 1}"),
        ('query: http_requests_total{service="checkout"}', "query: [1, 2]"),
        ('query: http_requests_total{service="checkout"}', "query: avg(x)"),
        ("counter: true", "counter: false\n    raw: 1"),
        ("    - target: 0.9995", "    - target: '1e-9999999'"),  # expanding it took minutes
        ("threshold: 14.4", "threshold: 1e-9999999"),
    ],
)
def test_hostile_documents_fail_that_slo_not_500(admin, old, new):
    assert old in DOCS
    response = post_yaml(admin, DOCS.replace(old, new, 1))
    body = response.json()
    assert response.status_code == 200, body
    assert [f.split(": ")[1] for f in body["failed"]] == ["SLO checkout-availability"] or body["failed"][0].startswith(
        "document 5: SLO Not A Slug"
    ), body["failed"]
    assert list(SLO.objects.values_list("name", flat=True)) == ["checkout-latency"]


def test_a_service_with_a_bad_name_is_listed_and_its_slos_import_under_their_own_service(admin):
    body = post_yaml(admin, DOCS.replace("name: checkout\n  displayName: Checkout", "name: bad service name")).json()
    assert body["failed"] == [
        "document 1: Service bad service name: the name must be a slug (a-z, 0-9, -, _), 100 at most"
    ]
    assert body["services"]["created"] == ["checkout"] and len(body["slos"]["created"]) == 2


def test_a_value_the_yaml_loader_cannot_build_is_422(admin):
    response = post_yaml(admin, DOCS.replace("target: 0.9995", "target: 1" + "0" * 5000))  # was a 500
    assert response.status_code == 422 and "cannot be read" in response.json()["error"]["message"]


def test_import_page_lists_what_was_not_imported(session_client):
    from django.urls import reverse

    from tests.slo.test_views import _post

    client = session_client("admin")
    text = "- " + DOCS.split("---")[5].strip().replace("\n", "\n  ") + "\n- {apiVersion: v1, kind: ConfigMap}\n"
    bad = text.replace("type: SRE", "type: Datadog")
    body = _post(client, reverse("slo:import"), {"documents": text + "---\n" + bad}).content.decode()
    assert "checkout-latency" in body and "Not imported" in body and "Skipped objects" in body
    assert "document 2, item 1: SLO checkout-latency: spec.indicator.spec.thresholdMetric.metricSource" in body
    assert "document 1, item 2: apiVersion &#x27;v1&#x27; kind &#x27;ConfigMap&#x27;" in body
