"""HTML pages: targets, run detail with the htmx progress fragment, run now, cancel, evidence, Overview."""

from __future__ import annotations

import pytest
from django.urls import reverse

from drills.choices import RunStatus
from drills.models import BackupTarget, DrillRun
from tests.drills.factories import BackupTargetFactory, DrillRunFactory, VerificationCheckFactory

pytestmark = pytest.mark.django_db


def _post(client, url, data=None):
    client.get(url)  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
    return client.post(url, data or {}, HTTP_X_CSRFTOKEN=token)


def test_index_lists_targets_with_last_result_and_next_run(session_client, django_assert_max_num_queries):
    target = BackupTargetFactory(schedule="0 3 * * *", name="orders-db")
    DrillRunFactory(target=target, status=RunStatus.FAILED, finished_at="2026-01-01T00:00:00Z", rto_seconds=30)
    client = session_client("viewer")
    with django_assert_max_num_queries(15):
        response = client.get(reverse("drills:index"))
    body = response.content.decode()
    assert response.status_code == 200 and "orders-db" in body and "Failed" in body
    assert "0 3 * * *" in body and "Run now" not in body  # viewers cannot run drills
    assert "New backup target" not in body


def test_index_refreshes_itself_every_30_seconds(session_client, django_assert_max_num_queries):
    for n in range(30):  # enough targets and runs that a query per row would show
        DrillRunFactory(target=BackupTargetFactory(name=f"db-{n}"), status=RunStatus.PASSED)
    client = session_client("viewer")
    page = client.get(reverse("drills:index")).content.decode()
    assert 'hx-trigger="every 30s"' in page and 'data-poll-toggle="[data-live-toggle]"' in page
    with django_assert_max_num_queries(15):
        fragment = client.get(reverse("drills:index"), headers={"HX-Request": "true"}).content.decode()
    assert "db-29" in fragment and "Passed" in fragment
    assert "<html" not in fragment and "hx-trigger" not in fragment  # only the tables, not a page in the page


def test_empty_state(session_client):
    body = session_client("admin").get(reverse("drills:index")).content.decode()
    assert "No backup targets yet" in body and "New backup target" in body


def test_target_detail_has_the_trend_chart_and_no_secrets(session_client):
    target = BackupTargetFactory(kind="postgres", connection="postgres://u:topsecret@h/db")
    VerificationCheckFactory(target=target)
    for status in ("passed", "failed"):
        DrillRunFactory(target=target, status=status, finished_at="2026-01-01T00:00:00Z", rto_seconds=5, rpo_seconds=9)
    body = session_client("viewer").get(reverse("drills:target-detail", args=[target.pk])).content.decode()
    assert "topsecret" not in body
    assert 'id="drill-trend"' in body and "plotly-2.35.3.min.js" in body and "js/drills.js" in body


def test_admin_creates_a_target_through_the_form(session_client):
    client = session_client("admin")
    response = _post(client, reverse("drills:target-create"), {
        "name": "files", "kind": "restic", "backup_mode": "take", "connection": "/srv/restic", "secret": "pw-123",
        "location": "/srv/data", "rto_target_seconds": 3600, "rpo_target_seconds": 900, "timeout_seconds": 7200,
        "schedule": "0 */6 * * *", "enabled": "on",
    })  # fmt: skip
    target = BackupTarget.objects.get(name="files")
    assert response.status_code == 302 and target.secret == "pw-123"
    edit = client.get(reverse("drills:target-edit", args=[target.pk])).content.decode()
    assert "pw-123" not in edit and "/srv/restic" not in edit
    response = _post(client, reverse("drills:target-edit", args=[target.pk]), {
        "name": "files", "kind": "restic", "backup_mode": "take", "location": "/srv/data", "rto_target_seconds": 60,
        "rpo_target_seconds": 900, "timeout_seconds": 7200, "schedule": "bad", "enabled": "on",
    })  # fmt: skip
    assert response.status_code == 400 and "crontab" in response.content.decode()
    target.refresh_from_db()
    assert target.rto_target_seconds == 3600 and target.secret == "pw-123"


def test_viewers_cannot_open_the_target_form(session_client):
    response = session_client("viewer").get(reverse("drills:target-create"))
    assert response.status_code == 403
    assert "This page needs the admin role." in response.content.decode()
    assert 'id="id_name"' not in response.content.decode()  # no target form


def test_run_now_asks_for_confirmation_then_queues(session_client, enqueued):
    target = BackupTargetFactory()
    client = session_client("responder")
    confirm = client.get(reverse("drills:run-now", args=[target.pk]))
    assert confirm.status_code == 200 and "Run drill now" in confirm.content.decode()
    assert not DrillRun.objects.exists()
    response = _post(client, reverse("drills:run-now", args=[target.pk]))
    run = DrillRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("drills:run-detail", args=[run.pk])
    assert run.requested_by == client.user and run.trigger == "manual"
    again = _post(client, reverse("drills:run-now", args=[target.pk]))
    assert again.status_code == 302 and DrillRun.objects.count() == 1


def test_viewer_cannot_run_or_cancel(session_client):
    target = BackupTargetFactory()
    run = DrillRunFactory(target=target, status=RunStatus.QUEUED)
    client = session_client("viewer")
    assert _post(client, reverse("drills:run-now", args=[target.pk])).status_code == 403
    assert _post(client, reverse("drills:run-cancel", args=[run.pk])).status_code == 403


def test_csrf_is_enforced(session_client):
    target = BackupTargetFactory()
    assert session_client("admin").post(reverse("drills:run-now", args=[target.pk])).status_code == 403


def test_run_detail_polls_while_active_and_stops_when_finished(session_client):
    run = DrillRunFactory(status=RunStatus.RUNNING)
    run.steps.create(name="restore", position=1, status="running", log="$ pg_restore …")
    client = session_client("responder")
    body = client.get(reverse("drills:run-detail", args=[run.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in body and "pg_restore" in body and "Cancel" in body
    DrillRun.objects.filter(pk=run.pk).update(status=RunStatus.PASSED)
    fragment = client.get(reverse("drills:run-progress", args=[run.pk])).content.decode()
    assert "hx-trigger" not in fragment and "Passed" in fragment
    assert client.get(reverse("drills:run-detail", args=[999999])).status_code == 404


def test_cancel_with_confirmation(session_client, enqueued):
    run = DrillRunFactory(status=RunStatus.QUEUED)
    client = session_client("responder")
    assert "Cancel the drill" in client.get(reverse("drills:run-cancel", args=[run.pk])).content.decode()
    _post(client, reverse("drills:run-cancel", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED


def test_evidence_download_and_bad_period(session_client):
    run = DrillRunFactory(queued_at="2026-02-02T10:00:00Z")
    run.check_results.create(name="rows", kind="row_count", passed=True)
    client = session_client("viewer")
    assert client.get(reverse("drills:evidence")).status_code == 200
    csv_response = client.get(reverse("drills:evidence"), {"start": "2026-02-01", "end": "2026-02-02", "format": "csv"})
    assert csv_response["Content-Disposition"].endswith('.csv"') and "rows" in csv_response.content.decode()
    json_response = client.get(reverse("drills:evidence"), {"start": "2026-02-01", "end": "2026-02-02",
                                                            "format": "json"})  # fmt: skip
    assert json_response.json()["count"] == 1
    bad = client.get(reverse("drills:evidence"), {"start": "2026-02-05", "end": "2026-02-01", "format": "csv"})
    assert bad.status_code == 400


def test_overview_panel_shows_failing_drills_first(session_client):
    ok = BackupTargetFactory(name="a-ok")
    DrillRunFactory(target=ok, status="passed", finished_at="2026-01-01T00:00:00Z")
    bad = BackupTargetFactory(name="z-bad")
    DrillRunFactory(target=bad, status="failed", finished_at="2026-01-01T00:00:00Z")
    body = session_client("viewer").get(reverse("overview")).content.decode()
    assert 'data-testid="drills-overview"' in body and "1 failing" in body
    assert body.index("z-bad") < body.index("a-ok")
