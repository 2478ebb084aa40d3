"""The Grafana dashboard and the Prometheus alert rules shipped for the control plane's own health: the rules pass
``promtool check rules`` and their unit tests (sre_rules_test.yml), and every metric either names is one that
``/metrics`` really exposes (parsed with promql-parser, so a renamed metric fails here, not on a dark dashboard)."""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import promql_parser
import pytest
import yaml
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from tests.deploy.manifests import DEPLOY, ROOT

DASHBOARD = DEPLOY / "grafana" / "sre-control-plane.json"
RULES = DEPLOY / "prometheus" / "sre-control-plane-rules.yml"
RULES_TEST = Path(__file__).with_name("sre_rules_test.yml")
# Suffixes under which each metric type's samples appear.
SAMPLE_SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count", "_created")}
# Grafana's variables, replaced by what they stand for before parsing.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h"}


def _promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        if os.environ.get("SRE_REQUIRE_INTEGRATION") == "1":
            pytest.fail("promtool (Debian package prometheus) is required")
        pytest.skip("promtool (Debian package prometheus) is not installed")
    return path


def _rule_exprs() -> list[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def _dashboard_exprs() -> list[str]:
    exprs = []
    for panel in json.loads(DASHBOARD.read_text())["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"]
            for variable, value in GRAFANA_VARIABLES.items():
                expr = expr.replace(variable, value)
            exprs.append(expr)
    return exprs


def metric_names(expr: str) -> set[str]:
    names: set[str] = set()

    def visit(node: object) -> None:
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            names.add(node.name)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


def _exposed(db) -> set[str]:
    """Every sample name /metrics can expose (families with their type's suffixes), with every app's metrics module
    loaded, as the web and worker processes that write them have (the worker's reach /metrics through
    PROMETHEUS_MULTIPROC_DIR)."""
    for module in sorted(ROOT.glob("*/metrics.py")):
        importlib.import_module(f"{module.parent.name}.metrics")
    response = Client().get("/metrics")
    assert response.status_code == 200
    names: set[str] = set()
    for family in text_string_to_metric_families(response.content.decode()):
        names.add(family.name)
        names.update(family.name + suffix for suffix in SAMPLE_SUFFIXES.get(family.type, ()))
    return names


def test_promtool_accepts_the_rules_and_their_unit_tests_pass():
    promtool = _promtool()
    checked = subprocess.run([promtool, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run(
        [promtool, "test", "rules", RULES_TEST.name], cwd=RULES_TEST.parent, capture_output=True, text=True, timeout=60
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_the_rules_cover_queue_depth_delivery_failures_and_heartbeat_age():
    named = set().union(*(metric_names(expr) for expr in _rule_exprs()))
    assert {"sre_alert_outbox_due", "sre_alert_outbox_oldest_due_seconds"} <= named
    assert {"sre_alert_notifications_total", "sre_background_heartbeat_age_seconds"} <= named


def test_every_metric_in_the_rules_and_the_dashboard_is_exposed_at_metrics(db):
    exposed = _exposed(db)
    for source, exprs in (("rules", _rule_exprs()), ("dashboard", _dashboard_exprs())):
        assert exprs
        missing = {name for expr in exprs for name in metric_names(expr)} - exposed
        assert not missing, f"{source} name metrics /metrics does not expose: {sorted(missing)}"


def test_the_dashboard_is_importable_grafana_json():
    dashboard = json.loads(DASHBOARD.read_text())
    panels = dashboard["panels"]
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids)) and dashboard["uid"] and dashboard["schemaVersion"] >= 36
    assert [v["name"] for v in dashboard["templating"]["list"]] == ["datasource"]
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        for target in panel.get("targets", []):
            assert target["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
            assert not re.search(r"\$(?!__rate_interval|__interval|__range)\w", target["expr"]), target["expr"]
