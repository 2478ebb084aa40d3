"""The incident page's budget impact is kept a minute at most, and an edit of the incident shows at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from incidents import budget
from tests.incidents.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def test_cached_per_version_and_minute(monkeypatch):
    calls = []
    monkeypatch.setattr(budget, "budget_impact", lambda *, incident, now: calls.append(now) or ("ok", [len(calls)]))
    incident = IncidentFactory()
    now = timezone.now().replace(second=5)
    assert budget.budget_impact_cached(incident=incident, now=now) == ("ok", [1])
    assert budget.budget_impact_cached(incident=incident, now=now + dt.timedelta(seconds=20)) == ("ok", [1])
    incident.version += 1  # every change of an incident bumps its version
    assert budget.budget_impact_cached(incident=incident, now=now) == ("ok", [2])
    assert budget.budget_impact_cached(incident=incident, now=now + dt.timedelta(minutes=1)) == ("ok", [3])
