"""/metrics exposes each target's last drill result, RTO and RPO."""

from __future__ import annotations

import pytest

from drills.metrics import metrics_record, metrics_refresh
from tests.drills.factories import DrillRunFactory

pytestmark = pytest.mark.django_db


def test_metrics_after_a_run(client):
    run = DrillRunFactory(status="failed", rto_seconds=12.5, rpo_seconds=300.0, finished_at="2026-01-01T00:00:00Z")
    metrics_record(run_id=run.pk)
    body = client.get("/metrics").content.decode()
    name = run.target.name
    assert f'sre_drill_last_result{{target="{name}"}} 0.0' in body
    assert f'sre_drill_last_rto_seconds{{target="{name}"}} 12.5' in body
    assert f'sre_drill_last_rpo_seconds{{target="{name}"}} 300.0' in body
    assert f'sre_drill_rpo_target_seconds{{target="{name}"}} 900.0' in body

    DrillRunFactory(target=run.target, status="passed", rto_seconds=3.0, rpo_seconds=1.0,
                    finished_at="2026-01-02T00:00:00Z")  # fmt: skip
    metrics_refresh()
    body = client.get("/metrics").content.decode()
    assert f'sre_drill_last_result{{target="{name}"}} 1.0' in body
