"""The signed-in user's role, looked up once per request."""

from __future__ import annotations

from typing import Any

from sre.choices import Role
from sre.domain.roles import highest_role, role_allows


def user_role(user: Any) -> str | None:
    """``admin``, ``responder``, ``viewer`` or ``None``; superusers are admins. Cached on the user object."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    cached = getattr(user, "_sre_role", False)
    if cached is not False:
        return cached
    names = user.groups.filter(name__in=Role.values).values_list("name", flat=True)
    role = highest_role(names, superuser=user.is_superuser)
    user._sre_role = role
    return role


def user_has_role(user: Any, need: Role | str) -> bool:
    return role_allows(have=user_role(user), need=str(need))
