"""Pure identity rules (no database): groups → role, the step a session owes, OIDC/identity settings from the
environment, the map reader and the client address behind proxies."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings

from sre.domain.identity import identity_next_step, otp_code_normalise, role_from_groups
from sre.env import Env, EnvError
from sre.identity.addresses import client_address
from sre.identity.conf import OIDC_BACKEND, identity_settings, identity_tunables

ROLE_MAP = {"sre-admins": "admin", "sre-oncall": "responder", "staff": "viewer"}


@pytest.mark.parametrize(
    ("groups", "role"),
    [
        (["sre-admins"], "admin"),
        (["staff", "sre-oncall"], "responder"),
        (["staff"], "viewer"),
        (["staff", "sre-admins", "sre-oncall"], "admin"),
        ("sre-oncall", "responder"),  # a single group sent as a string
        (["contractors"], None),
        ([], None),
        (None, None),  # claim missing
        ({"sre-admins": True}, None),  # not a list
        (42, None),
        ([["sre-admins"]], None),  # nested: not a name
        (["SRE-ADMINS"], None),  # names match exactly
    ],
)
def test_role_from_groups(groups: object, role: str | None) -> None:
    assert role_from_groups(groups=groups, role_map=ROLE_MAP) == role


def test_a_map_to_an_unknown_role_gives_nothing() -> None:
    assert role_from_groups(groups=["x"], role_map={"x": "superadmin"}) is None


@pytest.mark.parametrize(
    ("sso", "must_change", "device", "verified", "require", "step"),
    [
        (True, True, True, False, True, None),  # SSO: the provider does MFA and owns the password
        (False, False, False, False, False, None),
        (False, False, True, False, False, "verify"),
        (False, False, True, True, False, None),
        (False, True, True, False, False, "verify"),  # the second factor first
        (False, True, True, True, False, "password"),
        (False, True, False, False, True, "password"),  # then the password, then enrolment
        (False, False, False, False, True, "enrol"),
        (False, False, True, True, True, None),
    ],
)
def test_identity_next_step(sso, must_change, device, verified, require, step) -> None:
    got = identity_next_step(
        sso=sso, must_change_password=must_change, has_device=device, verified=verified, require_mfa=require
    )
    assert got == step


@pytest.mark.parametrize(("typed", "clean"), [(" 123 456 ", "123456"), ("ABCD-efgh", "abcdefgh"), ("", "")])
def test_otp_code_normalise(typed: str, clean: str) -> None:
    assert otp_code_normalise(typed) == clean


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("a=admin,b=viewer", {"a": "admin", "b": "viewer"}),
        (" a = admin , ", {"a": "admin"}),
        (
            "cn=sre,ou=groups=admin;cn=ops,ou=groups=responder",
            {"cn=sre,ou=groups": "admin", "cn=ops,ou=groups": "responder"},
        ),
    ],
)
def test_str_map(raw: str, parsed: dict[str, str]) -> None:
    assert Env({"M": raw}).str_map("M", values=("admin", "responder", "viewer")) == parsed


@pytest.mark.parametrize("raw", ["a", "a=", "=admin", "a=root"])
def test_str_map_refuses_malformed_pairs(raw: str) -> None:
    with pytest.raises(EnvError, match="M"):
        Env({"M": raw}).str_map("M", values=("admin", "responder", "viewer"))


def test_identity_defaults() -> None:
    settings = identity_settings(Env({}))
    assert settings["AXES_FAILURE_LIMIT"] == 5
    assert settings["AXES_COOLOFF_TIME"].total_seconds() == 15 * 60
    assert settings["AXES_LOCKOUT_PARAMETERS"] == ["username", "ip_address"]
    assert OIDC_BACKEND not in settings["AUTHENTICATION_BACKENDS"]
    assert "OIDC_RP_CLIENT_ID" not in settings
    tunables = identity_tunables(Env({}))
    assert tunables["LOCAL_LOGIN"] is True and tunables["REQUIRE_MFA"] is False
    assert tunables["OIDC_GROUPS_CLAIM"] == "groups" and tunables["OIDC_ROLE_MAP"] == {}


def test_identity_settings_from_the_environment() -> None:
    env = Env(
        {
            "SRE_LOGIN_FAILURE_LIMIT": "3",
            "SRE_LOGIN_COOLOFF_MINUTES": "60",
            "OIDC_RP_CLIENT_ID": "sre",
            "OIDC_RP_CLIENT_SECRET": "secret",
            "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://idp.test/auth",
            "OIDC_OP_TOKEN_ENDPOINT": "https://idp.test/token",
            "OIDC_OP_USER_ENDPOINT": "https://idp.test/userinfo",
            "OIDC_OP_JWKS_ENDPOINT": "https://idp.test/jwks",
            "OIDC_GROUPS_CLAIM": "roles",
            "OIDC_ROLE_MAP": "ops=admin",
        }
    )
    settings = identity_settings(env)
    assert settings["AXES_FAILURE_LIMIT"] == 3 and settings["AXES_COOLOFF_TIME"].total_seconds() == 3600
    assert settings["AUTHENTICATION_BACKENDS"][-1] == OIDC_BACKEND
    assert settings["OIDC_RP_SIGN_ALGO"] == "RS256"
    assert settings["OIDC_OP_TOKEN_ENDPOINT"] == "https://idp.test/token"
    assert settings["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["form-action"] == ["'self'", "https://idp.test"]
    assert identity_tunables(env)["OIDC_ROLE_MAP"] == {"ops": "admin"}


SSO = {"OIDC_RP_CLIENT_ID": "sre", "OIDC_RP_CLIENT_SECRET": "s"}
DISCOVERY = "https://idp.test/.well-known/openid-configuration"


@pytest.mark.parametrize(
    ("environ", "names"),
    [
        (SSO, "OIDC_OP_AUTHORIZATION_ENDPOINT"),  # neither discovery nor endpoints
        ({"OIDC_RP_CLIENT_ID": "sre", "OIDC_OP_DISCOVERY_URL": DISCOVERY}, "OIDC_RP_CLIENT_SECRET"),
        ({**SSO, "OIDC_OP_DISCOVERY_URL": "ftp://idp"}, "OIDC_OP_DISCOVERY_URL"),
        ({**SSO, "OIDC_OP_DISCOVERY_URL": DISCOVERY, "OIDC_RP_SIGN_ALGO": "none"}, "OIDC_RP_SIGN_ALGO"),
        ({"SRE_LOGIN_FAILURE_LIMIT": "0"}, "SRE_LOGIN_FAILURE_LIMIT"),
    ],
)
def test_incomplete_sso_configuration_stops_start_up(environ: dict[str, str], names: str) -> None:
    with pytest.raises(EnvError, match=names):
        identity_settings(Env(environ))


@pytest.mark.parametrize(
    ("proxies", "forwarded", "address"),
    [
        (0, "6.6.6.6", "10.0.0.9"),  # no proxy trusted: a client's header is ignored
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # the proxy appended the real client after a forged entry
        (2, "203.0.113.7, 10.0.0.2", "203.0.113.7"),
        (2, "10.0.0.2", "10.0.0.9"),  # fewer hops than proxies: not through them all
    ],
)
def test_client_address(proxies: int, forwarded: str, address: str) -> None:
    from django.conf import settings

    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(SRE={**settings.SRE, "PROXY_COUNT": proxies}):
        assert client_address(request) == address
