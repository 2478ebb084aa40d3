"""One write path for deleting a maintenance window: the Maintenance page, ``DELETE`` in the API and the status
page's scheduled maintenance all go through ``maintenance_window_delete``, with the same side effects (the
deletion is audited and what the window muted is re-evaluated at once)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import AlertGroup, MaintenanceWindow
from alerts.services import alert_raise
from alerts.services.silences import maintenance_window_delete, maintenance_window_save
from slo.models import Service
from sre.audit.models import AuditEntry
from sre.errors import ConflictError
from statuspage.models import ScheduledMaintenance
from statuspage.services import component_save, maintenance_cancel, maintenance_save

LABELS = {"alertname": "HighLatency", "service": "search", "severity": "critical"}


def _csrf(client, url: str) -> str:
    client.get(url)
    return client.cookies["csrftoken"].value


def _alerts_window(now) -> MaintenanceWindow:
    data = {
        "name": "DB upgrade",
        "starts_at": now - timedelta(minutes=5),
        "ends_at": now + timedelta(hours=1),
        "matchers": ['service="search"'],
        "created_by": "bob",
    }
    return maintenance_window_save(window=None, data=data, routes=None, now=now)


def _status_maintenance(now) -> ScheduledMaintenance:
    component = component_save(
        component=None, data={"name": "Search"}, services=[Service.objects.get_or_create(name="search")[0]]
    )
    return maintenance_save(
        maintenance=None,
        data={"name": "DB upgrade", "starts_at": now - timedelta(minutes=5), "ends_at": now + timedelta(hours=1)},
        components=[component],
        actor="bob",
        now=now,
    )


def _muted_group(now) -> AlertGroup:
    alert_raise(labels=LABELS, annotations={}, status="firing", source="test", now=now)
    group = AlertGroup.objects.get()
    assert group.state == "silenced" and not group.notifications.exists()
    return group


def _delete_through_page(session_client, window: MaintenanceWindow) -> None:
    client = session_client("responder")
    token = _csrf(client, "/alerts/maintenance/")
    response = client.post("/alerts/maintenance/", {"delete": str(window.pk), "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def _delete_through_api(token_client, window: MaintenanceWindow) -> None:
    response = token_client("responder").delete(f"/api/v1/alerts/maintenance-windows/{window.pk}/")
    assert response.status_code == 204, response.content


@pytest.mark.parametrize("door", ["page", "api", "statuspage-delete", "statuspage-cancel", "statuspage-unmute"])
def test_every_door_deletes_the_window_with_the_same_side_effects(door, root_route, session_client, token_client):
    now = timezone.now()
    if door.startswith("statuspage"):
        maintenance = _status_maintenance(now)
        window = maintenance.alert_window
        assert window is not None
    else:
        window = _alerts_window(now)
    window_pk = window.pk
    group = _muted_group(now)

    if door == "page":
        _delete_through_page(session_client, window)
    elif door == "api":
        _delete_through_api(token_client, window)
    elif door == "statuspage-delete":
        response = token_client("admin").delete(f"/api/v1/statuspage/maintenances/{maintenance.pk}/")
        assert response.status_code == 204, response.content
    elif door == "statuspage-cancel":
        # Cancelled before it started (the window started 5 minutes ago, so move it to the future first).
        MaintenanceWindow.objects.filter(pk=window.pk).update(starts_at=now + timedelta(minutes=1))
        ScheduledMaintenance.objects.filter(pk=maintenance.pk).update(starts_at=now + timedelta(minutes=1))
        maintenance_cancel(maintenance_id=maintenance.pk, now=now)
    else:
        maintenance_save(maintenance=maintenance, data={"mute_alerts": False}, components=None, actor="bob", now=now)

    assert not MaintenanceWindow.objects.filter(pk=window_pk).exists()
    # Re-evaluated at once: the group the window muted is notified now, not at its next flush.
    group.refresh_from_db()
    assert group.state != "silenced"
    assert group.notifications.exists()
    assert AuditEntry.objects.filter(
        object_app="alerts", object_model="maintenancewindow", object_pk=str(window_pk), action="delete"
    ).exists()


def test_a_status_page_window_is_deleted_only_through_its_maintenance(root_route, session_client, token_client):
    now = timezone.now()
    window = _status_maintenance(now).alert_window
    with pytest.raises(ConflictError):
        maintenance_window_delete(window=window, now=now)

    response = token_client("responder").delete(f"/api/v1/alerts/maintenance-windows/{window.pk}/")
    assert response.status_code == 409
    assert "status page" in response.json()["error"]["message"]

    client = session_client("responder")
    page = client.get("/alerts/maintenance/").content.decode()
    # The page offers the maintenance that owns the window instead of a Delete button.
    assert f"/statuspage/maintenance/{window.status_maintenance.pk}/" in page
    assert f'name="delete" value="{window.pk}"' not in page
    token = client.cookies["csrftoken"].value
    response = client.post("/alerts/maintenance/", {"delete": str(window.pk), "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert "status page" in client.get(response["Location"]).content.decode()
    assert MaintenanceWindow.objects.filter(pk=window.pk).exists()


def test_deleting_a_window_already_gone_from_the_page_says_so(root_route, session_client):
    client = session_client("responder")
    token = _csrf(client, "/alerts/maintenance/")
    response = client.post("/alerts/maintenance/", {"delete": "987654", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert "already deleted" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("typed", ["²", "١", "1" + "0" * 30, "abc"])
def test_a_typed_id_that_is_not_one_is_not_a_500(root_route, session_client, typed):
    """``str.isdigit`` accepts "²", which ``int()`` then refused with a 500; every such id is a window already gone."""
    client = session_client("responder")
    token = _csrf(client, "/alerts/maintenance/")
    response = client.post("/alerts/maintenance/", {"delete": typed, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert "already deleted" in client.get(response["Location"]).content.decode()
