"""Role ordering: admin includes responder includes viewer."""

from __future__ import annotations

from collections.abc import Iterable

ROLE_ORDER = ("viewer", "responder", "admin")


def role_rank(role: str | None) -> int:
    """0 for no role, then 1, 2, 3 in ``ROLE_ORDER``."""
    return ROLE_ORDER.index(role) + 1 if role in ROLE_ORDER else 0


def highest_role(names: Iterable[str], *, superuser: bool) -> str | None:
    if superuser:
        return "admin"
    ranked = sorted((role_rank(name), name) for name in names if role_rank(name))
    return ranked[-1][1] if ranked else None


def role_allows(*, have: str | None, need: str) -> bool:
    return role_rank(have) >= role_rank(need) > 0
