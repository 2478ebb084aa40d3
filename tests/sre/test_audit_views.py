"""Settings → Audit and the audit API: admins only, filters, before/after shown as a diff, streamed CSV
(formula-safe) and JSON exports that are themselves audited, verification, and a query-count bound."""

from __future__ import annotations

import csv
import io
import json

import pytest

from alerts.services.receivers import receiver_save
from sre.audit.choices import AuditAction
from sre.audit.models import AuditEntry
from sre.audit.services import audit_record
from sre.choices import Role

pytestmark = pytest.mark.django_db


def _body(response) -> str:
    return b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.RESPONDER])
def test_page_export_and_api_refuse_non_admins(session_client, token_client, role) -> None:
    client = session_client(role)
    assert client.get("/settings/audit/").status_code == 403
    assert client.get("/settings/audit/export.csv").status_code == 403
    api = token_client(role, scopes=("read",))
    assert api.get("/api/v1/audit/").status_code == 403
    assert api.get("/api/v1/audit/verify").status_code == 403
    assert "audit-link" not in session_client(role).get("/settings/").content.decode()


def test_page_lists_filters_and_shows_the_diff(session_client) -> None:
    admin = session_client(Role.ADMIN)
    assert "audit-link" in admin.get("/settings/").content.decode()
    receiver = receiver_save(receiver=None, data={"name": "before-name", "kind": "ledger"})
    receiver_save(receiver=receiver, data={"name": "after-name"}, secret="NEWSECRET")
    page = admin.get("/settings/audit/", {"object_type": "alerts.receiver", "action": "update"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "&quot;before-name&quot;" in text and "&quot;after-name&quot;" in text
    assert "value withheld" not in text  # the secret went from empty to set: shown as "" -> "***"
    assert "NEWSECRET" not in text
    assert text.count('<tr class="diff-') == 2  # name and secret
    other = admin.get("/settings/audit/", {"object_type": "incidents"}).content.decode()
    assert "No entries match" in other
    assert admin.get("/settings/audit/", {"since": "not a date"}).status_code == 400
    by_actor = admin.get("/settings/audit/", {"actor": "system:"}).content.decode()
    assert "before-name" in by_actor


def test_exports_stream_the_filtered_set_are_formula_safe_and_audited(session_client) -> None:
    admin = session_client(Role.ADMIN)
    audit_record(action=AuditAction.EXPORT, detail={"what": '=HYPERLINK("http://x")'})
    receiver_save(receiver=None, data={"name": "=cmd|' /C calc'!A0", "kind": "ledger"})
    response = admin.get("/settings/audit/export.csv", {"object_type": "alerts.receiver"}, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(_body(response))))
    assert len(rows) == 1 and rows[0]["object_type"] == "alerts.receiver"
    assert rows[0]["object_repr"].startswith("'=cmd")
    (export,) = AuditEntry.objects.filter(action="export", detail__what="audit")
    assert export.actor == admin.user.username and export.address == "10.1.2.3"
    assert export.detail == {"what": "audit", "format": "csv", "filters": {"object_type": "alerts.receiver"}}

    response = admin.get("/settings/audit/export.json")
    data = json.loads(_body(response))
    assert data["export"]["filters"] == {}
    assert [e["id"] for e in data["entries"]] == sorted(e["id"] for e in data["entries"])
    assert {e["action"] for e in data["entries"]} >= {"create", "export"}
    assert AuditEntry.objects.filter(action="export", detail__format="json").count() == 1
    assert admin.get("/settings/audit/export.xml").status_code == 404


def test_api_lists_filters_retrieves_and_verifies(token_client) -> None:
    api = token_client(Role.ADMIN, scopes=("read", "write"))
    receiver_save(receiver=None, data={"name": "api-r", "kind": "ledger"}, secret="APISECRET")
    listing = api.get("/api/v1/audit/", {"object_type": "alerts.receiver"})
    assert listing.status_code == 200
    (item,) = listing.json()["results"]
    assert item["object_type"] == "alerts.receiver" and item["after"]["secret"] == "***"
    assert "APISECRET" not in listing.content.decode()
    detail = api.get(f"/api/v1/audit/{item['id']}/")
    assert detail.status_code == 200 and detail.json()["hash"] == item["hash"]
    assert api.get("/api/v1/audit/", {"action": "token_use"}).json()["count"] == 1
    verify = api.get("/api/v1/audit/verify")
    assert verify.status_code == 200 and verify.json()["ok"] is True and verify.json()["broken_at"] is None
    assert verify.json()["count"] == AuditEntry.objects.count()
    assert api.post("/api/v1/audit/", {}, format="json").status_code == 405
    assert api.delete(f"/api/v1/audit/{item['id']}/").status_code == 405


def test_api_list_is_bounded_in_queries(token_client, django_assert_max_num_queries) -> None:
    api = token_client(Role.ADMIN, scopes=("read",))
    api.get("/api/v1/audit/verify")  # the token's first use this minute is recorded here, not below
    for n in range(60):
        audit_record(action=AuditAction.EXPORT, detail={"n": n})
    with django_assert_max_num_queries(6):
        response = api.get("/api/v1/audit/", {"page_size": 50})
    assert response.status_code == 200 and len(response.json()["results"]) == 50


def test_incident_and_drill_exports_are_audited(token_client) -> None:
    from django.utils import timezone

    from incidents.models import Incident

    api = token_client(Role.RESPONDER, scopes=("read",))
    now = timezone.now()
    incident = Incident.objects.create(title="db down", started_at=now, created_at=now, updated_at=now)
    response = api.get(f"/api/v1/incidents/{incident.pk}/timeline/", {"export": "csv"})
    assert response.status_code == 200
    (entry,) = AuditEntry.objects.filter(action="export", detail__what="incident-timeline")
    assert (entry.object_model, entry.object_pk, entry.actor, entry.via) == (
        "incident",
        str(incident.pk),
        api.user.username,
        "token",
    )
    response = api.get("/api/v1/drills/evidence/", {"start": "2026-01-01", "end": "2026-01-31", "output": "csv"})
    assert response.status_code == 200
    (entry,) = AuditEntry.objects.filter(action="export", detail__what="drill-evidence")
    assert entry.detail == {
        "what": "drill-evidence",
        "format": "csv",
        "start": "2026-01-01",
        "end": "2026-01-31",
        "target": None,
    }
