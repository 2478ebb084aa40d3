"""Snapshots of model instances for the trail: JSON values, secrets withheld, long text cut."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models

from sre.audit.domain.diff import REDACTED
from sre.audit.registry import Policy
from sre.crypto import EncryptedTextField

MAX_TEXT = 2000
_MISSING = object()


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON (strings for times, decimals and ids); long strings cut to ``MAX_TEXT``."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        text = value.replace("\x00", "\ufffd")  # PostgreSQL jsonb cannot hold NUL
        if len(text) > MAX_TEXT:
            return f"{text[:MAX_TEXT]}… ({len(text)} characters)"
        return text
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, bytes | memoryview):
        return f"<{len(value)} bytes>"
    return jsonable(str(value))


def secret_fields(model: type[models.Model], policy: Policy) -> frozenset[str]:
    names = {f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)}
    return frozenset(names | policy.redact)


def field_names(model: type[models.Model], policy: Policy, update_fields: Iterable[str] | None = None) -> list[str]:
    """Attnames recorded for ``model`` (limited to ``update_fields`` when a save names them)."""
    wanted = None
    if update_fields is not None:
        wanted = set()
        for name in update_fields:
            field = model._meta.get_field(name)
            wanted.add(getattr(field, "attname", name))
    names = []
    for field in model._meta.concrete_fields:
        name = field.attname
        if name in policy.ignore or (policy.only and name not in policy.only):
            continue
        if wanted is not None and name not in wanted:
            continue
        names.append(name)
    return names


def _digest(value: Any) -> str:
    """A keyed digest of a secret, kept in memory only to tell whether it changed (never stored)."""
    return hmac.new(settings.SECRET_KEY.encode(), repr(value).encode(), hashlib.sha256).hexdigest()


def snapshot(values: Mapping[str, Any], *, names: Iterable[str], secrets: frozenset[str]) -> tuple[dict, dict]:
    """(the recorded values, digests of the secret ones) of ``names`` from ``values`` (attname -> value).

    A secret shows as ``"***"`` when set and ``""`` when empty; a name missing from ``values`` (a deferred field)
    is left out."""
    public: dict[str, Any] = {}
    digests: dict[str, str] = {}
    for name in names:
        value = values.get(name, _MISSING)
        if value is _MISSING:
            continue
        if name in secrets:
            public[name] = REDACTED if value not in (None, "") else ""
            digests[name] = _digest(value)
        else:
            public[name] = jsonable(value)
    return public, digests


def instance_values(instance: models.Model) -> dict[str, Any]:
    """The loaded field values of ``instance`` (never triggers a query for a deferred field)."""
    return dict(instance.__dict__)


def row_values(model: type[models.Model], pk: Any, *, names: list[str], using: str) -> dict[str, Any] | None:
    """The stored row's values of ``names``, or ``None`` when it is gone. A secret that no key opens any more
    reads as an unknown value (so replacing it still records a change)."""
    manager = model._base_manager.using(using)
    try:
        return manager.filter(pk=pk).values(*names).first()
    except ValueError:
        encrypted = {f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)}
        row = manager.filter(pk=pk).values(*[n for n in names if n not in encrypted]).first()
        if row is not None:
            row.update({name: object() for name in names if name in encrypted})
        return row


def display(instance: models.Model) -> str:
    try:
        text = str(instance)
    except Exception:  # noqa: BLE001 - a broken __str__ must not stop the change being recorded
        text = f"{instance._meta.object_name} {instance.pk}"
    return text[:200]
