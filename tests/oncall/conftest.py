"""Fixtures of the on-call tests: a routing tree that flushes at once and people reachable by email."""

from __future__ import annotations

import datetime as dt

import pytest

from oncall.choices import ContactKind
from oncall.models import ContactMethod
from sre.choices import Role
from tests.alerts.factories import ReceiverFactory, RouteFactory

NOW = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def root_route(db):
    return RouteFactory(
        name="root", parent=None, receiver=ReceiverFactory(name="default"), group_by=["alertname"],
        group_wait=0, group_interval=60, repeat_interval=3600,
    )  # fmt: skip


@pytest.fixture
def person(make_user):
    """``person("alice")``: a responder with a verified email contact method."""

    def make(username: str, *, verified: bool = True, role: Role = Role.RESPONDER):
        user = make_user(role, username=username, email=f"{username}@example.com")
        ContactMethod.objects.create(
            user=user, kind=ContactKind.EMAIL, address=user.email, verified_at=NOW if verified else None
        )
        return user

    return make
