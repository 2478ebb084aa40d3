"""The audit trail records a check's configuration, pause and new ping key (redacted), never its pings or the
runtime fields the pings and the pass write."""

from __future__ import annotations

import pytest
from django.test import Client

from sre.audit.models import AuditEntry
from sre.choices import Role

pytestmark = pytest.mark.django_db


def _entries(**filters) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_app="heartbeats", **filters).order_by("pk"))


def test_configuration_is_recorded_and_pings_are_not(token_client, root_route) -> None:
    admin = token_client(Role.ADMIN)
    body = admin.post("/api/v1/heartbeat-checks/", {"name": "backup", "grace_seconds": 600}, format="json").json()
    (created,) = _entries(action="create")
    assert created.after["name"] == "backup" and created.after["ping_key"] == "***"
    assert body["ping_key"] not in str(created.after)

    anonymous = Client()
    for suffix in ("/start", "", "/fail", ""):
        assert anonymous.post(f"/api/v1/heartbeats/{body['ping_key']}{suffix}").status_code == 200
    assert _entries(action="update") == []  # pings change only runtime fields

    admin.patch(f"/api/v1/heartbeat-checks/{body['id']}/", {"grace_seconds": 1200}, format="json")
    token_client(Role.RESPONDER).post(f"/api/v1/heartbeat-checks/{body['id']}/pause/")
    admin.post(f"/api/v1/heartbeat-checks/{body['id']}/ping-key/")
    updates = _entries(action="update")
    assert [sorted(e.after) for e in updates] == [["grace_seconds"], ["paused"], ["ping_key"]]
    assert updates[2].before == {"ping_key": "***"} and updates[2].after == {"ping_key": "***"}
    admin.delete(f"/api/v1/heartbeat-checks/{body['id']}/")
    assert len(_entries(action="delete")) == 1
