"""Fixtures of the heartbeats tests: a routing tree that flushes at once, a fixed clock, the alerts of a check."""

from __future__ import annotations

import datetime as dt

import pytest

from alerts.models import Alert
from tests.alerts.factories import ReceiverFactory, RouteFactory

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def root_route(db):
    return RouteFactory(
        name="root", parent=None, receiver=ReceiverFactory(name="default"), group_by=["alertname"],
        group_wait=0, group_interval=60, repeat_interval=3600,
    )  # fmt: skip


def alerts_of(slug: str) -> dict[str, str]:
    """``{alertname: status}`` of the heartbeat alerts of check ``slug`` in the alerts app."""
    return {
        alert.labels["alertname"]: alert.status
        for alert in Alert.objects.filter(source="heartbeat").order_by("pk")
        if alert.labels.get("heartbeat") == slug
    }
