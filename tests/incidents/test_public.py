"""The public feed the status page renders: only incidents with a public update, Statuspage statuses and
impact, component statuses, nothing internal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.public import public_incidents
from tests.incidents.factories import ComponentFactory

pytestmark = pytest.mark.django_db


def test_public_feed(django_assert_max_num_queries) -> None:
    now = timezone.now()
    api = ComponentFactory(name="API")
    hidden = services.incident_create(title="Internal only", actor="a", now=now)
    services.status_update_post(incident_id=hidden.pk, body="internal", visibility="internal", actor="a", now=now)
    shown = services.incident_create(
        title="HighErrorRate on api-7: 5xx ratio 0.31",
        public_title="API errors",
        severity="sev1",
        actor="a",
        now=now,
        components=[(api, "major_outage")],
    )
    services.status_update_post(incident_id=shown.pk, body="Looking into it", visibility="public", actor="a", now=now)
    services.status_update_post(
        incident_id=shown.pk, body="secret runbook step", visibility="internal", actor="a", now=now
    )
    services.status_update_post(
        incident_id=shown.pk, body="Fixed", visibility="public", status="resolved", actor="a", now=now
    )
    with django_assert_max_num_queries(5):
        feed = public_incidents()
    assert [i.name for i in feed] == ["API errors"]
    item = feed[0]
    assert item.status == "resolved" and item.impact == "critical" and not item.is_open
    assert [u.status for u in item.updates] == ["resolved", "investigating"]
    assert all("secret" not in u.body for u in item.updates)
    assert item.components[0].name == "API" and item.components[0].status == "major_outage"
    services.incident_transition(incident_id=shown.pk, target="closed", actor="a", now=now)
    services.postmortem_create(incident_id=shown.pk, actor="a", now=now)
    services.postmortem_transition(incident_id=shown.pk, target="in_review", actor="a", now=now)
    services.postmortem_transition(incident_id=shown.pk, target="published", actor="a", now=now)
    assert public_incidents()[0].status == "postmortem"
    assert public_incidents(open_only=True) == []


def test_an_open_incident_comes_first_however_many_newer_ones_were_resolved() -> None:
    """Open first is the order of the query, so an old open incident is never cut off by ``limit``."""
    now = timezone.now()
    ids = []
    for minutes_ago in (90, 30, 20, 10):
        started = now - timedelta(minutes=minutes_ago)
        incident = services.incident_create(
            title="x", public_title=f"{minutes_ago} min", actor="a", now=started, started_at=started
        )
        services.status_update_post(incident_id=incident.pk, body="Looking", visibility="public", actor="a", now=now)
        ids.append(incident.pk)
    for pk in ids[1:]:
        services.status_update_post(
            incident_id=pk, body="Fixed", visibility="public", status="resolved", actor="a", now=now
        )
    assert [i.name for i in public_incidents(limit=1)] == ["90 min"]
    assert [i.name for i in public_incidents(limit=3)] == ["90 min", "10 min", "20 min"]
