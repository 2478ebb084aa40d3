"""The life of a rule's alerts (pending, ``for``, ``keep_firing_for``, resolve) and their labels and annotations
match Prometheus' own alerting-rule code: the product evaluates a scripted flapping scenario, and the alerts
it has firing at every evaluation are written as a ``promtool test rules`` file over the same series, which
promtool (Prometheus' rule engine) must pass."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
import yaml

from rules.choices import AlertState
from rules.models import RuleAlert
from rules.services.evaluate import rules_evaluate
from rules.services.files import rules_import
from tests.rules.conftest import push
from tests.support.servers import require_binary

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

RULES = """
groups:
  - name: rooms
    rules:
      - alert: Hot
        expr: temperature > 100
        for: 2m
        keep_firing_for: 3m
        labels: {severity: warning, room: "{{ $labels.room }}"}
        annotations: {summary: "Room {{ $labels.room }} is hot"}
      - alert: Cold
        expr: temperature < 5
      - alert: HotAverage
        expr: avg by (floor) (temperature) > 90
        for: 1m
"""
# per minute, per room: flapping above and below 100, a dip shorter than keep_firing_for, one longer
ROOMS = {
    ("a", "1"): [50, 120, 130, 140, 90, 120, 130, 40, 40, 40, 40, 40, 150, 150, 150, 150, 3, 3, 60, 60, 60, 60],
    ("b", "1"): [120, 120, 60, 120, 120, 120, 120, 120, 120, 120, 2, 120, 120, 120, 120, 80, 80, 80, 80, 80, 80, 80],
    ("c", "2"): [10, 10, 10, 200, 200, 10, 200, 200, 200, 200, 10, 10, 10, 10, 10, 10, 10, 10, 4, 4, 200, 200],
}
MINUTES = len(next(iter(ROOMS.values())))


def test_alert_states_match_promtool(base_time, tmp_path):
    promtool = require_binary("promtool")
    start = int(base_time.timestamp())
    samples = [
        {"metric": "temperature", "labels": {"room": room, "floor": floor}, "value": value,
         "timestamp": start + 60 * k, "kind": "gauge"}
        for (room, floor), values in ROOMS.items() for k, value in enumerate(values)
    ]  # fmt: skip
    push(samples, now=dt.datetime.now(dt.UTC))
    rules_import(text=RULES)
    checks = []
    for k in range(MINUTES):
        rules_evaluate(now=dt.datetime.fromtimestamp(start + 60 * k, tz=dt.UTC))
        firing = list(RuleAlert.objects.filter(state=AlertState.FIRING).select_related("rule"))
        for name in ("Hot", "Cold", "HotAverage"):
            alerts = [
                {"exp_labels": {k2: v for k2, v in a.labels.items() if k2 != "alertname"},
                 **({"exp_annotations": {"summary": f"Room {a.labels['room']} is hot"}} if name == "Hot" else {})}
                for a in firing if a.rule.name == name
            ]  # fmt: skip
            checks.append({"eval_time": f"{k}m", "alertname": name, "exp_alerts": alerts})
    assert any(c["exp_alerts"] for c in checks if c["alertname"] == "Hot")
    test_file = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": f'temperature{{room="{room}",floor="{floor}"}}', "values": " ".join(map(str, values))}
                    for (room, floor), values in ROOMS.items()
                ],
                "alert_rule_test": checks,
            }
        ],
    }
    (tmp_path / "rules.yml").write_text(RULES)
    (tmp_path / "test.yml").write_text(yaml.safe_dump(test_file, sort_keys=False))
    result = subprocess.run(
        [promtool, "test", "rules", "test.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
