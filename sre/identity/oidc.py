"""Single sign-on with OpenID Connect (mozilla-django-oidc), configured only by environment (``sre.identity.conf``).

The provider's endpoints are the explicit ``OIDC_OP_*_ENDPOINT`` settings, or else read from
``OIDC_OP_DISCOVERY_URL`` when first needed (kept for ``DISCOVERY_TTL`` seconds per process), so neither start-up
nor a signed-in user's requests depend on the provider answering.

On every SSO sign-in the groups claim (``OIDC_GROUPS_CLAIM``) is mapped through ``OIDC_ROLE_MAP`` to one role; a
missing claim or unmapped groups mean no role. Accounts are found by the provider's subject once linked, else by
``preferred_username`` (or email); a superuser account is never taken over by SSO (it stays the break-glass way
in), and an account linked to one subject refuses another.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from sre.auth.roles import user_with_role
from sre.choices import Role
from sre.domain.identity import role_from_groups
from sre.models import AccountSecurity
from sre.services import user_set_role

log = logging.getLogger(__name__)

DISCOVERY_TTL = 3600.0
# Our setting name → the discovery document's key.
DISCOVERY_KEYS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
_discovered: dict[str, tuple[float, dict[str, Any]]] = {}
_discovery_lock = threading.Lock()


class DiscoveryError(ImproperlyConfigured):
    """The discovery document could not be read or lacks an endpoint."""


def sso_enabled() -> bool:
    return bool(getattr(settings, "OIDC_RP_CLIENT_ID", None))


def discovery_document(url: str) -> dict[str, Any]:
    """The provider's ``.well-known/openid-configuration`` (cached per process)."""
    now = time.monotonic()
    with _discovery_lock:
        cached = _discovered.get(url)
        if cached and cached[0] > now:
            return cached[1]
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT, verify=settings.OIDC_VERIFY_SSL)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise DiscoveryError(f"OIDC discovery document {url} could not be read: {exc}") from exc
    if not isinstance(document, dict):
        raise DiscoveryError(f"OIDC discovery document {url} is not a JSON object")
    with _discovery_lock:
        _discovered[url] = (now + DISCOVERY_TTL, document)
    return document


def oidc_setting(attr: str, *args: Any) -> Any:
    """A mozilla-django-oidc setting; an endpoint not set explicitly comes from the discovery document."""
    value = getattr(settings, attr, None)
    if value is None and attr in DISCOVERY_KEYS and getattr(settings, "OIDC_OP_DISCOVERY_URL", None):
        value = discovery_document(settings.OIDC_OP_DISCOVERY_URL).get(DISCOVERY_KEYS[attr])
        if not value and not args:
            raise DiscoveryError(f"the OIDC discovery document has no {DISCOVERY_KEYS[attr]}")
    if value is None:
        return import_from_settings(attr, *args)
    return value


class RoleMappingOIDCBackend(OIDCAuthenticationBackend):
    """Signs in with the authorization-code flow and maps the groups claim to our role on every sign-in."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The parent reads every endpoint here; Django builds a backend for each request of an SSO session, which
        # must not wait for discovery. Endpoints are read when a sign-in needs them (properties below).
        self.UserModel = get_user_model()

    get_settings = staticmethod(oidc_setting)

    def get_user(self, user_id: Any) -> Any:
        """The session's user with their role (one query, not two)."""
        return user_with_role(user_id)

    OIDC_OP_TOKEN_ENDPOINT = property(lambda self: oidc_setting("OIDC_OP_TOKEN_ENDPOINT"))
    OIDC_OP_USER_ENDPOINT = property(lambda self: oidc_setting("OIDC_OP_USER_ENDPOINT"))
    OIDC_OP_JWKS_ENDPOINT = property(lambda self: oidc_setting("OIDC_OP_JWKS_ENDPOINT", None))
    OIDC_RP_CLIENT_ID = property(lambda self: settings.OIDC_RP_CLIENT_ID)
    OIDC_RP_CLIENT_SECRET = property(lambda self: settings.OIDC_RP_CLIENT_SECRET)
    OIDC_RP_SIGN_ALGO = property(lambda self: settings.OIDC_RP_SIGN_ALGO)
    OIDC_RP_IDP_SIGN_KEY = property(lambda self: getattr(settings, "OIDC_RP_IDP_SIGN_KEY", None))

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        if request is None or not sso_enabled():
            return None
        return super().authenticate(request, **kwargs)

    def verify_token(self, token: str, **kwargs: Any) -> Any:
        payload = super().verify_token(token, **kwargs)
        # mozilla-django-oidc skips the audience; an ID token must name us (a userinfo JWT carries no nonce).
        if "nonce" in kwargs and isinstance(payload, dict):
            audience = payload.get("aud")
            audiences = audience if isinstance(audience, list) else [audience]
            if settings.OIDC_RP_CLIENT_ID not in audiences:
                raise SuspiciousOperation("ID token audience does not include this client")
        return payload

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(claims.get("sub")) and bool(_username(claims))

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        subject = self._subject(claims)
        linked = self.UserModel.objects.filter(account_security__oidc_subject=subject)
        if linked.exists():
            return linked
        return self.UserModel.objects.filter(username=_username(claims))

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        with transaction.atomic():
            user = super().get_or_create_user(access_token, id_token, payload)
            if user is not None:
                self._sync(user, self._claims)
        return user

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> dict[str, Any]:
        claims = dict(payload)
        claims.update(super().get_userinfo(access_token, id_token, payload))
        claims["iss"] = payload.get("iss", "")  # the verified ID token's issuer, not a userinfo field
        if claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("userinfo subject differs from the ID token's")
        self._claims = claims
        return claims

    def create_user(self, claims: dict[str, Any]) -> Any:
        user = self.UserModel(username=_username(claims), email=claims.get("email") or "")
        user.set_unusable_password()
        user.save()
        log.info("SSO created user %s (%s)", user.pk, user.username)
        return user

    def update_user(self, user: Any, claims: dict[str, Any]) -> Any:
        return user

    def _subject(self, claims: dict[str, Any]) -> str:
        return f"{claims.get('iss', '')} {claims['sub']}"

    def _sync(self, user: Any, claims: dict[str, Any]) -> None:
        """Link the account to the subject, refresh the email and set the role from the groups claim."""
        subject = self._subject(claims)
        security, _ = AccountSecurity.objects.select_for_update().get_or_create(user=user)
        if security.oidc_subject and security.oidc_subject != subject:
            raise SuspiciousOperation(f"account {user.pk} is linked to another SSO identity")
        if user.is_superuser:
            raise SuspiciousOperation(f"SSO refused for superuser account {user.pk} (local break-glass account)")
        if security.oidc_subject != subject:
            security.oidc_subject = subject
            security.save(update_fields=["oidc_subject"])
        email = claims.get("email")
        if isinstance(email, str) and email and email != user.email:
            user.email = email
            user.save(update_fields=["email"])
        role = role_from_groups(
            groups=claims.get(settings.SRE["OIDC_GROUPS_CLAIM"]), role_map=settings.SRE["OIDC_ROLE_MAP"]
        )
        user_set_role(user=user, role=Role(role) if role else None)
        log.info("SSO sign-in of user %s: role %s", user.pk, role or "none")


def _username(claims: dict[str, Any]) -> str:
    for key in ("preferred_username", "email"):
        value = claims.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:150]
    return ""


class AuthenticationRequestView(OIDCAuthenticationRequestView):
    """Redirects to the provider; reads endpoints through discovery and says so on the sign-in page if it fails."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.OIDC_RP_CLIENT_ID = getattr(settings, "OIDC_RP_CLIENT_ID", None)
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            return redirect("login")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except DiscoveryError as exc:
            log.warning("SSO unavailable: %s", exc)
            messages.error(request, "Single sign-on is unavailable: the identity provider could not be reached.")
            return redirect("login")
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    """The provider's redirect back; a failed sign-in lands on the sign-in page with a message."""

    get_settings = staticmethod(oidc_setting)

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            return super().get(request)
        except (DiscoveryError, requests.RequestException, SuspiciousOperation) as exc:
            log.warning("SSO callback failed: %s", exc)
            return self.login_failure()

    @property
    def failure_url(self) -> str:
        return reverse("login") + "?sso=failed"
