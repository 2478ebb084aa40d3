"""The admin UI at /statuspage/: roles, forms through the services, overrides, preview."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from statuspage.models import Component, ComponentGroup, ScheduledMaintenance, Subscriber
from tests.statuspage.factories import ComponentFactory, ComponentGroupFactory, MaintenanceFactory

pytestmark = pytest.mark.django_db


def _csrf(client, url: str) -> str:
    client.get(url)
    return client.cookies["csrftoken"].value


def post(client, url: str, data: dict, *, csrf_from: str = "/statuspage/"):
    token = _csrf(client, csrf_from)
    return client.post(url, {**data, "csrfmiddlewaretoken": token})


def test_index_lists_components_with_bounded_queries(session_client, django_assert_max_num_queries) -> None:
    group = ComponentGroupFactory(name="Core")
    for i in range(15):
        ComponentFactory(name=f"C{i}", group=group if i % 2 else None)
    MaintenanceFactory.create_batch(5)
    client = session_client("viewer")
    with django_assert_max_num_queries(40):
        response = client.get("/statuspage/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "C14" in html and "Core" in html and "Render now" not in html  # viewers cannot render
    assert "New component" not in html


def test_anonymous_is_sent_to_login(client) -> None:
    response = client.get("/statuspage/")
    assert response.status_code == 302 and "/login" in response["Location"]


def test_admin_creates_component_and_group(session_client) -> None:
    client = session_client("admin")
    assert post(client, "/statuspage/groups/new/", {"name": "Core", "position": 1}).status_code == 302
    group = ComponentGroup.objects.get()
    response = post(
        client,
        "/statuspage/components/new/",
        {"name": "API", "description": "REST", "group": group.pk, "position": 0},
    )
    assert response.status_code == 302
    assert Component.objects.get().group == group
    duplicate = post(client, "/statuspage/components/new/", {"name": "API", "position": 0})
    assert duplicate.status_code == 400 and b"exists" in duplicate.content


def test_viewer_and_responder_cannot_edit_components(session_client) -> None:
    for role in ("viewer", "responder"):
        client = session_client(role)
        assert post(client, "/statuspage/components/new/", {"name": f"X-{role}", "position": 0}).status_code == 403
    assert not Component.objects.exists()


def test_responder_overrides_and_clears(session_client) -> None:
    api = ComponentFactory(name="API")
    client = session_client("responder")
    response = post(
        client, f"/statuspage/components/{api.pk}/override/", {"status": "major_outage", "reason": "Broken"}
    )
    assert response.status_code == 302
    api.refresh_from_db()
    assert api.override_status == "major_outage" and api.override_by == client.user.username
    page = client.get("/statuspage/").content.decode()
    assert "Broken" in page and "Clear" in page
    post(client, f"/statuspage/components/{api.pk}/override/", {"clear": "1"})
    api.refresh_from_db()
    assert api.override_status == ""
    viewer = session_client("viewer")
    assert post(viewer, f"/statuspage/components/{api.pk}/override/", {"status": "major_outage"}).status_code == 403


def test_responder_schedules_and_completes_maintenance(session_client) -> None:
    api = ComponentFactory(name="API")
    client = session_client("responder")
    start = timezone.now() + timedelta(hours=1)
    data = {
        "name": "Upgrade",
        "body": "Short downtime",
        "components": [api.pk],
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "recurrence": "none",
        "set_component_status": "on",
        "mute_alerts": "on",
        "notify_subscribers": "on",
    }
    assert post(client, "/statuspage/maintenance/new/", data).status_code == 302
    m = ScheduledMaintenance.objects.get()
    assert list(m.components.all()) == [api]
    bad = post(client, "/statuspage/maintenance/new/", {**data, "ends_at": data["starts_at"]})
    assert bad.status_code == 400 and b"after the start" in bad.content
    assert post(client, f"/statuspage/maintenance/{m.pk}/complete/", {}).status_code == 302
    m.refresh_from_db()
    assert m.completed_at is not None
    assert post(client, f"/statuspage/maintenance/{m.pk}/explode/", {}).status_code == 404


def test_subscribers_page_is_admin_only_and_adds_private_webhook(session_client) -> None:
    assert session_client("responder").get("/statuspage/subscribers/").status_code == 403
    client = session_client("admin")
    assert client.get("/statuspage/subscribers/").status_code == 200
    refused = post(client, "/statuspage/subscribers/", {"kind": "webhook", "url": "http://127.0.0.1:9/x"})
    assert refused.status_code == 400 and not Subscriber.objects.exists()
    allowed = post(
        client, "/statuspage/subscribers/", {"kind": "webhook", "url": "http://127.0.0.1:9/x", "allow_private": "on"}
    )
    assert allowed.status_code == 302
    subscriber = Subscriber.objects.get()
    page = client.get("/statuspage/subscribers/").content.decode()
    assert "http://127.0.0.1:9" in page and "/x" not in page.split("http://127.0.0.1:9")[1][:5]  # path never echoed
    assert post(client, f"/statuspage/subscribers/{subscriber.pk}/delete/", {}).status_code == 302
    assert not Subscriber.objects.exists()


def test_delete_asks_first(session_client) -> None:
    api = ComponentFactory(name="API")
    client = session_client("admin")
    confirm = client.get(f"/statuspage/components/{api.pk}/delete/")
    assert confirm.status_code == 200 and b"Delete component" in confirm.content
    assert Component.objects.filter(pk=api.pk).exists()
    post(client, f"/statuspage/components/{api.pk}/delete/", {})
    assert not Component.objects.filter(pk=api.pk).exists()


def test_preview_and_render_now(session_client, snapshot_dir) -> None:
    ComponentFactory(name="Preview Me")
    viewer = session_client("viewer")
    preview = viewer.get("/statuspage/preview/")
    assert (
        preview.status_code == 200 and b"Preview Me" in preview.content and b"/static/css/status.css" in preview.content
    )
    responder = session_client("responder")
    assert post(responder, "/statuspage/render/", {}).status_code == 302
    assert "Preview Me" in (snapshot_dir / "index.html").read_text()


def test_overview_card_shows_public_status(session_client, snapshot_dir) -> None:
    from statuspage.snapshot import snapshot_render

    ComponentFactory(name="Broken API", status="major_outage")
    ComponentFactory(name="Fine")
    snapshot_render(now=timezone.now())
    html = session_client("viewer").get("/").content.decode()
    assert 'data-testid="statuspage-overview"' in html
    assert "Major Service Outage" in html and "Broken API: Major Outage" in html
    assert "Public snapshot rendered <time datetime=" in html  # a time in the viewer's zone, not ISO text
