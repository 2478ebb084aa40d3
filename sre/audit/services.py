"""Writes of the audit trail: the one way entries are appended, and retention.

Every entry is appended by ``_append``: in a transaction on the connection of the change (so a change rolled
back leaves no entry), under a chain lock (PostgreSQL: ``pg_advisory_xact_lock(CHAIN_LOCK)``, held to the end of
the surrounding transaction; SQLite: the database write lock every transaction takes), reading the last hash and
inserting the entry that points at it. So the chain is linear and pk order is chain order.

A cost worth knowing: a transaction that wrote an entry holds the chain lock until it commits, so audited
writes are serialised across the whole deployment while their transactions are open.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Mapping
from typing import Any

from django.db import connections, models, transaction
from django.utils import timezone

from sre.audit import context as audit_context
from sre.audit.capture import display, jsonable
from sre.audit.choices import ActorKind, AuditAction, Via
from sre.audit.domain.chain import GENESIS, entry_hash
from sre.audit.models import AuditAnchor, AuditEntry

# pg_advisory_xact_lock key of the chain (any 64-bit constant; "sre_audt" in ASCII).
CHAIN_LOCK = 0x7372655F61756474
# Session setting that lets the retention job DELETE past the PostgreSQL trigger (transaction-local).
RETENTION_SETTING = "sre.audit_retention"


def _session_hash(request: Any) -> str:
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None) if session is not None else None
    return hashlib.sha256(key.encode()).hexdigest() if key else ""


def _actor_fields(context: audit_context.AuditContext | None, *, user: Any = None) -> dict[str, Any]:
    """Who is acting and how, from the context (``user`` overrides the request's user: sign-in)."""
    if context is None or (context.system and context.request is None):
        name = context.system if context is not None and context.system else audit_context.default_system_actor()
        return {"actor_kind": ActorKind.SYSTEM, "actor_id": None, "actor": name, "via": Via.SYSTEM}
    request = context.request
    if context.system:
        fields = {"actor_kind": ActorKind.SYSTEM, "actor_id": None, "actor": context.system, "via": Via.SYSTEM}
    else:
        if user is None:
            user = context.token_user or getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            via = Via.TOKEN if context.token_id else Via.SESSION
            fields = {"actor_kind": ActorKind.USER, "actor_id": user.pk, "actor": user.get_username()[:150], "via": via}
        else:
            fields = {"actor_kind": ActorKind.ANONYMOUS, "actor_id": None, "actor": "", "via": Via.ANONYMOUS}
    if request is not None:
        meta = getattr(request, "META", {})
        fields["address"] = (meta.get("REMOTE_ADDR") or "")[:45]
        fields["user_agent"] = (meta.get("HTTP_USER_AGENT") or "")[:300]
        fields["session"] = "" if fields["via"] == Via.TOKEN else _session_hash(request)
    if context.token_id:
        fields["token_id"] = context.token_id
        fields["token_prefix"] = context.token_prefix
    return fields


def _chain_head(using: str) -> str:
    last = AuditEntry.objects.using(using).order_by("-pk").values_list("hash", flat=True).first()
    if last is not None:
        return last
    anchor = AuditAnchor.objects.using(using).order_by("-pruned_through_id").values_list("last_hash", flat=True)
    return anchor.first() or GENESIS


def _chain_lock(using: str) -> None:
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s::bigint)", [CHAIN_LOCK])


def _append(entry: AuditEntry, *, using: str) -> AuditEntry:
    with transaction.atomic(using=using):
        _chain_lock(using)
        entry.prev_hash = _chain_head(using)
        entry.hash = entry_hash(prev_hash=entry.prev_hash, fields=entry.hashed_fields())
        entry.save(using=using)
    return entry


def audit_record(
    *,
    action: AuditAction | str,
    obj: models.Model | None = None,
    object_type: tuple[str, str] | None = None,
    object_pk: Any = "",
    object_repr: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    detail: Mapping[str, Any] | None = None,
    user: Any = None,
    request: Any = None,
    using: str = "default",
    now: dt.datetime | None = None,
) -> AuditEntry:
    """Append one entry about ``obj`` (or ``object_type`` = (app label, model name) and ``object_pk``).

    The actor comes from the audit context (request, token, task or command); ``request``/``user`` override it
    (sign-in, where the request's user is about to change). ``before``/``after``/``detail`` must already hold
    no secrets; they are stored as JSON."""
    context = audit_context.current()
    if request is not None and (context is None or context.request is not request):
        context = audit_context.AuditContext(request=request)
    fields = _actor_fields(context, user=user)
    if obj is not None:
        fields.update(
            object_app=obj._meta.app_label,
            object_model=obj._meta.model_name,
            object_pk=str(obj.pk)[:64],
            object_repr=display(obj),
        )
    elif object_type is not None:
        fields.update(object_app=object_type[0], object_model=object_type[1], object_pk=str(object_pk or "")[:64])
        fields["object_repr"] = object_repr[:200]
    entry = AuditEntry(
        at=now or timezone.now(),
        action=str(action),
        before=jsonable(dict(before)) if before is not None else None,
        after=jsonable(dict(after)) if after is not None else None,
        detail=jsonable(dict(detail or {})),
        **fields,
    )
    return _append(entry, using=using)


def audit_change(
    *, action: AuditAction, instance: models.Model, before: dict | None, after: dict | None, using: str
) -> AuditEntry:
    """A change of a tracked model (called by the model signal receivers)."""
    return audit_record(action=action, obj=instance, before=before, after=after, using=using)


def audit_role_change(*, user: Any, before: str | None, after: str | None) -> AuditEntry | None:
    """``user``'s role went from ``before`` to ``after`` (``sre.services.user_set_role``); nothing when equal."""
    if before == after:
        return None
    return audit_record(action=AuditAction.ROLE_CHANGE, obj=user, before={"role": before}, after={"role": after})


# Token use: the first use of each token per process and minute is recorded, not every request. That request pays
# at most this many more queries (savepoint, chain lock, chain head, anchor when the trail is empty, insert, release);
# query-count tests of token requests add it to their bound.
TOKEN_USE_QUERIES = 6
_token_uses: dict[tuple[int, str, int], None] = {}
_token_uses_lock = threading.Lock()
_TOKEN_USES_MAX = 10_000


def audit_token_used(*, token: Any, user: Any, now: dt.datetime) -> AuditEntry | None:
    """Name ``token`` in the request's context and record its use once per token, process and minute."""
    audit_context.context_set_token(token=token, user=user)
    key = (token.pk, token.prefix, int(now.timestamp() // 60))
    with _token_uses_lock:
        if key in _token_uses:
            return None
        if len(_token_uses) >= _TOKEN_USES_MAX:
            _token_uses.clear()
        _token_uses[key] = None
    return audit_record(action=AuditAction.TOKEN_USE, obj=token, detail={"scopes": list(token.scopes)}, now=now)


def audit_export(*, what: str, fmt: str, obj: models.Model | None = None, detail: Mapping[str, Any] | None = None):
    """Someone exported ``what`` (e.g. ``incident-timeline``, ``drill-evidence``, ``audit``) as ``fmt``."""
    return audit_record(action=AuditAction.EXPORT, obj=obj, detail={"what": what, "format": fmt, **(detail or {})})


def audit_retention_prune(*, now: dt.datetime, days: int, batch: int = 5000) -> int:
    """Delete entries older than ``days`` and leave an anchor with the hash of the last one deleted.

    The chain stays verifiable from the first kept entry (its ``prev_hash`` is the anchor's hash). The newest
    entry is never deleted, and the pruning itself is recorded. Returns the number of entries deleted."""
    cutoff = now - dt.timedelta(days=days)
    using = "default"
    deleted = 0
    with transaction.atomic(using=using):
        _chain_lock(using)
        newest = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
        last = (
            AuditEntry.objects.filter(at__lt=cutoff)
            .exclude(pk=newest)
            .order_by("-pk")
            .values_list("pk", "hash")
            .first()
        )
        if last is None:
            return 0
        through, last_hash = last
        connection = connections[using]
        table = connection.ops.quote_name(AuditEntry._meta.db_table)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"SET LOCAL {RETENTION_SETTING} = 'on'")
            # Oldest first in batches: the chain is cut at one point (``through``), whatever the entries' times.
            while True:
                cursor.execute(
                    f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE id <= %s ORDER BY id LIMIT %s)",  # noqa: S608 - table name from the model
                    [through, batch],
                )
                if cursor.rowcount <= 0:
                    break
                deleted += cursor.rowcount
            if connection.vendor == "postgresql":
                cursor.execute(f"SET LOCAL {RETENTION_SETTING} = 'off'")
        AuditAnchor.objects.create(
            created_at=now, pruned_through_id=through, last_hash=last_hash, pruned_count=deleted, cutoff=cutoff
        )
        with audit_context.acting_as_system("audit.retention"):
            audit_record(
                action=AuditAction.RETENTION,
                detail={"deleted": deleted, "through_id": through, "anchor_hash": last_hash, "days": days},
                now=now,
            )
    return deleted
