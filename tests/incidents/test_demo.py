"""The demo: a resolved incident with a published postmortem and open action items, an open incident,
history for Insights; seeding twice changes nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from incidents.demo import OPEN_TITLE, RESOLVED_TITLE, incidents_demo_seed
from incidents.insights import response_report
from incidents.models import ActionItem, Incident
from incidents.selectors import action_items_overdue
from tests.incidents.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def test_demo_seed(make_user) -> None:
    for name in ("checkout", "payments-api", "search", "notifications"):
        ServiceFactory(name=name)
    make_user("responder", username="demo-responder")
    make_user("admin", username="demo-admin")
    assert incidents_demo_seed() is True
    resolved = Incident.objects.get(title=RESOLVED_TITLE)
    assert resolved.status == "resolved" and resolved.postmortem.state == "published"
    assert "release 2026.11.3 set the checkout DB pool" in resolved.postmortem.body
    assert ActionItem.objects.filter(incident=resolved).exclude(status__in=["done", "wont_do"]).count() == 2
    assert [a.title for a in action_items_overdue(today=timezone.localdate())] == ["Validate pool settings in CI"]
    open_incident = Incident.objects.get(title=OPEN_TITLE)
    assert open_incident.status == "investigating" and open_incident.commander.username == "demo-responder"
    report = response_report(now=timezone.now(), months=4)
    assert sum(m["all"]["count"] for m in report["overall"].values()) >= 6
    count = Incident.objects.count()
    assert incidents_demo_seed() is False
    assert Incident.objects.count() == count
