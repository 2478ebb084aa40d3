"""Single sign-on end to end: a real OpenID provider (django-oidc-provider, tests/support/oidc_provider) runs as its
own gunicorn process on loopback with its own database and RSA key; the authorization-code flow is driven by a real
HTTP client and by Chromium against our app on a live server, with the provider's groups mapped to our roles."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.contrib.auth import get_user_model

from sre.auth.roles import user_role
from sre.env import Env
from sre.identity.conf import identity_settings, identity_tunables
from sre.models import AccountSecurity
from tests.support.servers import free_port, port_open, stop_process, unavailable, wait_for

REPO = Path(__file__).resolve().parents[2]
CLIENT_ID = "sre-control-plane"
CLIENT_SECRET = "client-secret-for-tests"
IDP_PASSWORD = "idp-pass-for-tests"
ROLE_MAP = "sre-admins=admin,sre-oncall=responder,staff=viewer"

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def provider(live_server, tmp_path_factory) -> Iterator[str]:
    """The provider's base URL (http://127.0.0.1:PORT; our app is on http://localhost:… so cookies stay apart)."""
    try:
        import oidc_provider  # noqa: F401
    except ImportError:
        unavailable("django-oidc-provider is not installed (requirements-dev.txt)")
    folder = tmp_path_factory.mktemp("idp")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "OIDC_PROVIDER_DB": str(folder / "idp.sqlite3"), "OIDC_PROVIDER_URL": url}
    env["DJANGO_SETTINGS_MODULE"] = "tests.support.oidc_provider.settings"
    bootstrap = [sys.executable, "-m", "tests.support.oidc_provider.bootstrap"]
    subprocess.run(
        [*bootstrap, live_server.url + "/oidc/callback/", CLIENT_ID, CLIENT_SECRET], cwd=REPO, env=env, check=True
    )
    log = open(folder / "gunicorn.log", "wb")  # noqa: SIM115
    gunicorn = [sys.executable, "-m", "gunicorn", "tests.support.oidc_provider.wsgi:application"]
    process = subprocess.Popen(
        [*gunicorn, "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4", "--access-logfile", "-"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: port_open("127.0.0.1", port), timeout=30, what="the OIDC provider to listen")
        yield url
    finally:
        stop_process(process)
        log.close()


@pytest.fixture
def sso(provider, settings):
    """Our app configured as a real deployment would be, from environment variables only."""
    env = Env(
        {
            "OIDC_RP_CLIENT_ID": CLIENT_ID,
            "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_OP_DISCOVERY_URL": provider + "/openid/.well-known/openid-configuration",
            "OIDC_RP_SCOPES": "openid email profile groups",
            "OIDC_ROLE_MAP": ROLE_MAP,
        }
    )
    for key, value in identity_settings(env).items():
        setattr(settings, key, value)
    settings.SRE = {**settings.SRE, **identity_tunables(env)}
    return provider


def _sso_sign_in(base: str, username: str) -> tuple[requests.Session, requests.Response]:
    """Click "Sign in with single sign-on", sign in at the provider, follow it back; return the final page."""
    session = requests.Session()
    login = session.get(base + "/accounts/login/", timeout=10)
    href = re.search(r'href="([^"]+)" data-testid="sso-button"', login.text).group(1)
    at_provider = session.get(base + href.replace("&amp;", "&"), timeout=10)
    assert "Test identity provider" in at_provider.text, at_provider.url
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', at_provider.text).group(1)
    nxt = re.search(r'name="next" value="([^"]*)"', at_provider.text).group(1).replace("&amp;", "&")
    landed = session.post(
        at_provider.url,
        data={"csrfmiddlewaretoken": token, "username": username, "password": IDP_PASSWORD, "next": nxt},
        headers={"Referer": at_provider.url},
        timeout=20,
    )
    return session, landed


@pytest.mark.parametrize(
    ("username", "role"),
    [("alice", "admin"), ("bob", "responder"), ("carol", "viewer"), ("dan", None), ("no-groups-claim", None)],
)
def test_sso_sign_in_maps_groups_to_roles(sso, live_server, username: str, role: str | None) -> None:
    base = live_server.url
    session, landed = _sso_sign_in(base, username)
    user = get_user_model().objects.get(username=username)
    assert user_role(user) == role
    assert user.email == f"{username}@idp.example.test"
    assert not user.has_usable_password()
    assert AccountSecurity.objects.get(user=user).oidc_subject.startswith(sso + "/openid ")
    if role is None:
        assert landed.status_code == 403  # signed in, but no role: the Overview refuses
    else:
        assert landed.url == base + "/" and landed.status_code == 200
        assert f'data-testid="role">{role}<' in landed.text
        assert session.get(base + "/api/v1/me", timeout=10).json()["role"] == role


def test_role_follows_the_provider_on_every_sign_in(sso, live_server, make_user) -> None:
    # A local account with the same name was an admin here; SSO links it and the provider's groups now decide.
    make_user("admin", username="carol")
    _sso_sign_in(live_server.url, "carol")
    assert user_role(get_user_model().objects.get(username="carol")) == "viewer"


def test_missing_groups_claim_never_keeps_or_grants_a_role(sso, live_server, make_user) -> None:
    make_user("responder", username="no-groups-claim")
    _sso_sign_in(live_server.url, "no-groups-claim")
    assert user_role(get_user_model().objects.get(username="no-groups-claim")) is None


def test_sso_never_takes_over_a_superuser(sso, live_server, make_user) -> None:
    make_user("admin", username="admin", is_superuser=True)
    _, landed = _sso_sign_in(live_server.url, "admin")
    assert landed.url.startswith(live_server.url + "/accounts/login/?sso=failed")
    assert 'data-testid="sso-failed"' in landed.text
    assert not AccountSecurity.objects.filter(user__username="admin").exclude(oidc_subject="").exists()


def test_sso_sessions_are_not_asked_for_mfa(sso, live_server, settings) -> None:
    settings.SRE = {**settings.SRE, "REQUIRE_MFA": True}
    _, landed = _sso_sign_in(live_server.url, "bob")
    assert landed.url == live_server.url + "/"
    assert landed.status_code == 200


def test_local_login_off_hides_the_form_and_refuses_passwords(sso, live_server, settings, make_user) -> None:
    settings.SRE = {**settings.SRE, "LOCAL_LOGIN": False}
    make_user("viewer", username="local-vic")
    make_user("admin", username="glass", is_superuser=True)
    session = requests.Session()
    page = session.get(live_server.url + "/accounts/login/", timeout=10).text
    assert 'data-testid="sso-button"' in page and 'id="id_password"' not in page

    def post(username: str) -> requests.Response:
        form = session.get(live_server.url + "/accounts/login/?break-glass=1", timeout=10).text
        assert 'id="id_password"' in form
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        return session.post(
            live_server.url + "/accounts/login/?break-glass=1",
            data={"csrfmiddlewaretoken": token, "username": username, "password": "pw-for-tests"},
            headers={"Referer": live_server.url + "/accounts/login/"},
            timeout=10,
        )

    assert "Please enter a correct username and password" in post("local-vic").text
    assert post("glass").url == live_server.url + "/"  # break-glass: a superuser may still use a password


def test_sso_in_chromium(sso, live_server, browser) -> None:
    base = live_server.url
    context = browser.new_context()
    context.add_init_script(
        "window.__csp=[];document.addEventListener('securitypolicyviolation',e=>window.__csp.push(e.violatedDirective))"
    )
    page = context.new_page()
    try:
        page.goto(base + "/alerts/")
        page.get_by_test_id("sso-button").click()
        page.wait_for_url(sso + "/accounts/login/**")
        page.fill("#idp-username", "rosa")
        page.fill("#idp-password", IDP_PASSWORD)
        page.click("#idp-submit")
        page.wait_for_url(base + "/alerts/")  # back where the user started
        assert page.get_by_test_id("role").text_content().strip() == "responder"
        assert page.evaluate("window.__csp") == []
    finally:
        context.close()


def test_unreachable_provider_is_said_on_the_sign_in_page(settings, db) -> None:
    from django.test import Client

    env = Env(
        {
            "OIDC_RP_CLIENT_ID": CLIENT_ID,
            "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_OP_DISCOVERY_URL": f"http://127.0.0.1:{free_port()}/.well-known/openid-configuration",
        }
    )
    for key, value in identity_settings(env).items():
        setattr(settings, key, value)
    client = Client()
    response = client.get("/oidc/authenticate/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert "Single sign-on is unavailable" in response.content.decode()
    assert 'data-testid="sso-button"' in response.content.decode()
