"""Bearer tokens (``Authorization: Bearer sre_…``) and browser sessions (with CSRF).

Looked-up tokens are cached per process for ``TOKEN_CACHE_SECONDS`` (keyed by a hash of the plaintext),
so a busy ingest client does not pay a database query per request. A revocation, an expiry or a role
change made through the app (services, admin, API) clears the cache of that process at once; in other
processes (other gunicorn workers) it takes effect within ``TOKEN_CACHE_SECONDS``. Expiry times are
re-checked on every request.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from sre.audit.services import audit_token_used
from sre.identity.token_throttle import token_failure_record, token_throttle_check
from sre.models import ApiToken
from sre.selectors import api_token_find
from sre.services import api_token_touch

TOKEN_CACHE_SECONDS = 5.0
_CACHE_MAX = 10_000
_cache: dict[bytes, tuple[float, Any]] = {}
_cache_lock = threading.Lock()
_clock = time.monotonic  # a seam for tests


def token_cache_clear(*_args: Any, **_kwargs: Any) -> None:
    """Forget every cached token (signal receiver: any token, user or group membership change)."""
    with _cache_lock:
        _cache.clear()


def connect_invalidation() -> None:
    """Clear the cache on any token, user or group-membership change (called from ``SreConfig.ready``)."""
    user_model = get_user_model()
    for model in (ApiToken, user_model):
        post_save.connect(token_cache_clear, sender=model, dispatch_uid=f"sre-token-cache-save-{model.__name__}")
        post_delete.connect(token_cache_clear, sender=model, dispatch_uid=f"sre-token-cache-del-{model.__name__}")
    m2m_changed.connect(token_cache_clear, sender=user_model.groups.through, dispatch_uid="sre-token-cache-groups")


def _lookup(raw: str, now) -> Any:
    """The live token for ``raw`` (from the cache when fresh), or None."""
    key = hashlib.blake2b(raw.encode("utf-8", "surrogatepass"), digest_size=20).digest()
    clock = _clock()
    entry = _cache.get(key)
    if entry is not None and entry[0] > clock:
        token = entry[1]
        if token.expires_at is not None and token.expires_at <= now:
            return None
        return token
    token = api_token_find(raw=raw, now=now)
    if token is not None:
        with _cache_lock:
            if len(_cache) >= _CACHE_MAX:
                _cache.clear()
            _cache[key] = (clock + TOKEN_CACHE_SECONDS, token)
    return token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _, raw = header.partition(" ")
        if keyword.lower() != self.keyword.lower():
            return None
        token_throttle_check(request)  # 429 while this address is blocked for bad tokens
        raw = raw.strip()
        if not raw or " " in raw:
            token_failure_record(request)
            raise exceptions.AuthenticationFailed("Malformed Authorization header; expected 'Bearer <token>'.")
        now = timezone.now()
        token = _lookup(raw, now)
        if token is None:
            token_failure_record(request)
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked API token.")
        api_token_touch(token=token, now=now)
        audit_token_used(token=token, user=token.user, now=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication (enforces CSRF on unsafe methods)."""
