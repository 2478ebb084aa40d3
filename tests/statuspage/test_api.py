"""Internal API /api/v1/statuspage/…: roles, services behind every write, JSON errors, no URL echo."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from slo.models import Service
from statuspage.models import Component, ScheduledMaintenance, Subscriber
from tests.statuspage.factories import ComponentFactory

pytestmark = pytest.mark.django_db


def test_components_crud_and_list_query_bound(token_client, django_assert_max_num_queries) -> None:
    Service.objects.create(name="api")
    admin = token_client("admin")
    group = admin.post("/api/v1/statuspage/groups/", {"name": "Core"}, format="json").json()
    created = admin.post(
        "/api/v1/statuspage/components/",
        {"name": "API", "group": group["id"], "services": ["api"], "only_show_if_degraded": True},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["services"] == ["api"] and created.json()["status"] == "operational"
    for i in range(10):
        ComponentFactory(name=f"C{i}")
    viewer = token_client("viewer", scopes=("read",))
    with django_assert_max_num_queries(12):
        listed = viewer.get("/api/v1/statuspage/components/")
    assert listed.status_code == 200
    body = listed.json()
    rows = body["results"] if isinstance(body, dict) else body
    assert len(rows) == 11
    pk = created.json()["id"]
    assert admin.patch(f"/api/v1/statuspage/components/{pk}/", {"position": 3}, format="json").json()["position"] == 3
    assert admin.delete(f"/api/v1/statuspage/components/{pk}/").status_code == 204
    assert viewer.post("/api/v1/statuspage/components/", {"name": "X"}, format="json").status_code == 403


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "API", "colour": "red"}, "colour"),
        ({"name": ""}, "name"),
        ({"name": "API", "services": ["nope"]}, "services"),
        ({"name": "API", "group": 999}, "group"),
        ({"name": "A" * 500}, "name"),
    ],
)
def test_component_bad_input_is_400_json(token_client, payload, field) -> None:
    response = token_client("admin").post("/api/v1/statuspage/components/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_duplicate_name_is_409(token_client) -> None:
    admin = token_client("admin")
    admin.post("/api/v1/statuspage/components/", {"name": "API"}, format="json")
    response = admin.post("/api/v1/statuspage/components/", {"name": "API"}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"


def test_responder_overrides_through_the_api(token_client) -> None:
    api = ComponentFactory(name="API")
    responder = token_client("responder")
    response = responder.post(
        f"/api/v1/statuspage/components/{api.pk}/override/", {"status": "major_outage", "reason": "x"}, format="json"
    )
    assert response.status_code == 200 and response.json()["override_status"] == "major_outage"
    assert response.json()["status"] == "major_outage"
    bad = responder.post(f"/api/v1/statuspage/components/{api.pk}/override/", {"status": "melting"}, format="json")
    assert bad.status_code == 400
    cleared = responder.post(f"/api/v1/statuspage/components/{api.pk}/clear_override/", {}, format="json")
    assert cleared.json()["override_status"] == "" and cleared.json()["status"] == "operational"
    assert responder.patch(f"/api/v1/statuspage/components/{api.pk}/", {"name": "Y"}, format="json").status_code == 403


def test_maintenance_through_the_api(token_client) -> None:
    api = ComponentFactory(name="API")
    responder = token_client("responder")
    start = timezone.now() + timedelta(hours=1)
    created = responder.post(
        "/api/v1/statuspage/maintenances/",
        {
            "name": "Upgrade",
            "components": [api.pk],
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(),
            "recurrence": "weekly",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "scheduled"
    pk = created.json()["id"]
    backwards = responder.patch(
        f"/api/v1/statuspage/maintenances/{pk}/", {"ends_at": (start - timedelta(hours=1)).isoformat()}, format="json"
    )
    assert backwards.status_code == 400 and "ends_at" in backwards.json()["error"]["fields"]
    assert responder.post(f"/api/v1/statuspage/maintenances/{pk}/cancel/").json()["cancelled_at"]
    again = responder.post(f"/api/v1/statuspage/maintenances/{pk}/cancel/")
    assert again.status_code == 409
    assert ScheduledMaintenance.objects.get().cancelled_at is not None


def test_reading_subscribers_needs_the_read_scope_not_write(token_client) -> None:
    reader = token_client("admin", scopes=("read",))
    assert reader.get("/api/v1/statuspage/subscribers/").status_code == 200
    writer = token_client("admin", scopes=("write",))
    refused = writer.get("/api/v1/statuspage/subscribers/")
    assert refused.status_code == 403 and "'read' scope" in refused.json()["error"]["message"]
    assert token_client("viewer", scopes=("read",)).get("/api/v1/statuspage/subscribers/").status_code == 403


def test_subscribers_api_is_admin_only_and_never_echoes_urls(token_client) -> None:
    assert token_client("responder").get("/api/v1/statuspage/subscribers/").status_code == 403
    admin = token_client("admin")
    refused = admin.post(
        "/api/v1/statuspage/subscribers/", {"kind": "webhook", "url": "http://10.0.0.5/hook"}, format="json"
    )
    assert refused.status_code == 400 and "url" in refused.json()["error"]["fields"]
    created = admin.post(
        "/api/v1/statuspage/subscribers/",
        {"kind": "webhook", "url": "http://10.0.0.5/hook?token=s3cret", "allow_private": True},
        format="json",
    )
    assert created.status_code == 201
    assert "s3cret" not in created.content.decode()
    listed = admin.get("/api/v1/statuspage/subscribers/")
    assert "s3cret" not in listed.content.decode() and "http://10.0.0.5" in listed.content.decode()
    assert Subscriber.objects.get().url.endswith("s3cret")
    assert Component.objects.count() == 0
