"""Root fixtures: users per role, API clients with tokens. App fixtures live in tests/<app>/conftest.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from sre.choices import Role
from sre.services import api_token_create, user_set_role
from tests.sre.factories import UserFactory
from tests.support import pgflush


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    pgflush.install()  # transactional tests on PostgreSQL: DELETE instead of a 0.6-1 s TRUNCATE of every table


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: throttles and failure counters (e.g. bad bearer tokens from 127.0.0.1)
    must not carry over from one test to the next."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def make_user(db) -> Callable[..., object]:
    def make(role: Role | str | None = Role.VIEWER, **kwargs: object):
        user = UserFactory(**kwargs)
        user_set_role(user=user, role=Role(role) if role else None)
        return user

    return make


@pytest.fixture
def token_client(make_user) -> Callable[..., APIClient]:
    """``token_client(role="admin", scopes=["read", "write"])``: an APIClient sending a bearer token."""

    def make(role: Role | str = Role.ADMIN, scopes: tuple[str, ...] = ("read", "write")) -> APIClient:
        user = make_user(role)
        _, plaintext = api_token_create(
            user=user, name="test", scopes=list(scopes), expires_at=None, now=timezone.now()
        )
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        client.user = user
        client.token = plaintext
        return client

    return make


@pytest.fixture
def session_client(make_user):
    """``session_client(role)``: a logged-in Django test client (CSRF checks enforced)."""
    from django.test import Client

    def make(role: Role | str = Role.ADMIN) -> Client:
        user = make_user(role)
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        client.user = user
        return client

    return make


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium (Playwright) shared by the tests of one module."""
    from tests.support.browser import chromium

    with chromium() as launched:
        yield launched
