"""HTML pages of the shell: roles, Overview, Settings (token management with confirmation)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from sre.models import ApiToken

NAV_PAGES = ["/", "/slos/", "/alerts/", "/incidents/", "/statuspage/", "/drills/", "/logs/", "/settings/"]


@pytest.mark.parametrize("role", ["viewer", "responder", "admin"])
def test_every_role_opens_every_navigation_page(session_client, role: str) -> None:
    client = session_client(role)
    for path in NAV_PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert f'data-testid="role">{role}<' in html
        assert 'aria-current="page"' in html, path


def test_user_without_role_is_refused(session_client) -> None:
    client = session_client("viewer")
    client.user.groups.clear()
    response = client.get("/")
    assert response.status_code == 403
    assert "viewer role" in response.content.decode()


def test_login_page_and_wrong_password(make_user) -> None:
    make_user("viewer", username="alice")
    client = Client()
    response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 200 and "correct username and password" in response.content.decode()
    response = client.post("/accounts/login/", {"username": "alice", "password": "pw-for-tests"})
    assert response.status_code == 302 and response["Location"] == "/"


def _csrf(client: Client, path: str) -> str:
    html = client.get(path).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_settings_creates_token_shown_once_and_validates_fields(session_client) -> None:
    client = session_client("viewer")
    token = _csrf(client, "/settings/")
    response = client.post("/settings/", {"csrfmiddlewaretoken": token, "name": "", "scopes": ["bogus"]})
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html and "Select a valid choice" in html
    response = client.post("/settings/", {"csrfmiddlewaretoken": token, "name": "remote-write", "scopes": ["ingest"]})
    html = response.content.decode()
    shown = re.search(r'value="(sre_[a-z0-9]{10}_[^"]+)"', html).group(1)
    created = ApiToken.objects.get(name="remote-write")
    assert created.prefix in shown and created.user == client.user
    assert shown not in client.get("/settings/").content.decode()  # never shown again


def test_post_without_csrf_is_rejected(session_client) -> None:
    client = session_client("viewer")
    assert client.post("/settings/", {"name": "x", "scopes": ["read"]}).status_code == 403


def test_revoke_asks_for_confirmation_and_others_cannot_revoke(session_client) -> None:
    owner = session_client("viewer")
    token = _csrf(owner, "/settings/")
    owner.post("/settings/", {"csrfmiddlewaretoken": token, "name": "ci", "scopes": ["read"]})
    api_token = ApiToken.objects.get(name="ci")
    page = owner.get(f"/settings/tokens/{api_token.pk}/revoke/")
    assert page.status_code == 200 and "cannot be undone" in page.content.decode()
    stranger = session_client("responder")
    assert stranger.get(f"/settings/tokens/{api_token.pk}/revoke/").status_code == 404
    response = owner.post(f"/settings/tokens/{api_token.pk}/revoke/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    api_token.refresh_from_db()
    assert api_token.revoked_at is not None


def test_admin_sees_every_users_tokens(session_client) -> None:
    viewer = session_client("viewer")
    viewer.post(
        "/settings/", {"csrfmiddlewaretoken": _csrf(viewer, "/settings/"), "name": "v-token", "scopes": ["read"]}
    )
    admin = session_client("admin")
    assert "v-token" in admin.get("/settings/").content.decode()
    assert "v-token" not in session_client("responder").get("/settings/").content.decode()


@pytest.mark.django_db
def test_settings_page_has_a_query_bound_with_many_tokens(session_client, django_assert_max_num_queries):
    from django.utils import timezone

    from sre.services import api_token_create

    client = session_client("admin")
    for n in range(30):  # an admin sees every user's tokens: a query per token's user would show
        api_token_create(user=client.user, name=f"t{n}", scopes=["read"], expires_at=None, now=timezone.now())
    with django_assert_max_num_queries(14):
        html = client.get("/settings/").content.decode()
    assert html.count('class="button danger small"') == 30 and "t29" in html
