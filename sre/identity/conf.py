"""Django settings of the identity features, read from the environment in one place.

``sre/settings.py`` merges ``identity_settings(env)`` into its globals. Nothing here imports a model, so it is safe
to call while settings load. Single sign-on is off unless ``OIDC_RP_CLIENT_ID`` is set; then the provider's
endpoints come from ``OIDC_OP_DISCOVERY_URL`` (read when first needed) or from the explicit endpoint variables.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from sre.env import Env, EnvError

ROLE_NAMES = ("viewer", "responder", "admin")
OIDC_BACKEND = "sre.identity.oidc.RoleMappingOIDCBackend"
LOCAL_BACKEND = "sre.identity.backends.LocalPasswordBackend"
OIDC_ENDPOINTS = (
    "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT",
    "OIDC_OP_USER_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT",
)
_URL = ("http", "https")
# Inline <style> elements allowed by hash (never 'unsafe-inline'): the empty one Plotly adds and fills through the
# CSSOM (which CSP does not govern), and the MapLibre stylesheet that Plotly 2.35.3 injects (static/vendor/; a new
# Plotly changes it, and the Chromium CSP test, tests/sre/test_identity_csp.py, then names the new hash).
EMPTY_STYLE_HASH = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
PLOTLY_STYLE_HASH = "'sha256-gG0b4ixT/IQUp7JJLbyKcpYcYDjq2Wp8NGv3f+aasqo='"


def identity_settings(env: Env) -> dict[str, Any]:
    """Every Django setting the identity features need (AXES_*, OIDC_*, CONTENT_SECURITY_POLICY, backends)."""
    failure_limit = env.int("SRE_LOGIN_FAILURE_LIMIT", 5, minimum=1)
    cooloff_minutes = env.int("SRE_LOGIN_COOLOFF_MINUTES", 15, minimum=1)
    oidc = oidc_settings(env)
    backends = ["sre.identity.backends.LockoutBackend", LOCAL_BACKEND]
    if oidc:
        backends.append(OIDC_BACKEND)
    return {
        "AUTHENTICATION_BACKENDS": backends,
        # Lock a username after N failures from anywhere, and an address after N failures for any usernames;
        # each failure while locked restarts the cool-off. Failures are in the database (shared by all nodes).
        "AXES_FAILURE_LIMIT": failure_limit,
        "AXES_COOLOFF_TIME": dt.timedelta(minutes=cooloff_minutes),
        "AXES_LOCKOUT_PARAMETERS": ["username", "ip_address"],
        "AXES_LOCKOUT_CALLABLE": "sre.identity.lockout.lockout_response",
        "AXES_CLIENT_IP_CALLABLE": "sre.identity.addresses.client_address",
        "AXES_RESET_ON_SUCCESS": True,
        # Successful sign-ins are in the audit trail; axes' own access log would only repeat them (and a sign-in
        # made without a request address, as Django's force_login does, broke its IP column on PostgreSQL).
        "AXES_DISABLE_ACCESS_LOG": True,
        "AXES_VERBOSE": False,
        **oidc,
        "CONTENT_SECURITY_POLICY": content_security_policy(form_origins=oidc_origins(oidc)),
        "OTP_TOTP_ISSUER": env.str("SRE_MFA_ISSUER", "SRE control plane"),
    }


def identity_tunables(env: Env) -> dict[str, Any]:
    """Entries of the ``SRE`` dict (documented in README, "Sign-in and identity")."""
    return {
        # False hides the password form and refuses password sign-in, except superusers on the break-glass form
        # (/accounts/login/?break-glass=1); SSO must then be configured.
        "LOCAL_LOGIN": env.bool("SRE_LOCAL_LOGIN", default=True),
        # True: local (password) sign-ins need a TOTP device; users without one enrol before anything else.
        "REQUIRE_MFA": env.bool("SRE_REQUIRE_MFA", default=False),
        "LOGIN_COOLOFF_MINUTES": env.int("SRE_LOGIN_COOLOFF_MINUTES", 15, minimum=1),
        # Bad bearer tokens from one address: this many within the window, then 429 for the window's rest.
        "TOKEN_FAILURE_LIMIT": env.int("SRE_TOKEN_FAILURE_LIMIT", 20, minimum=1),
        "TOKEN_FAILURE_WINDOW": env.int("SRE_TOKEN_FAILURE_WINDOW", 300, minimum=1),
        # Reverse proxies in front of the app that append to X-Forwarded-For (0: use the socket's address).
        "PROXY_COUNT": env.int("SRE_PROXY_COUNT", 0, minimum=0, maximum=10),
        "OIDC_GROUPS_CLAIM": env.str("OIDC_GROUPS_CLAIM", "groups"),
        "OIDC_ROLE_MAP": env.str_map("OIDC_ROLE_MAP", values=ROLE_NAMES),
    }


def oidc_settings(env: Env) -> dict[str, Any]:
    """mozilla-django-oidc's settings, or ``{}`` when ``OIDC_RP_CLIENT_ID`` is unset (SSO off)."""
    client_id = env.optional_str("OIDC_RP_CLIENT_ID")
    if client_id is None:
        return {}
    discovery = env.url("OIDC_OP_DISCOVERY_URL", schemes=_URL)
    endpoints = {name: env.url(name, schemes=_URL) for name in OIDC_ENDPOINTS}
    algo = env.choice("OIDC_RP_SIGN_ALGO", ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "HS256"), "RS256")
    needed = [n for n in OIDC_ENDPOINTS if not endpoints[n] and (n != "OIDC_OP_JWKS_ENDPOINT" or algo != "HS256")]
    if discovery is None and needed:
        raise EnvError(needed[0], "a URL (or set OIDC_OP_DISCOVERY_URL) because OIDC_RP_CLIENT_ID is set")
    result: dict[str, Any] = {
        "OIDC_RP_CLIENT_ID": client_id,
        "OIDC_RP_CLIENT_SECRET": env.str(
            "OIDC_RP_CLIENT_SECRET", expected="the client secret (OIDC_RP_CLIENT_ID is set)"
        ),
        "OIDC_RP_SIGN_ALGO": algo,
        "OIDC_RP_SCOPES": env.str("OIDC_RP_SCOPES", "openid email profile"),
        "OIDC_OP_DISCOVERY_URL": discovery,
        "OIDC_USE_PKCE": True,
        "OIDC_TIMEOUT": env.float("OIDC_TIMEOUT", 10.0, minimum=0.1),
        "OIDC_VERIFY_SSL": env.bool("OIDC_VERIFY_SSL", default=True),
        "LOGIN_REDIRECT_URL_FAILURE": "/accounts/login/?sso=failed",
    }
    # Explicit endpoints win over discovery; unset ones are looked up in the discovery document when needed.
    result.update({name: value for name, value in endpoints.items() if value})
    return result


def oidc_origins(oidc: dict[str, Any]) -> list[str]:
    """Origins of the provider (forms and redirects may go there)."""
    origins: list[str] = []
    for key in ("OIDC_OP_DISCOVERY_URL", "OIDC_OP_AUTHORIZATION_ENDPOINT"):
        url = oidc.get(key)
        if url:
            parts = urlsplit(url)
            origin = f"{parts.scheme}://{parts.netloc}"
            if origin not in origins:
                origins.append(origin)
    return origins


def content_security_policy(*, form_origins: list[str]) -> dict[str, Any]:
    """django-csp 4 format. No inline script or style anywhere (pages that need more use csp decorators)."""
    return {
        "DIRECTIVES": {
            "default-src": ["'self'"],
            "script-src": ["'self'"],
            "style-src": ["'self'", EMPTY_STYLE_HASH, PLOTLY_STYLE_HASH],
            "img-src": ["'self'", "data:"],
            "font-src": ["'self'"],
            "connect-src": ["'self'"],
            "object-src": ["'none'"],
            "base-uri": ["'self'"],
            "frame-ancestors": ["'none'"],
            "form-action": ["'self'", *form_origins],
        },
    }
