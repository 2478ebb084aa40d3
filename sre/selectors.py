"""Reads for the project package."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db.models import QuerySet

from sre.auth.roles import user_role
from sre.domain.tokens import token_matches, token_prefix
from sre.models import ApiToken, Heartbeat


def api_token_find(*, raw: str, now: dt.datetime) -> ApiToken | None:
    """The live token whose plaintext is ``raw`` (not revoked, not expired, active user), else ``None``."""
    prefix = token_prefix(raw)
    if prefix is None:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not token_matches(raw=raw, digest=token.digest):
        return None
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if not token.user.is_active:
        return None
    return token


def api_token_list(*, user: AbstractBaseUser) -> QuerySet[ApiToken]:
    """Tokens a user may see: their own; admins see everyone's."""
    tokens = ApiToken.objects.select_related("user")
    if user_role(user) == "admin":
        return tokens.all()
    return tokens.filter(user=user)


def heartbeat_get(*, name: str = "worker") -> Heartbeat | None:
    return Heartbeat.objects.filter(name=name).first()


HEARTBEAT_SHELL_SECONDS = 2  # the shell's banner reads the beat through the cache this long (the beat is every 30 s)


def heartbeat_seen_at(*, name: str = "worker") -> dt.datetime | None:
    """When background work last beat, as every page's shell shows it: read through the Django cache for
    ``HEARTBEAT_SHELL_SECONDS``, so the pages under load do not each ask the database (the banner appears after
    ``HEARTBEAT_MAX_AGE`` = minutes; two seconds more change nothing)."""
    key = f"sre:heartbeat-seen:{name}"
    found = cache.get(key)
    if found is not None:
        return found[0]
    seen = getattr(heartbeat_get(name=name), "last_seen_at", None)
    cache.set(key, (seen,), HEARTBEAT_SHELL_SECONDS)
    return seen
