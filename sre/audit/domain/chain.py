"""The hash chain (pure: no Django, no I/O).

Each entry stores ``prev_hash`` (the previous entry's ``hash``; ``GENESIS`` for the first, or the retention
anchor's hash for the first entry kept after pruning) and ``hash = SHA-256(prev_hash + canonical JSON of its
fields)``. Canonical JSON: keys sorted, no whitespace, UTF-8, and floats with an integral value written as
integers, so a value reads back from PostgreSQL ``jsonb`` (which prints ``1e20`` as ``100000000000000000000``)
or SQLite text to the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64

# The entry fields covered by the hash, in the form ``entry_fields`` expects them.
HASHED_FIELDS = (
    "at",
    "actor_kind",
    "actor_id",
    "actor",
    "action",
    "object_app",
    "object_model",
    "object_pk",
    "object_repr",
    "before",
    "after",
    "detail",
    "address",
    "user_agent",
    "via",
    "session",
    "token_id",
    "token_prefix",
)


def canonical(value: Any) -> Any:
    """``value`` with integral floats as ints and non-finite floats as strings (recursively)."""
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return repr(value)
        return int(value) if value.is_integer() else value
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def canonical_json(value: Any) -> str:
    return json.dumps(canonical(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def entry_hash(*, prev_hash: str, fields: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of ``prev_hash`` followed by the canonical JSON of exactly ``HASHED_FIELDS``."""
    missing = [name for name in HASHED_FIELDS if name not in fields]
    if missing:
        raise KeyError(f"entry fields missing: {', '.join(missing)}")
    body = canonical_json({name: fields[name] for name in HASHED_FIELDS})
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Link:
    """One stored entry as verification sees it."""

    pk: int
    prev_hash: str
    hash: str
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class Verdict:
    ok: bool
    count: int  # entries checked (all of them when ok; up to and including the broken one otherwise)
    broken_at: int | None = None
    reason: str = ""
    head: str = ""  # hash of the last entry checked (keep it elsewhere to detect a cut-off tail later)


def chain_verify(*, links: Iterable[Link], start_hash: str = GENESIS) -> Verdict:
    """Walk ``links`` in pk order: each must point at the previous hash and hash to its own ``hash``.

    Stops at the first broken entry. Constant memory: ``links`` may be a stream."""
    expected_prev = start_hash
    count = 0
    for link in links:
        count += 1
        if link.prev_hash != expected_prev:
            reason = (
                "its prev_hash is not the hash of the entry before it: an entry before it was deleted "
                "or its chain rewritten"
            )
            if count == 1 and start_hash != GENESIS:
                reason = "its prev_hash is not the retention anchor's hash: entries after the anchor were deleted"
            elif count == 1:
                reason = "its prev_hash is not the start of the chain: earlier entries were deleted"
            return Verdict(ok=False, count=count, broken_at=link.pk, reason=reason, head=expected_prev)
        computed = entry_hash(prev_hash=link.prev_hash, fields=link.fields)
        if computed != link.hash:
            return Verdict(
                ok=False,
                count=count,
                broken_at=link.pk,
                reason="its content does not match its hash: the entry was altered",
                head=expected_prev,
            )
        expected_prev = link.hash
    return Verdict(ok=True, count=count, head=expected_prev)
