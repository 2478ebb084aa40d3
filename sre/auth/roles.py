"""The signed-in user's role, looked up once per request."""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection

from sre.choices import Role
from sre.domain.roles import ROLE_ORDER, highest_role, role_allows, role_rank
from sre.sql import table


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


@functools.lru_cache(maxsize=1)
def _user_with_role_sql() -> str:
    """Table and column names from the models' metadata (the values are parameters)."""
    model = get_user_model()
    meta, through = model._meta, model.groups.through._meta  # tables: sre.sql.table
    quote = connection.ops.quote_name
    columns = ", ".join(f"u.{quote(field.column)}" for field in meta.concrete_fields)
    ranks = " ".join(f"WHEN %s THEN {role_rank(name)}" for name in ROLE_ORDER)
    user_column = quote(through.get_field(model.groups.field.m2m_field_name()).column)
    group_column = quote(through.get_field(model.groups.field.m2m_reverse_field_name()).column)
    pk, users, links, groups = quote(meta.pk.column), table(model), table(model.groups.through), table(Group)
    rank = f"(SELECT COALESCE(MAX(CASE g.name {ranks} ELSE 0 END), 0) FROM {links} ug"  # noqa: S608
    rank += f" JOIN {groups} g ON g.id = ug.{group_column} WHERE ug.{user_column} = u.{pk})"
    return f"SELECT {columns}, {rank} AS sre_role_rank FROM {users} u WHERE u.{pk} = %s"  # noqa: S608


def user_with_role(user_id: Any) -> Any:
    """The user with this primary key and their role in one query (``None`` if there is none), for the
    authentication backends' ``get_user``: every signed-in page asks for both. Raw SQL: a second query for the role,
    or the ORM building the same join and CASE on every request, cost a tenth of a cached page's time."""
    model = get_user_model()
    try:
        pk = model._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    found = list(model._default_manager.raw(_user_with_role_sql(), [*ROLE_ORDER, pk]))
    if not found:
        return None
    user = found[0]
    names = [ROLE_ORDER[user.sre_role_rank - 1]] if user.sre_role_rank else []
    user._sre_role = highest_role(names, superuser=user.is_superuser)
    return user
