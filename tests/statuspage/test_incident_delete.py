"""``DELETE /api/v1/incidents/{id}/`` goes through ``incident_delete``: the audit trail keeps the record (the
incident and its timeline), the status page drops the incident after the commit, an open public incident must
be resolved first, and component overrides tied to the incident end with it."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone

from incidents.models import Incident, TimelineEntry
from incidents.services import incident_create
from sre.audit.models import AuditEntry
from statuspage.models import Component
from statuspage.services import component_override_set, sync_run
from tests.statuspage.helpers import public_incident, resolve

pytestmark = pytest.mark.django_db


def _public_ids() -> list[int]:
    response = Client().get("/status/api/v2/incidents.json")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return [int(i["id"]) for i in json.loads(body)["incidents"]]


def test_deleting_a_resolved_public_incident_keeps_the_record_and_leaves_the_status_page(
    token_client, django_capture_on_commit_callbacks
) -> None:
    api = Component.objects.create(name="API")
    incident = public_incident(title="Login failures", components=[(api, "major_outage")])
    resolve(incident)
    sync_run(now=timezone.now())
    assert incident.pk in _public_ids()
    timeline = list(TimelineEntry.objects.filter(incident=incident).values_list("pk", flat=True))
    admin = token_client("admin")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin.delete(f"/api/v1/incidents/{incident.pk}/")

    assert response.status_code == 204, response.content
    assert not Incident.objects.filter(pk=incident.pk).exists()
    assert callbacks, "the status page sync is asked for on commit"
    assert incident.pk not in _public_ids()
    entry = AuditEntry.objects.get(object_app="incidents", object_model="incident", action="delete")
    assert entry.object_pk == str(incident.pk) and entry.actor == admin.user.get_username()
    assert entry.before["public_title"] == "Login failures"
    kept = AuditEntry.objects.filter(object_model="timelineentry", action="delete").values_list("object_pk", flat=True)
    assert sorted(int(pk) for pk in kept) == sorted(timeline)


def test_an_open_public_incident_is_resolved_before_it_can_be_deleted(token_client) -> None:
    incident = public_incident(title="Login failures", components=[])

    response = token_client("admin").delete(f"/api/v1/incidents/{incident.pk}/")

    assert response.status_code == 409
    assert "resolve it first" in response.json()["error"]["message"]
    assert Incident.objects.filter(pk=incident.pk).exists()
    assert not AuditEntry.objects.filter(object_model="incident", action="delete").exists()


def test_an_override_tied_to_a_deleted_incident_ends_with_it(token_client) -> None:
    now = timezone.now()
    api = Component.objects.create(name="API")
    other = Component.objects.create(name="Website")
    incident = incident_create(title="Declared by mistake", actor="alice", now=now)
    component_override_set(
        component_id=api.pk, status="major_outage", reason="x", incident_id=incident.pk, actor="alice", now=now
    )
    component_override_set(
        component_id=other.pk, status="degraded_performance", reason="y", incident_id=None, actor="alice", now=now
    )

    assert token_client("admin").delete(f"/api/v1/incidents/{incident.pk}/").status_code == 204

    api.refresh_from_db()
    other.refresh_from_db()
    assert api.override_status == "" and api.override_at is None
    assert other.override_status == "degraded_performance"  # not tied to the incident: stays until cleared
