"""Prometheus rule files: import (all or nothing, paths in every problem, recording rules skipped, dry run),
export that promtool accepts and that imports back to the same rules, and the management command."""

from __future__ import annotations

import subprocess

import pytest
import yaml
from django.core.management import CommandError, call_command

from rules.models import AlertRule
from rules.services.files import rules_export_text, rules_import
from sre.errors import UnprocessableError
from tests.support.servers import require_binary

pytestmark = pytest.mark.django_db

FILE = """
groups:
  - name: api
    interval: 30s
    rules:
      - record: job:http_requests:rate5m
        expr: sum by (job) (rate(http_requests_total[5m]))
      - alert: HighErrorRate
        expr: sum by (job) (rate(http_requests_total{code=~"5.."}[5m])) / sum by (job) (rate(http_requests_total[5m])) > 0.05
        for: 5m
        keep_firing_for: 1m30s
        labels: {severity: page}
        annotations: {summary: "{{ $labels.job }} fails {{ $value | humanizePercentage }}"}
  - name: queues
    rules:
      - alert: QueueDeep
        expr: max by (queue) (queue_depth) > 100
"""  # noqa: E501


def test_import_creates_rules_skips_recording_rules_and_reports_unsupported_keys():
    report = rules_import(text=FILE)
    assert report["created"] == ["api/HighErrorRate", "queues/QueueDeep"]
    assert any("recording rule" in line for line in report["unsupported"])
    assert any(line.startswith("groups[0].interval") for line in report["unsupported"])
    rule = AlertRule.objects.get(name="HighErrorRate")
    assert (rule.for_seconds, rule.keep_firing_for_seconds, rule.labels) == (300, 90, {"severity": "page"})
    again = rules_import(text=FILE)
    assert again["updated"] == ["api/HighErrorRate", "queues/QueueDeep"] and AlertRule.objects.count() == 2


def test_dry_run_changes_nothing():
    assert rules_import(text=FILE, dry_run=True)["created"]
    assert not AlertRule.objects.exists()


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("groups: [{name: a, rules: [{alert: X, expr: 'rate(x[5m]'}]}]", "groups[0].rules[0].expr"),
        ("groups: [{name: a, rules: [{alert: 'bad name', expr: 'up > 0'}]}]", "groups[0].rules[0].alert"),
        ("groups: [{name: a, rules: [{alert: X, expr: 'up > 0', for: soon}]}]", "groups[0].rules[0].for"),
        ("groups: [{rules: []}]", "groups[0].name"),
        ("rules: []", "groups"),
        ("groups: [{name: a, rules: [{record: x, expr: up}]}]", "None found"),
        ("groups: [{name: a, rules: [{alert: X, expr: 'up > 0'}, {alert: X, expr: 'up > 1'}]}]", "groups: rule 'X'"),
    ],
)
def test_a_bad_file_is_refused_whole_naming_the_path(text, where):
    good = "groups: [{name: ok, rules: [{alert: Fine, expr: 'up > 0'}]}, "
    if where.startswith("groups[0].rules"):  # beside a good group, which must not be imported either
        text, where = good + text.removeprefix("groups: ["), where.replace("groups[0]", "groups[1]")
    with pytest.raises(UnprocessableError) as caught:
        rules_import(text=text)
    lines = caught.value.fields["rules"]
    assert any(line.startswith(where) for line in lines), lines
    assert not AlertRule.objects.exists()


def test_export_is_accepted_by_promtool_and_imports_back_identically(tmp_path):
    rules_import(text=FILE)
    exported = rules_export_text()
    (tmp_path / "rules.yml").write_text(exported)
    promtool = require_binary("promtool")
    result = subprocess.run([promtool, "check", "rules", str(tmp_path / "rules.yml")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    before = list(AlertRule.objects.values("group", "name", "expr", "for_seconds", "keep_firing_for_seconds",
                                           "labels", "annotations").order_by("pk"))  # fmt: skip
    AlertRule.objects.all().delete()
    rules_import(text=exported)
    after = list(AlertRule.objects.values("group", "name", "expr", "for_seconds", "keep_firing_for_seconds",
                                          "labels", "annotations").order_by("pk"))  # fmt: skip
    assert after == before
    assert yaml.safe_load(rules_export_text()) == yaml.safe_load(exported)


def test_the_command_imports_and_exports(tmp_path, capsys):
    path = tmp_path / "rules.yml"
    path.write_text(FILE)
    call_command("import_rules", str(path))
    assert AlertRule.objects.count() == 2
    call_command("import_rules", "--export")
    assert "HighErrorRate" in capsys.readouterr().out
    path.write_text("groups: [{name: a, rules: [{alert: X, expr: 'rate(x[5m]'}]}]")
    with pytest.raises(CommandError, match="expr"):
        call_command("import_rules", str(path))
