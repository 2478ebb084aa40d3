"""Scheduled maintenance: the alerts window it owns, start/end transitions, status and notifications."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from alerts.models import MaintenanceWindow
from alerts.selectors import maintenance_active
from slo.models import Service
from sre.errors import ConflictError, InvalidInputError
from statuspage.models import Component, MaintenanceEvent, ScheduledMaintenance
from statuspage.selectors import component_states, maintenance_status
from statuspage.services import (
    component_save,
    maintenance_cancel,
    maintenance_complete,
    maintenance_save,
    maintenance_transitions,
    sync_run,
)
from tests.statuspage.factories import EmailSubscriberFactory

pytestmark = pytest.mark.django_db


def _component(name: str, *services: str) -> Component:
    svc = [Service.objects.get_or_create(name=s)[0] for s in services]
    return component_save(component=None, data={"name": name}, services=svc)


def _save(now, components, **data):
    base = {"name": "Upgrade", "starts_at": now + timedelta(hours=1), "ends_at": now + timedelta(hours=2)}
    return maintenance_save(maintenance=None, data={**base, **data}, components=components, actor="bob", now=now)


def test_window_mutes_the_components_services_and_can_leave_slo_budgets() -> None:
    now = timezone.now()
    api = _component("API", "api", "gateway")
    m = _save(now, [api], exclude_from_slo=True, extra_matchers=['env="prod"'], recurrence="weekly")
    window = m.alert_window
    assert window is not None and window.exclude_from_slo is True
    assert window.matchers == ['env="prod"', 'service=~"api|gateway"']
    assert window.recurrence == "weekly" and window.starts_at == m.starts_at
    assert maintenance_active(now=now + timedelta(hours=1, minutes=30)) == [window]
    assert maintenance_active(now=now + timedelta(days=7, hours=1, minutes=30)) == [window]

    from slo.models import SLO
    from slo.selectors import slo_exclusions

    slo = SLO.objects.create(service=Service.objects.get(name="api"), name="api-avail", target="0.999")
    other = SLO.objects.create(service=Service.objects.create(name="billing"), name="billing-avail", target="0.999")
    # The window's matchers include env="prod", which SLO labels lack; without it the api SLO is excluded.
    maintenance_save(maintenance=m, data={"extra_matchers": []}, components=None, actor="bob", now=now)
    excluded = slo_exclusions(slos=[slo, other], start=now, end=now + timedelta(hours=3))
    assert slo.pk in excluded and other.pk not in excluded


def test_components_without_services_get_no_window_and_muting_off_removes_it() -> None:
    now = timezone.now()
    bare = _component("Docs")
    assert _save(now, [bare]).alert_window is None
    api = _component("API", "api")
    m = _save(now, [api])
    window_id = m.alert_window_id
    maintenance_save(maintenance=m, data={"mute_alerts": False}, components=None, actor="bob", now=now)
    m.refresh_from_db()
    assert m.alert_window is None and not MaintenanceWindow.objects.filter(pk=window_id).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"ends_at": None}, "starts_at"),
        ({"starts_at": "x", "ends_at": "x"}, None),
        ({"recurrence": "hourly"}, "recurrence"),
        ({"extra_matchers": ["not a matcher"]}, "extra_matchers"),
        ({"extra_matchers": "env=prod"}, "extra_matchers"),
        ({"exclude_from_slo": True, "mute_alerts": False}, "exclude_from_slo"),
    ],
)
def test_bad_maintenance_is_refused(data, field) -> None:
    now = timezone.now()
    if data.get("starts_at") == "x":
        data = {"starts_at": now, "ends_at": now - timedelta(minutes=1)}
        field = "ends_at"
    with pytest.raises(InvalidInputError) as info:
        _save(now, [], **data)
    assert field in info.value.fields
    assert not ScheduledMaintenance.objects.exists()


def test_start_and_end_change_status_and_notify(django_capture_on_commit_callbacks) -> None:
    now = timezone.now()
    web = _component("Website", "web")
    EmailSubscriberFactory(email="ops@example.com")
    m = _save(now, [web], name="Web deploy")
    assert maintenance_status(m, now=now)[0] == "scheduled"

    start = now + timedelta(hours=1, minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        result = sync_run(now=start)
    assert result["maintenance_events"] == 1
    assert {s.component.name: s.status for s in component_states(now=start)} == {"Website": "under_maintenance"}
    web.refresh_from_db()
    assert web.status == "under_maintenance"
    assert [msg.subject for msg in mail.outbox] == ["[System status] Maintenance started: Web deploy"]
    assert "Unsubscribe:" in mail.outbox[0].body
    assert sync_run(now=start + timedelta(minutes=1))["maintenance_events"] == 0  # once

    end = now + timedelta(hours=2, minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        sync_run(now=end)
    assert [msg.subject for msg in mail.outbox][-1] == "[System status] Maintenance completed: Web deploy"
    assert component_states(now=end)[0].status == "operational"
    assert list(MaintenanceEvent.objects.order_by("at").values_list("kind", flat=True)) == ["start", "end"]


def test_completing_early_ends_muting_and_reports_the_end() -> None:
    now = timezone.now()
    api = _component("API", "api")
    m = _save(now, [api], starts_at=now - timedelta(minutes=10), ends_at=now + timedelta(hours=2))
    sync_run(now=now)
    maintenance_complete(maintenance_id=m.pk, now=now + timedelta(minutes=5))
    m.refresh_from_db()
    assert m.alert_window.ends_at == now + timedelta(minutes=5)
    assert maintenance_active(now=now + timedelta(minutes=6)) == []
    sync_run(now=now + timedelta(minutes=6))
    assert list(MaintenanceEvent.objects.order_by("at").values_list("kind", flat=True)) == ["start", "end"]
    assert maintenance_status(m, now=now + timedelta(minutes=6))[0] == "completed"
    with pytest.raises(ConflictError):
        maintenance_cancel(maintenance_id=m.pk, now=now)
    with pytest.raises(ConflictError):
        maintenance_save(maintenance=m, data={"name": "again"}, components=None, actor="bob", now=now)


def test_cancelling_a_future_maintenance_removes_its_window() -> None:
    now = timezone.now()
    api = _component("API", "api")
    m = _save(now, [api])
    window_id = m.alert_window_id
    maintenance_cancel(maintenance_id=m.pk, now=now)
    assert not MaintenanceWindow.objects.filter(pk=window_id).exists()
    assert maintenance_transitions(now=now + timedelta(hours=1, minutes=30)) == []


def test_recurring_maintenance_shows_the_next_occurrence() -> None:
    now = timezone.now()
    web = _component("Website")
    m = _save(
        now, [web], starts_at=now - timedelta(days=7, hours=1), ends_at=now - timedelta(days=7), recurrence="daily"
    )
    status, (start, _) = maintenance_status(m, now=now)
    assert status == "scheduled" and now < start <= now + timedelta(days=1)
