"""A restore drill reports to a heartbeat check labelled with its target: a real run records a start and a
success or failure ping (with the run's duration), and a failed drill takes the check down with HeartbeatFailed."""

from __future__ import annotations

import sqlite3

import pytest
from django.utils import timezone

from alerts.models import Alert
from drills.choices import CheckKind, RunStatus
from drills.services import check_create, target_save
from heartbeats.models import Check, Ping
from heartbeats.services.checks import check_save

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_drill_run_pings_the_check_labelled_with_its_target(run_drill, tmp_path):
    db = tmp_path / "app.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    target = target_save(target=None, data={"name": "ledger-db", "kind": "sqlite", "location": str(db)})
    check_create(target=target, data={"name": "has rows", "kind": CheckKind.ROW_COUNT, "table": "t", "min_rows": 1})
    check = check_save(
        check=None,
        data={"name": "ledger drill", "slug": "ledger-drill", "period_seconds": 86400, "grace_seconds": 3600,
              "labels": {"drill_target": "ledger-db"}},
        now=timezone.now(),
    )  # fmt: skip
    other = check_save(check=None, data={"name": "other", "slug": "other", "period_seconds": 3600}, now=timezone.now())

    assert run_drill(target).status == RunStatus.FAILED
    kinds = list(Ping.objects.filter(heartbeat=check).order_by("n").values_list("kind", flat=True))
    assert kinds == ["start", "fail"]
    assert Alert.objects.get(labels__alertname="HeartbeatFailed").labels["heartbeat"] == "ledger-drill"
    assert not Ping.objects.filter(heartbeat=other).exists()

    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    conn.close()
    assert run_drill(target).status == RunStatus.PASSED
    kinds = list(Ping.objects.filter(heartbeat=check).order_by("n").values_list("kind", flat=True))
    assert kinds == ["start", "fail", "start", "success"]
    check = Check.objects.get(pk=check.pk)
    assert check.last_duration_seconds is not None and check.last_duration_seconds >= 0
    assert Alert.objects.get(labels__alertname="HeartbeatFailed").status == "resolved"


def test_a_failing_hook_leaves_the_drill_record_alone(run_drill, tmp_path, settings):
    settings.SRE = {**settings.SRE, "DRILL_FINISHED_HOOKS": ["heartbeats.services.drills.no_such_hook"]}
    db = tmp_path / "app.sqlite3"
    sqlite3.connect(db).close()
    target = target_save(target=None, data={"name": "empty-db", "kind": "sqlite", "location": str(db)})
    run = run_drill(target)
    assert run.status in (RunStatus.PASSED, RunStatus.FAILED)
