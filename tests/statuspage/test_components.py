"""Components: derived status from incidents, maintenance and SLO burn; overrides that expire."""

from __future__ import annotations

import pytest
from django.utils import timezone

from incidents.services import incident_create, incident_transition
from slo.models import SLO, Service
from sre.errors import ConflictError, InvalidInputError
from statuspage.selectors import component_states
from statuspage.services import (
    component_override_clear,
    component_override_set,
    component_save,
    group_save,
    overrides_expire,
    sync_run,
)

pytestmark = pytest.mark.django_db


def _status(component) -> str:
    return {s.component.pk: s.status for s in component_states(now=timezone.now())}[component.pk]


def test_open_incidents_set_the_worst_impact_and_resolving_clears_it() -> None:
    api = component_save(component=None, data={"name": "API"})
    now = timezone.now()
    one = incident_create(title="a", actor="x", now=now, components=[(api, "degraded_performance")])
    incident_create(title="b", actor="x", now=now, components=[(api, "major_outage")])
    assert _status(api) == "major_outage"
    for target in ("investigating", "resolved"):
        incident_transition(incident_id=one.pk, target=target, actor="x", now=now)
    assert _status(api) == "major_outage"


def _burn(severity: str, long_window: str, short_window: str) -> dict[str, str]:
    return {
        "alertname": "SLOErrorBudgetBurn",
        "service": "api",
        "slo": "api-avail",
        "severity": severity,
        "long_window": long_window,
        "short_window": short_window,
    }


def test_slo_burn_counts_only_when_opted_in() -> None:
    service = Service.objects.create(name="api")
    slo = SLO.objects.create(
        service=service,
        name="api-avail",
        target="0.999",
        alert_policy=[{"name": "fast", "severity": "page"}, {"name": "slow", "severity": "ticket"}],
        # As the SLO evaluator stores them: the label sets of the firing burn alerts.
        burn_alerts=[_burn("ticket", "3d", "6h")],
    )
    api = component_save(component=None, data={"name": "API"}, slos=[slo])
    assert _status(api) == "operational"
    component_save(component=api, data={"status_from_slo_burn": True})
    assert _status(api) == "degraded_performance"
    SLO.objects.filter(pk=slo.pk).update(burn_alerts=[_burn("page", "1h", "5m"), _burn("ticket", "3d", "6h")])
    assert _status(api) == "partial_outage"


def test_override_wins_and_expires_when_its_incident_resolves() -> None:
    api = component_save(component=None, data={"name": "API"})
    now = timezone.now()
    incident = incident_create(title="a", actor="x", now=now, components=[(api, "partial_outage")])
    component_override_set(
        component_id=api.pk,
        status="major_outage",
        reason="Worse than it looks",
        incident_id=incident.pk,
        actor="rita",
        now=now,
    )
    assert _status(api) == "major_outage"
    for target in ("investigating", "resolved"):
        incident_transition(incident_id=incident.pk, target=target, actor="x", now=now)
    assert _status(api) == "operational"  # ignored at once
    assert overrides_expire(now=now) == 1  # and cleared by the next sync
    api.refresh_from_db()
    assert api.override_status == "" and api.override_by == ""


def test_override_without_incident_stays_until_cleared() -> None:
    api = component_save(component=None, data={"name": "API"})
    now = timezone.now()
    component_override_set(
        component_id=api.pk, status="degraded_performance", reason="", incident_id=None, actor="r", now=now
    )
    sync_run(now=now)
    assert _status(api) == "degraded_performance"
    component_override_clear(component_id=api.pk, now=now)
    assert _status(api) == "operational"


def test_override_rejects_bad_input() -> None:
    api = component_save(component=None, data={"name": "API"})
    now = timezone.now()
    with pytest.raises(InvalidInputError):
        component_override_set(component_id=api.pk, status="on_fire", reason="", incident_id=None, actor="r", now=now)
    done = incident_create(title="a", actor="x", now=now)
    for target in ("investigating", "resolved"):
        incident_transition(incident_id=done.pk, target=target, actor="x", now=now)
    with pytest.raises(InvalidInputError):
        component_override_set(
            component_id=api.pk, status="major_outage", reason="", incident_id=done.pk, actor="r", now=now
        )


def test_names_are_unique() -> None:
    component_save(component=None, data={"name": "API"})
    with pytest.raises(ConflictError):
        component_save(component=None, data={"name": "API"})
    group_save(group=None, data={"name": "Core"})
    with pytest.raises(ConflictError):
        group_save(group=None, data={"name": "Core"})
    with pytest.raises(InvalidInputError):
        component_save(component=None, data={"name": "  "})
