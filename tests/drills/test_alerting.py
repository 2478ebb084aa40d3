"""A failed drill raises DrillFailed in the alerts app; the next passing drill resolves it."""

from __future__ import annotations

import pytest

from alerts.models import Alert
from drills.alerting import alert_payload
from drills.choices import CheckKind, RunStatus
from drills.services import check_create, target_save
from tests.drills.factories import DrillRunFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_failed_drill_fires_and_the_next_pass_resolves(run_drill, tmp_path):
    import sqlite3

    db = tmp_path / "app.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    target = target_save(target=None, data={"name": "ledger-db", "kind": "sqlite", "location": str(db)})
    check_create(target=target, data={"name": "has rows", "kind": CheckKind.ROW_COUNT, "table": "t", "min_rows": 1})

    failed = run_drill(target)

    assert failed.status == RunStatus.FAILED
    alert = Alert.objects.get(labels__alertname="DrillFailed")
    assert alert.status == "firing" and alert.source == "drills"
    assert alert.labels == {"alertname": "DrillFailed", "drill_target": "ledger-db", "severity": "critical",
                            "service": "control-plane"}  # fmt: skip
    assert "has rows" in alert.annotations["description"]
    assert alert.generator_url.endswith(f"/drills/runs/{failed.pk}/")

    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    conn.close()
    passed = run_drill(target)

    assert passed.status == RunStatus.PASSED
    alert.refresh_from_db()
    assert alert.status == "resolved" and Alert.objects.count() == 1


def test_a_pass_after_a_pass_sends_nothing_and_cancelled_runs_are_skipped():
    first = DrillRunFactory(status=RunStatus.PASSED, finished_at="2026-01-01T00:00:00Z")
    assert alert_payload(first) is None
    DrillRunFactory(target=first.target, status=RunStatus.FAILED, finished_at="2026-01-02T00:00:00Z")
    DrillRunFactory(target=first.target, status=RunStatus.CANCELLED, finished_at="2026-01-03T00:00:00Z")
    last = DrillRunFactory(target=first.target, status=RunStatus.PASSED, finished_at="2026-01-04T00:00:00Z")
    assert alert_payload(last)["status"] == "resolved"
    errored = DrillRunFactory(status=RunStatus.ERROR, finished_at="2026-01-04T00:00:00Z", message="worker died")
    payload = alert_payload(errored)
    assert payload["status"] == "firing" and "errored" in payload["annotations"]["summary"]
