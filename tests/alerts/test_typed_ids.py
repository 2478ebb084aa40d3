"""Ids typed in alerts URLs: a new silence starts from an alert's labels (?alert=) or a group's own (?group=), the
ledger filters by ?group=; an id that is not one (gone, "²", too long) gives an empty form or filters nothing, never
a 500."""

from __future__ import annotations

import pytest
from django.utils import timezone

from alerts.models import AlertGroup
from alerts.services import alert_raise

LABELS = {"alertname": "HighLatency", "service": "search", "severity": "critical", "instance": "a-1"}


@pytest.fixture
def group(root_route) -> AlertGroup:
    alert_raise(labels=LABELS, annotations={}, status="firing", source="test", now=timezone.now())
    return AlertGroup.objects.get()


def test_prefill_from_an_alert_or_a_group(session_client, group) -> None:
    client = session_client("responder")
    alert = group.alerts.get()
    from_alert = client.get(f"/alerts/silences/new/?alert={alert.pk}").content.decode()
    assert "instance=&quot;a-1&quot;" in from_alert and "alertname=&quot;HighLatency&quot;" in from_alert
    from_group = client.get(f"/alerts/silences/new/?group={group.pk}").content.decode()
    assert all(f"{k}=&quot;{v}&quot;" in from_group for k, v in group.group_labels.items())
    assert "instance=&quot;a-1&quot;" not in from_group


@pytest.mark.parametrize("query", ["alert=%C2%B2", "group=%D9%A3", "alert=99999999", "group=1" + "0" * 30, "alert="])
def test_ids_that_are_not_one_give_an_empty_form(session_client, group, query) -> None:
    response = session_client("responder").get(f"/alerts/silences/new/?{query}")
    assert response.status_code == 200
    assert "HighLatency" not in response.content.decode()


@pytest.mark.parametrize("typed", ["%C2%B2", "%D9%A3", "1" + "0" * 30])
def test_ledger_group_filters_that_are_not_an_id_filter_nothing(session_client, token_client, group, typed) -> None:
    """``?group=²`` on the ledger page and the two ledger endpoints was a 500 (``isdigit`` then ``int()``)."""
    viewer = session_client("viewer")
    page = viewer.get(f"/alerts/notifications/?group={typed}")
    assert page.status_code == 200
    assert page.content.count(b"<tr") == viewer.get("/alerts/notifications/").content.count(b"<tr")  # unfiltered
    client = token_client("viewer")
    for endpoint in ("notifications", "attempts"):
        response = client.get(f"/api/v1/alerts/{endpoint}/?group={typed}")
        assert response.status_code == 200, (endpoint, response.content)
        assert response.json() == client.get(f"/api/v1/alerts/{endpoint}/").json()  # the filter is ignored
    assert client.get("/api/v1/alerts/notifications/").json()["count"] >= 1  # so "ignored" is not "both empty"
