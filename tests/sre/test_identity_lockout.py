"""Sign-in lockout (django-axes) per username and per address, its message, and unlocking by an admin; bad bearer
tokens from one address are throttled with 429 and Retry-After."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client, override_settings

LOGIN = "/accounts/login/"
LIMIT = 5  # SRE_LOGIN_FAILURE_LIMIT's default


def _attempt(username: str, password: str, *, address: str = "10.0.0.1") -> object:
    return Client(REMOTE_ADDR=address).post(LOGIN, {"username": username, "password": password})


def test_a_username_is_locked_after_the_limit_from_any_address(make_user) -> None:
    user = make_user("viewer", username="alice")
    for n in range(LIMIT - 1):
        response = _attempt("alice", "wrong", address=f"10.0.1.{n}")
        assert response.status_code == 200  # the form again, with "wrong password"
    response = _attempt("alice", "wrong", address="10.0.1.99")
    assert response.status_code == 429
    body = response.content.decode()
    assert "Too many failed sign-ins; try again in 15 minutes or ask an admin." in body
    assert response["Retry-After"] == str(15 * 60)
    # The right password from a fresh address is refused while the username is locked.
    response = _attempt("alice", "pw-for-tests", address="10.9.9.9")
    assert response.status_code == 429
    assert "_auth_user_id" not in Client().session
    # Another user from that fresh address is not affected.
    make_user("viewer", username="bob")
    assert _attempt("bob", "pw-for-tests", address="10.9.9.9").status_code == 302
    assert user.pk


def test_an_address_is_locked_after_the_limit_for_any_usernames(make_user) -> None:
    make_user("viewer", username="carol")
    for n in range(LIMIT):
        _attempt(f"nobody{n}", "guess", address="10.0.2.1")
    # Correct credentials from the locked address are refused; from another address they work.
    response = _attempt("carol", "pw-for-tests", address="10.0.2.1")
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert _attempt("carol", "pw-for-tests", address="10.0.2.2").status_code == 302


@override_settings(AXES_FAILURE_LIMIT=2)
def test_the_limit_is_a_setting(make_user) -> None:
    make_user("viewer", username="dave")
    assert _attempt("dave", "x").status_code == 200
    locked = _attempt("dave", "x")
    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.content.decode()
    assert AccessAttempt.objects.get(username="dave").failures_since_start == 2


def test_a_successful_sign_in_below_the_limit_clears_the_count(make_user) -> None:
    make_user("viewer", username="erin")
    for _ in range(LIMIT - 1):
        _attempt("erin", "wrong")
    assert AccessAttempt.objects.get(username="erin").failures_since_start == LIMIT - 1
    assert _attempt("erin", "pw-for-tests").status_code == 302
    assert not AccessAttempt.objects.filter(username="erin").exists()  # the count is cleared
    for _ in range(LIMIT - 1):
        _attempt("erin", "wrong")
    assert _attempt("erin", "pw-for-tests").status_code == 302


def test_admin_unlocks_a_username_and_an_address_on_the_security_page(make_user, session_client) -> None:
    make_user("viewer", username="frank")
    for n in range(LIMIT):
        _attempt("frank", "wrong", address=f"10.0.3.{n}")
    for n in range(LIMIT):
        _attempt(f"ghost{n}", "wrong", address="10.0.4.4")
    assert _attempt("frank", "pw-for-tests", address="10.0.3.200").status_code == 429

    viewer = session_client("viewer")
    page = viewer.get("/settings/security/")
    assert "Locked sign-ins" not in page.content.decode()
    refused = viewer.post("/settings/security/", {"action": "unlock", "kind": "username", "value": "frank"})
    assert refused.status_code == 403

    admin = Client()
    admin.force_login(make_user("admin", username="root-admin"))
    html = admin.get("/settings/security/").content.decode()
    assert html.count('data-testid="lockout-row"') == 2
    assert "frank" in html and "10.0.4.4" in html
    response = admin.post("/settings/security/", {"action": "unlock", "kind": "username", "value": "frank"})
    assert response.status_code == 302
    assert _attempt("frank", "pw-for-tests", address="10.0.3.201").status_code == 302
    make_user("viewer", username="gina")
    assert _attempt("gina", "pw-for-tests", address="10.0.4.4").status_code == 429
    admin.post("/settings/security/", {"action": "unlock", "kind": "address", "value": "10.0.4.4"})
    assert _attempt("gina", "pw-for-tests", address="10.0.4.4").status_code == 302


def test_axes_reset_command_unlocks(make_user) -> None:
    make_user("viewer", username="hank")
    for _ in range(LIMIT):
        _attempt("hank", "wrong")
    assert AccessAttempt.objects.exists()
    call_command("axes_reset_username", "hank")
    assert _attempt("hank", "pw-for-tests", address="10.0.5.5").status_code == 302


def test_admin_site_sign_in_goes_through_the_same_page(make_user) -> None:
    client = Client()
    response = client.get("/admin/login/?next=/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")
    assert response.templates[0].name == "registration/login.html"
    make_user("admin", username="site-admin", is_staff=True)
    landed = client.post(
        response.redirect_chain[-1][0], {"username": "site-admin", "password": "pw-for-tests"}, follow=True
    )
    assert landed.redirect_chain[-1][0] == "/admin/"


# --- API tokens --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@override_settings(SRE={**__import__("django.conf").conf.settings.SRE, "TOKEN_FAILURE_LIMIT": 3})
def test_bad_bearer_tokens_from_one_address_are_throttled(token_client) -> None:
    from rest_framework.test import APIClient

    good = token_client("viewer", scopes=("read",))
    attacker = APIClient(REMOTE_ADDR="10.1.1.1")
    for n in range(3):
        attacker.credentials(HTTP_AUTHORIZATION=f"Bearer sre_guess{n}_nope")
        assert attacker.get("/api/v1/me").status_code == 401
    attacker.credentials(HTTP_AUTHORIZATION="Bearer sre_guess9_nope")
    response = attacker.get("/api/v1/me")
    assert response.status_code == 429
    assert 290 <= int(response["Retry-After"]) <= 300
    assert response.json()["error"]["code"] == "throttled"
    # Even a valid token from the blocked address waits; from another address it works.
    attacker.credentials(HTTP_AUTHORIZATION=f"Bearer {good.token}")
    assert attacker.get("/api/v1/me").status_code == 429
    other = APIClient(REMOTE_ADDR="10.1.1.2")
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {good.token}")
    assert other.get("/api/v1/me").status_code == 200


@pytest.mark.django_db
def test_valid_tokens_are_never_counted(token_client) -> None:
    client = token_client("viewer", scopes=("read",))
    for _ in range(30):
        response = client.get("/api/v1/me")
        assert response.status_code == 200 and response.json()["username"] == client.user.username
    assert not AccessAttempt.objects.exists()


def test_django_admin_action_unlocks_users(make_user) -> None:
    user = make_user("viewer", username="ivan")
    for _ in range(LIMIT):
        _attempt("ivan", "wrong", address="10.0.6.6")
    assert _attempt("ivan", "pw-for-tests", address="10.0.6.7").status_code == 429
    admin = Client()
    admin.force_login(make_user("admin", username="site-root", is_staff=True, is_superuser=True))
    response = admin.post("/admin/auth/user/", {"action": "unlock_sign_in", "_selected_action": [user.pk]}, follow=True)
    assert "Unlocked 1 user(s)" in response.content.decode()
    assert _attempt("ivan", "pw-for-tests", address="10.0.6.7").status_code == 302
