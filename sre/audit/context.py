"""Who is acting, carried through a ``ContextVar`` so model signals can record it.

Set by ``AuditContextMiddleware`` for each request (the user is read lazily, when an entry is written), refined
by the API authentication once a bearer token is accepted (``context_set_token``), and replaced by a system
actor for Celery tasks (``system:<task name>``) and management commands (``system:<command>``). Outside all of
these (a shell, a script), the actor is ``system:<program>``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any


@dataclass
class AuditContext:
    """What an entry needs to know about the current actor. Mutable: authentication fills it in later."""

    request: Any = None  # a Django HttpRequest
    system: str = ""  # "system:<name>" for tasks and commands
    token_id: int | None = None
    token_prefix: str = ""
    token_user: Any = None
    muted_m2m: int = 0  # > 0 while a service records a relation change itself (role change)
    extra: dict[str, Any] = field(default_factory=dict)


_current: ContextVar[AuditContext | None] = ContextVar("sre_audit_context", default=None)


def current() -> AuditContext | None:
    return _current.get()


def enter(context: AuditContext) -> Token:
    return _current.set(context)


def leave(token: Token) -> None:
    _current.reset(token)


@contextmanager
def acting_as_system(name: str) -> Iterator[AuditContext]:
    """Record what happens inside as ``system:<name>`` (tasks, commands, beat jobs)."""
    context = AuditContext(system=f"system:{name}")
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


@contextmanager
def m2m_muted() -> Iterator[None]:
    """Relation changes inside are not recorded field by field (the caller records one entry for them)."""
    context = _current.get()
    if context is None:
        context = AuditContext(system=default_system_actor())
        token = _current.set(context)
    else:
        token = None
    context.muted_m2m += 1
    try:
        yield
    finally:
        context.muted_m2m -= 1
        if token is not None:
            _current.reset(token)


def context_set_token(*, token: Any, user: Any) -> None:
    """The API authenticated ``token`` (an ``ApiToken``): later entries of this request name it."""
    context = _current.get()
    if context is None:
        return
    context.token_id = token.pk
    context.token_prefix = token.prefix
    context.token_user = user


def default_system_actor() -> str:
    """``system:<command>`` for ``manage.py <command>``, ``system:<program>`` otherwise."""
    argv = sys.argv or [""]
    program = os.path.basename(argv[0] or "python")
    if program in ("manage.py", "django-admin") and len(argv) > 1:
        return f"system:{argv[1]}"[:150]
    return f"system:{program}"[:150]
