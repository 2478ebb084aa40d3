"""Writes for the project package: API tokens, heartbeats, role groups and the bootstrap admin."""

from __future__ import annotations

import datetime as dt
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.db.models import F

from sre.audit.context import m2m_muted
from sre.audit.services import audit_role_change
from sre.choices import Role, TokenScope
from sre.domain.roles import highest_role
from sre.domain.tokens import token_generate
from sre.errors import ConflictError, ForbiddenError, InvalidInputError
from sre.identity.services import password_change_require
from sre.models import ApiToken, Heartbeat

# Only write ``last_used_at`` when it is older than this, so a busy token does not write on every request.
_LAST_USED_RESOLUTION = dt.timedelta(seconds=60)


def api_token_create(
    *,
    user: User,
    name: str,
    scopes: list[str],
    expires_at: dt.datetime | None,
    now: dt.datetime,
    parent: ApiToken | None = None,
) -> tuple[ApiToken, str]:
    """Create a token and return it with its plaintext, which is never stored and cannot be shown again.

    ``parent`` is the token the request came with, if any: a token never grants more than itself, so the
    new token's scopes must be a subset of the parent's and it may not outlive it (``ForbiddenError``).
    """
    name = name.strip()
    if not name:
        raise InvalidInputError("A token needs a name.", fields={"name": ["This field may not be blank."]})
    unknown = sorted(set(scopes) - set(TokenScope.values))
    if unknown or not scopes:
        message = f"Unknown scope(s): {', '.join(unknown)}." if unknown else "Choose at least one scope."
        raise InvalidInputError(message, fields={"scopes": [message + f" Valid: {', '.join(TokenScope.values)}."]})
    if expires_at is not None and expires_at <= now:
        raise InvalidInputError("The expiry must be in the future.", fields={"expires_at": ["Must be in the future."]})
    if parent is not None:
        _token_within_parent(parent=parent, scopes=scopes, expires_at=expires_at)
    for _ in range(5):
        new = token_generate()
        if not ApiToken.objects.filter(prefix=new.prefix).exists():
            break
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=new.prefix,
        digest=new.digest,
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
    )
    return token, new.plaintext


def _token_within_parent(*, parent: ApiToken, scopes: list[str], expires_at: dt.datetime | None) -> None:
    extra = sorted(set(scopes) - set(parent.scopes))
    if extra:
        message = f"This token cannot grant scope(s) it does not have: {', '.join(extra)}."
        raise ForbiddenError(message, fields={"scopes": [message + f" It has: {', '.join(parent.scopes)}."]})
    if parent.expires_at is not None and (expires_at is None or expires_at > parent.expires_at):
        limit = parent.expires_at.isoformat()
        message = f"This token expires at {limit}; a token it creates must expire no later."
        raise ForbiddenError(message, fields={"expires_at": [f"Required, and no later than {limit}."]})


def api_token_revoke(*, token: ApiToken, now: dt.datetime) -> ApiToken:
    """Revoke a token; revoking twice is a conflict so the caller learns it was already dead."""
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            raise ConflictError("This token is already revoked.")
        locked.revoked_at = now
        locked.save(update_fields=["revoked_at"])
    return locked


def api_token_touch(*, token: ApiToken, now: dt.datetime) -> None:
    """Record use, at most once a minute per token."""
    if token.last_used_at is None or now - token.last_used_at >= _LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def heartbeat_record(*, name: str, hostname: str, now: dt.datetime) -> None:
    """Upsert the heartbeat row ``name``; safe to run twice."""
    updated = Heartbeat.objects.filter(name=name).update(last_seen_at=now, hostname=hostname, beats=F("beats") + 1)
    if not updated:
        Heartbeat.objects.get_or_create(name=name, defaults={"last_seen_at": now, "hostname": hostname, "beats": 1})


def role_groups_ensure() -> None:
    """The three role groups exist (also created by a data migration)."""
    for role in Role.values:
        Group.objects.get_or_create(name=role)


def user_set_role(*, user: User, role: Role | None) -> None:
    """Give ``user`` exactly one role group (or none); the audit trail records one role change."""
    role_groups_ensure()
    with transaction.atomic():
        names = user.groups.filter(name__in=Role.values).values_list("name", flat=True)
        before = highest_role(names, superuser=False)
        with m2m_muted():
            user.groups.remove(*Group.objects.filter(name__in=Role.values))
            if role is not None:
                user.groups.add(Group.objects.get(name=role))
        audit_role_change(user=user, before=before, after=str(role) if role is not None else None)


def admin_bootstrap(*, username: str = "admin") -> str | None:
    """Create the first admin if no superuser exists; return its one-time password, else ``None``.

    The account must change that password at its first sign-in (``AccountSecurity.must_change_password``).
    """
    User = get_user_model()
    if User.objects.filter(is_superuser=True).exists():
        return None
    password = secrets.token_urlsafe(12)
    with transaction.atomic():
        user, _ = User.objects.get_or_create(username=username)
        user.is_superuser = True
        user.is_staff = True
        user.is_active = True
        user.set_password(password)
        user.save()
        user_set_role(user=user, role=Role.ADMIN)
        # The password is printed once (make run's output, logs): it must be replaced at first sign-in.
        password_change_require(user=user)
    return password
