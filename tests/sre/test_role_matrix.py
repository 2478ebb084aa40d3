"""Every route of the URL configuration, requested as anonymous, viewer, responder and admin, against the role
table in ``tests/sre/role_matrix.py`` (the same table the README's "Roles and API tokens" section shows).

Routes come from ``django.urls.get_resolver()``, so a new route is covered without anyone remembering to: a route
or method missing from the table fails with a message saying where to add it. Path parameters are a real object's
id where the view names its model (so pages render real rows) and a harmless id otherwise. Each request runs in
a savepoint that is rolled back, so a DELETE by the admin removes nothing the next request needs; nothing leaves
the machine (``loopback_only``).
"""

from __future__ import annotations

import os
from http.cookies import SimpleCookie

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sre.choices import Role
from sre.demo.services import demo_seed
from sre.services import api_token_create, user_set_role
from tests.sre import role_matrix as matrix
from tests.sre.factories import UserFactory

ROLES = ("anonymous", "viewer", "responder", "admin")
RANK = {role: index for index, role in enumerate(ROLES)}


@pytest.fixture
def clients(db, settings):
    """A client per role: a signed-in session for pages, a bearer token with every scope for the API."""
    settings.SRE = {**settings.SRE, "ALERTS_ALLOW_PRIVATE_TARGETS": False, "STATUSPAGE_ALLOW_PRIVATE_WEBHOOKS": False}
    demo_seed(password="role-matrix")
    made = {"anonymous": (Client(), Client())}
    for role in ROLES[1:]:
        user = UserFactory(username=f"matrix-{role}", is_staff=role == "admin")
        user_set_role(user=user, role=Role(role))
        _, token = api_token_create(
            user=user, name="matrix", scopes=["ingest", "read", "write"], expires_at=None, now=timezone.now()
        )
        session = Client()
        session.force_login(user)
        made[role] = (session, Client(HTTP_AUTHORIZATION=f"Bearer {token}"))
    return made


def _request(client: Client, method: str, path: str, *, api: bool):
    cookies = client.cookies  # a sign-out (or any session change) must not carry over to the next request
    client.cookies = SimpleCookie(cookies)
    try:
        return _send(client, method, path, api=api)
    finally:
        client.cookies = cookies


def _send(client: Client, method: str, path: str, *, api: bool):
    with transaction.atomic():
        if method == "GET":
            response = client.get(path)
        elif api:
            response = client.generic(method, path, b"{}", content_type="application/json")
        else:
            response = client.generic(method, path, b"", content_type="application/x-www-form-urlencoded")
        transaction.set_rollback(True)
    return response


def _refused(response, *, api: bool, path: str) -> str | None:
    """``"login"``, ``"401"`` or ``"403"`` when the request was refused for who made it; None otherwise."""
    if response.status_code in (401, 403):
        return str(response.status_code)
    if response.status_code == 302 and not api:
        location = response["Location"]
        if location.startswith((reverse(settings.LOGIN_URL), "/admin/login/")):
            return "login"
    return None


def _expected(role: str, need: str, *, api: bool, public: bool) -> str | None:
    """What ``role`` should get where ``need`` is the least role allowed: None (served) or how it is refused."""
    if RANK[role] >= RANK[need]:
        return None
    if role == "anonymous" and not public:
        return "401" if api else "login"
    return "403"


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_the_table_says(role, clients, loopback_only) -> None:
    session, token = clients[role]
    routes = matrix.discover_routes()
    missing, wrong, errors = [], [], []
    for route in routes:
        entry = matrix.ROUTES.get(route.template)
        if entry is None:
            missing.append(route.template)
            continue
        for method in route.methods:
            need = entry.get(method)
            if need is None:
                missing.append(f"{method} {route.template}")
                continue
            least = matrix.CAPABILITIES[need].role
            path = route.path(real=method == "GET")
            response = _request(token if route.api else session, method, path, api=route.api)
            if response.status_code >= 500 and response.status_code not in matrix.NOT_ERRORS.get(route.template, ()):
                errors.append(f"{role} {method} {path} -> {response.status_code}")
                continue
            got = _refused(response, api=route.api, path=path)
            if least == "anonymous" and got == "login":
                got = None  # the sign-in flow itself (SSO when off, sign-out) sends people to the sign-in page
            want = _expected(role, least, api=route.api, public=least == "anonymous")
            if need == "django-admin" and want == "403":
                want = "login"  # Django's admin sends a signed-in user who is not staff to its sign-in page
            if got != want:
                wrong.append(
                    f"{role} {method} {path}: {got or response.status_code}, expected {want or 'served'} ({need})"
                )
    assert not missing, (
        "Routes or methods not in the role table: add each to ROUTES in tests/sre/role_matrix.py with the "
        "capability it needs (and, for a new capability, a row in CAPABILITIES and the README):\n  "
        + "\n  ".join(sorted(set(missing)))
    )
    assert not errors, "Server errors:\n  " + "\n  ".join(errors)
    assert not wrong, "Answers that differ from the role table:\n  " + "\n  ".join(wrong)
    assert not loopback_only, f"connected outside the machine: {loopback_only}"


def test_the_readme_states_the_role_table() -> None:
    """The README's role table is the one the matrix holds the code to (regenerate it with
    ``.venv/bin/python -m tests.sre.role_matrix``)."""
    readme = (settings.BASE_DIR / "README.md").read_text()
    table = matrix.render_capabilities()
    assert table in readme, (
        "README.md's role table differs from tests/sre/role_matrix.py: paste the output of "
        "`.venv/bin/python -m tests.sre.role_matrix` into the 'Roles and API tokens' section."
    )


def test_every_capability_is_used() -> None:
    used = {need for entry in matrix.ROUTES.values() for need in entry.values()}
    assert set(matrix.CAPABILITIES) == used, set(matrix.CAPABILITIES) ^ used


def test_the_table_has_no_route_the_urls_lack(db) -> None:
    templates = {route.template for route in matrix.discover_routes()}
    stale = sorted(set(matrix.ROUTES) - templates)
    assert not stale, f"Routes in the role table that no longer exist: {stale}"


@pytest.mark.skipif(not os.environ.get("ROLE_MATRIX_DISCOVER"), reason="writes the observed table; for maintainers")
def test_discover(clients, loopback_only) -> None:
    """``ROLE_MATRIX_DISCOVER=/tmp/observed.txt``: the least role each route and method serves, as observed."""
    lines = []
    for route in matrix.discover_routes():
        for method in route.methods:
            least = None
            for role in ROLES:
                session, token = clients[role]
                path = route.path(real=method == "GET")
                response = _request(token if route.api else session, method, path, api=route.api)
                if _refused(response, api=route.api, path=path) is None:
                    least = role
                    break
            lines.append(f"{route.template}\t{method}\t{least}")
    with open(os.environ["ROLE_MATRIX_DISCOVER"], "w") as out:
        out.write("\n".join(lines) + "\n")
