"""The drills API: role checks, write-only credentials, run/cancel commands, evidence, bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from drills.choices import RunStatus
from drills.models import BackupTarget, DrillRun
from sre.audit.services import TOKEN_USE_QUERIES
from tests.drills.factories import BackupTargetFactory, DrillRunFactory, VerificationCheckFactory

pytestmark = pytest.mark.django_db

TARGETS = "/api/v1/drills/targets/"
RUNS = "/api/v1/drills/runs/"


def _pg_payload(**extra):
    return {
        "name": "orders",
        "kind": "postgres",
        "connection": "postgres://backup:hunter2-secret@db.internal:5432/orders",
        "schedule": "0 3 * * *",
        "checks": [{"name": "rows", "kind": "row_count", "table": "public.orders", "min_rows": 10}],
        **extra,
    }


def test_admin_creates_a_target_and_credentials_are_never_echoed(token_client):
    client = token_client("admin")
    response = client.post(TARGETS, _pg_payload(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert "hunter2" not in response.content.decode()
    assert body["has_connection"] is True and "connection" not in body
    assert body["rto_target_seconds"] == 4 * 3600 and body["rpo_target_seconds"] == 15 * 60
    assert body["checks"][0]["table"] == "public.orders"
    assert body["next_run_at"] is not None
    detail = client.get(f"{TARGETS}{body['id']}/")
    assert "hunter2" not in detail.content.decode()
    with connection.cursor() as cursor:
        cursor.execute("SELECT connection FROM drills_backuptarget WHERE id = %s", [body["id"]])
        assert "hunter2" not in cursor.fetchone()[0]
    target = BackupTarget.objects.get(pk=body["id"])
    assert target.periodic_task.crontab.hour == "3" and target.periodic_task.task == "drills.scheduled"


def test_partial_update_keeps_credentials_unless_given(token_client):
    client = token_client("admin")
    created = client.post(TARGETS, _pg_payload(), format="json").json()
    response = client.patch(f"{TARGETS}{created['id']}/", {"rpo_target_seconds": 60}, format="json")
    assert response.status_code == 200, response.json()
    target = BackupTarget.objects.get(pk=created["id"])
    assert "hunter2" in target.connection and target.rpo_target_seconds == 60
    response = client.patch(f"{TARGETS}{created['id']}/", {"schedule": ""}, format="json")
    assert response.json()["next_run_at"] is None
    assert BackupTarget.objects.get(pk=created["id"]).periodic_task is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"schedule": "every day"}, "schedule"),
        ({"kind": "restic", "connection": "/repo"}, "secret"),
        ({"kind": "carrier-pigeon"}, "kind"),
        ({"checks": [{"name": "x", "kind": "file_checksum", "path": "a"}]}, "kind"),
        ({"checks": [{"name": "x", "kind": "row_count", "table": "a;drop", "min_rows": 1}]}, "table"),
        ({"unknown": 1}, "unknown"),
        ({"rto_target_seconds": 0}, "rto_target_seconds"),
        ({"environment": {"1BAD": "x"}}, "environment"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(token_client, payload, field):
    response = token_client("admin").post(TARGETS, _pg_payload(**payload), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"] or field in response.json()["error"]["message"]
    assert not BackupTarget.objects.exists()


def test_duplicate_name_is_a_conflict(token_client):
    client = token_client("admin")
    client.post(TARGETS, _pg_payload(), format="json")
    response = client.post(TARGETS, _pg_payload(), format="json")
    assert response.status_code == 409
    assert "already exists" in response.json()["error"]["message"]


@pytest.mark.parametrize(("role", "code"), [("viewer", 403), ("responder", 403)])
def test_only_admins_configure_targets(token_client, role, code):
    assert token_client(role).post(TARGETS, _pg_payload(), format="json").status_code == code


def test_viewers_read_and_a_read_only_token_cannot_run(token_client):
    listed = BackupTargetFactory()
    response = token_client("viewer", scopes=("read",)).get(TARGETS)
    assert response.status_code == 200
    assert [t["name"] for t in response.json()["results"]] == [listed.name]
    target = BackupTargetFactory()
    read_only = token_client("admin", scopes=("read",)).post(f"{TARGETS}{target.pk}/run/")
    assert read_only.status_code == 403 and read_only.json()["error"]["code"] == "permission_denied"
    viewer = token_client("viewer").post(f"{TARGETS}{target.pk}/run/")
    assert viewer.status_code == 403 and "needs the responder role" in viewer.json()["error"]["message"]
    assert not DrillRun.objects.exists()


def test_responder_runs_a_drill_once_and_cancels_it(token_client, enqueued, django_capture_on_commit_callbacks):
    target = BackupTargetFactory()
    client = token_client("responder")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{TARGETS}{target.pk}/run/")
    assert response.status_code == 202
    run_id = response.json()["id"]
    assert enqueued == [run_id] and response.json()["status"] == "queued"
    again = client.post(f"{TARGETS}{target.pk}/run/")
    assert again.status_code == 409 and "already queued" in again.json()["error"]["message"]
    cancelled = client.post(f"{RUNS}{run_id}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert client.post(f"{RUNS}{run_id}/cancel/").status_code == 409


def test_run_list_filters_and_is_bounded_in_queries(token_client, django_assert_max_num_queries):
    client = token_client("viewer")
    target = BackupTargetFactory()
    for status in ("passed", "failed", "error"):
        DrillRunFactory(target=target, status=status)
    DrillRunFactory(status="passed")
    with django_assert_max_num_queries(8 + TOKEN_USE_QUERIES):  # the token's first use is audited
        response = client.get(RUNS, {"target": target.pk, "status": "failed"})
    assert [r["status"] for r in response.json()["results"]] == ["failed"]
    assert client.get(RUNS, {"status": "bogus"}).status_code == 400


def test_target_list_is_bounded_in_queries(token_client, django_assert_max_num_queries):
    client = token_client("viewer")
    for _ in range(5):
        target = BackupTargetFactory()
        VerificationCheckFactory(target=target)
        DrillRunFactory(target=target, finished_at=timezone.now())
    with django_assert_max_num_queries(8 + TOKEN_USE_QUERIES):  # the token's first use is audited
        response = client.get(TARGETS)
    assert response.status_code == 200 and len(response.json()["results"]) == 5
    assert response.json()["results"][0]["last_run"]["status"] == "passed"


def test_run_detail_has_plan_steps_and_checks(token_client):
    run = DrillRunFactory(status=RunStatus.FAILED, message="Check 'x' failed")
    run.check_results.create(name="x", kind="sql", passed=False, expected="1", observed="2", message="Expected 1")
    run.steps.create(name="obtain", position=0, status="ok", log="done")
    body = token_client("viewer").get(f"{RUNS}{run.pk}/").json()
    assert body["checks"][0] == {"name": "x", "kind": "sql", "passed": False, "expected": "1", "observed": "2",
                                 "message": "Expected 1"}  # fmt: skip
    assert body["steps"][0]["log"] == "done" and body["plan"]["target_name"] == run.target.name


def test_evidence_export_json_and_csv(token_client):
    client = token_client("viewer")
    inside = DrillRunFactory(status=RunStatus.PASSED, queued_at=dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC))
    inside.check_results.create(name="rows", kind="row_count", passed=True, expected=">= 1", observed="5")
    DrillRunFactory(queued_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC), message="=HYPERLINK(1)")
    body = client.get("/api/v1/drills/evidence/", {"start": "2026-03-01", "end": "2026-03-31"}).json()
    assert body["count"] == 1 and body["runs"][0]["checks"][0]["observed"] == "5"
    csv_response = client.get("/api/v1/drills/evidence/", {"start": "2026-03-01", "end": "2026-05-01",
                                                           "output": "csv"})  # fmt: skip
    assert csv_response["Content-Type"].startswith("text/csv")
    lines = csv_response.content.decode().strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("run_id,target")
    assert "'=HYPERLINK(1)" in lines[2]
    bad = client.get("/api/v1/drills/evidence/", {"start": "2026-03-31", "end": "2026-03-01"})
    assert bad.status_code == 400 and "end" in bad.json()["error"]["fields"]
    assert client.get("/api/v1/drills/evidence/", {"start": "yesterday"}).status_code == 400


def test_deleting_a_target_with_an_active_run_conflicts(token_client):
    run = DrillRunFactory(status=RunStatus.RUNNING)
    client = token_client("admin")
    response = client.delete(f"{TARGETS}{run.target_id}/")
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "A drill of this target is queued or running; cancel it first."
    assert BackupTarget.objects.filter(pk=run.target_id).exists()
    DrillRun.objects.filter(pk=run.pk).update(status=RunStatus.PASSED)
    assert client.delete(f"{TARGETS}{run.target_id}/").status_code == 204
    assert not BackupTarget.objects.filter(pk=run.target_id).exists()
