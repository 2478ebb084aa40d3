"""Fixtures of the incidents tests."""

from __future__ import annotations

import re

import pytest


@pytest.fixture(autouse=True)
def _celery_eager():
    """Policy tasks run inline when a test commits (nothing is left in a broker folder)."""
    from sre.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fresh_policy_matchers():
    """Each test starts without the process's cached policy matchers (a rolled-back test leaves them)."""
    from incidents.policy import matchers_forget

    matchers_forget()


@pytest.fixture(autouse=True)
def _defaults(request):
    """Severity levels and the default policy (a transactional test's flush removes migration data)."""
    if (
        "db" in request.fixturenames
        or "transactional_db" in request.fixturenames
        or request.node.get_closest_marker("django_db")
    ):
        request.getfixturevalue("transactional_db" if _transactional(request) else "db")
        from incidents.services.config import incident_defaults_ensure

        incident_defaults_ensure()


def _transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return "transactional_db" in request.fixturenames or bool(marker and marker.kwargs.get("transaction"))


@pytest.fixture
def root_route(db):
    """Root route to a ledger receiver grouped by alertname, service and slo, no group_wait."""
    from tests.alerts.factories import ReceiverFactory, RouteFactory

    return RouteFactory(
        name="root",
        parent=None,
        receiver=ReceiverFactory(name="default"),
        group_by=["alertname", "service", "slo"],
        group_wait=0,
        group_interval=60,
        repeat_interval=3600,
    )


def csrf_token(client, url: str) -> str:
    """GET ``url`` with a CSRF-enforcing client and return the form token on the page."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', response.content)
    assert match, "no CSRF token on the page"
    return match.group(1).decode()


@pytest.fixture
def post_form():
    """``post_form(client, page_url, action_url, data)``: POST a form with the page's CSRF token."""

    def post(client, page_url: str, action_url: str, data: dict):
        token = csrf_token(client, page_url)
        return client.post(action_url, {**data, "csrfmiddlewaretoken": token})

    return post
