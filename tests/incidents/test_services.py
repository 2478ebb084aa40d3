"""Incident services: lifecycle, optimistic locking, audit entries, acknowledgement of alert groups,
status updates and component impact, postmortems and action items."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import StatusUpdate, TimelineEntry
from incidents.selectors import incident_timeline
from sre.errors import ConflictError, InvalidInputError
from tests.incidents.factories import ComponentFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def _new(**kwargs):
    return services.incident_create(title=kwargs.pop("title", "API down"), actor="alice", now=timezone.now(), **kwargs)


def test_create_defaults_and_validation() -> None:
    incident = _new()
    assert incident.status == "triage" and incident.version == 1
    assert incident.detected_at == incident.started_at
    assert TimelineEntry.objects.get(incident=incident).kind == "created"
    with pytest.raises(InvalidInputError):
        _new(title="   ")
    with pytest.raises(InvalidInputError):
        _new(severity="sev9")
    now = timezone.now()
    with pytest.raises(InvalidInputError):
        services.incident_create(title="x", actor="a", now=now, started_at=now, detected_at=now - timedelta(hours=1))


def test_invalid_transition_is_a_conflict_with_allowed_next() -> None:
    incident = _new()
    with pytest.raises(ConflictError) as info:
        services.incident_transition(incident_id=incident.pk, target="closed", actor="bob", now=timezone.now())
    assert info.value.fields["allowed_next"] == ["investigating", "identified", "monitoring", "resolved"]


def test_full_lifecycle_sets_timestamps_and_reopen_clears_resolution() -> None:
    incident = _new()
    t = timezone.now()
    for i, state in enumerate(["investigating", "identified", "monitoring", "resolved", "closed"]):
        incident = services.incident_transition(
            incident_id=incident.pk, target=state, actor="bob", now=t + timedelta(minutes=i)
        )
    assert incident.acknowledged_at == t
    assert incident.mitigated_at == t + timedelta(minutes=2)
    assert incident.resolved_at == t + timedelta(minutes=3)
    assert incident.closed_at == t + timedelta(minutes=4)
    incident = services.incident_transition(
        incident_id=incident.pk, target="investigating", actor="bob", now=t + timedelta(minutes=9)
    )
    assert incident.status == "investigating" and incident.resolved_at is None and incident.closed_at is None
    assert incident.mitigated_at == t + timedelta(minutes=2)
    reopen = TimelineEntry.objects.filter(incident=incident, kind="status").last()
    assert reopen.data["reopen"] is True and reopen.message.startswith("Reopened")


def test_stale_version_never_overwrites_someone_elses_edit() -> None:
    incident = _new()
    v = incident.version
    services.incident_update(
        incident_id=incident.pk, version=v, actor="alice", now=timezone.now(), changes={"title": "Alice's title"}
    )
    with pytest.raises(services.StaleVersionError) as info:
        services.incident_update(
            incident_id=incident.pk, version=v, actor="bob", now=timezone.now(), changes={"title": "Bob's title"}
        )
    assert "changed by alice" in info.value.message and "reload" in info.value.message
    incident.refresh_from_db()
    assert incident.title == "Alice's title"


def test_timestamp_edits_are_audited_and_validated() -> None:
    incident = _new()
    earlier = incident.started_at - timedelta(minutes=15)
    services.incident_set_timestamps(
        incident_id=incident.pk,
        values={"started_at": earlier},
        version=incident.version,
        actor="carol",
        now=timezone.now(),
    )
    entry = TimelineEntry.objects.get(incident=incident, kind="edit")
    assert entry.actor == "carol" and entry.data["field"] == "started_at"
    assert entry.data["new"] == earlier.isoformat()
    incident.refresh_from_db()
    with pytest.raises(InvalidInputError) as info:
        services.incident_set_timestamps(
            incident_id=incident.pk, values={"detected_at": earlier - timedelta(minutes=1)}, version=incident.version,
            actor="carol", now=timezone.now(),
        )  # fmt: skip
    assert "detected_at" in info.value.fields
    with pytest.raises(InvalidInputError):
        services.incident_set_timestamps(
            incident_id=incident.pk,
            values={"resolved_at": timezone.now()},
            version=incident.version,
            actor="c",
            now=timezone.now(),
        )


def test_roles_and_severity_changes_are_on_the_timeline(make_user) -> None:
    incident = _new()
    dave = make_user("responder", username="dave")
    services.incident_set_roles(incident_id=incident.pk, roles={"commander": dave}, actor="alice", now=timezone.now())
    incident.refresh_from_db()
    services.incident_update(
        incident_id=incident.pk,
        version=incident.version,
        actor="alice",
        now=timezone.now(),
        changes={"severity": "sev1"},
    )
    kinds = [item.kind for item in incident_timeline(incident=incident)]
    assert kinds == ["created", "role", "severity"]
    assert incident_timeline(incident=incident, kinds=["role"])[0].data["new"] == "dave"


def test_public_update_snapshots_component_statuses_and_maps_status() -> None:
    incident = _new()
    api = ComponentFactory(name="API")
    services.incident_set_components(
        incident_id=incident.pk, impacts=[(api, "major_outage")], actor="a", now=timezone.now()
    )
    update = services.status_update_post(
        incident_id=incident.pk,
        body="Investigating errors",
        visibility="public",
        public_title="API errors",
        status="identified",
        actor="a",
        now=timezone.now(),
    )
    assert update.public_status == "identified"
    assert update.components == [{"component_id": api.pk, "name": "API", "status": "major_outage"}]
    internal = services.status_update_post(
        incident_id=incident.pk, body="ssh to db-3", visibility="internal", actor="a", now=timezone.now()
    )
    assert internal.components == []
    services.incident_set_components(
        incident_id=incident.pk, impacts=[(api, "degraded_performance")], actor="a", now=timezone.now()
    )
    later = services.status_update_post(
        incident_id=incident.pk,
        body="Recovering",
        visibility="public",
        status="monitoring",
        actor="a",
        now=timezone.now(),
    )
    assert later.components[0]["status"] == "degraded_performance"
    assert StatusUpdate.objects.filter(incident=incident, visibility="public").count() == 2
    with pytest.raises(InvalidInputError):
        services.incident_set_components(
            incident_id=incident.pk, impacts=[(api, "on_fire")], actor="a", now=timezone.now()
        )


def test_note_time_must_be_within_the_incident() -> None:
    incident = _new()
    with pytest.raises(InvalidInputError):
        services.timeline_note_add(
            incident_id=incident.pk, body="x", actor="a", now=timezone.now(), at=timezone.now() + timedelta(hours=1)
        )
    with pytest.raises(InvalidInputError):
        services.timeline_note_add(incident_id=incident.pk, body="  ", actor="a", now=timezone.now())
    entry = services.timeline_note_add(incident_id=incident.pk, body="rolled back", actor="a", now=timezone.now())
    assert entry.kind == "note"


def test_postmortem_needs_a_resolved_incident_and_follows_review_states() -> None:
    incident = _new(services=[ServiceFactory(name="checkout")])
    with pytest.raises(ConflictError):
        services.postmortem_create(incident_id=incident.pk, actor="a", now=timezone.now())
    services.incident_transition(incident_id=incident.pk, target="resolved", actor="a", now=timezone.now())
    pm = services.postmortem_create(incident_id=incident.pk, actor="a", now=timezone.now())
    assert "API down" in pm.body and "checkout" in pm.body and "Declared SEV3" in pm.body
    with pytest.raises(ConflictError):
        services.postmortem_create(incident_id=incident.pk, actor="a", now=timezone.now())
    with pytest.raises(ConflictError) as info:
        services.postmortem_transition(incident_id=incident.pk, target="published", actor="a", now=timezone.now())
    assert info.value.fields["allowed_next"] == ["in_review"]
    services.postmortem_transition(incident_id=incident.pk, target="in_review", actor="a", now=timezone.now())
    pm = services.postmortem_transition(incident_id=incident.pk, target="published", actor="b", now=timezone.now())
    assert pm.published_by == "b" and pm.published_at
    with pytest.raises(ConflictError):
        services.postmortem_update(
            incident_id=incident.pk, body="edit", version=pm.version, actor="a", now=timezone.now()
        )


def test_action_item_completion_stamps_and_reopen_clears() -> None:
    incident = _new()
    item = services.action_item_create(incident_id=incident.pk, title="Add alert", actor="a", now=timezone.now())
    item = services.action_item_update(item_id=item.pk, changes={"status": "done"}, actor="a", now=timezone.now())
    assert item.completed_at is not None
    item = services.action_item_update(item_id=item.pk, changes={"status": "open"}, actor="a", now=timezone.now())
    assert item.completed_at is None
    with pytest.raises(InvalidInputError):
        services.action_item_update(item_id=item.pk, changes={"priority": "p9"}, actor="a", now=timezone.now())


def test_postmortem_lists_the_worst_component_impact_not_the_final_one() -> None:
    incident = _new()
    api = ComponentFactory(name="API")
    now = timezone.now()
    services.status_update_post(
        incident_id=incident.pk,
        body="down",
        visibility="public",
        public_title="API down",
        components=[(api, "major_outage")],
        actor="a",
        now=now,
    )
    services.status_update_post(
        incident_id=incident.pk,
        body="fixed",
        visibility="public",
        status="resolved",
        components=[(api, "operational")],
        actor="a",
        now=now,
    )
    pm = services.postmortem_create(incident_id=incident.pk, actor="a", now=now)
    assert "Status page components (worst impact): API (Major outage)" in pm.body
