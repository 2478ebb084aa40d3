"""Value helpers for verification: comparable text of SQL results, identifiers, and content digests."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import re
from collections.abc import Iterable

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


def sql_value_text(value: object) -> str:
    """The text a check's expected value is compared with: booleans as true/false, NULL as null,
    whole decimals without a fraction, datetimes in ISO form."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, decimal.Decimal):
        return str(int(value)) if value == value.to_integral_value() else format(value.normalize(), "f")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return str(value)


def values_match(*, expected: str, observed: str) -> bool:
    return expected.strip() == observed.strip()


def split_table_name(name: str) -> tuple[str, ...]:
    """``table`` or ``schema.table`` as identifier parts; ``ValueError`` for anything else."""
    parts = tuple(name.strip().split("."))
    if not 1 <= len(parts) <= 2 or not all(_IDENTIFIER.match(p) for p in parts):
        raise ValueError(f"'{name}' is not a table name (letters, digits, _ and $, optionally schema.table).")
    return parts


def rows_digest(row_texts: Iterable[str]) -> str:
    """Order-independent digest of a table: SHA-256 over the sorted SHA-256 of each row's text."""
    hashes = sorted(hashlib.sha256(text.encode()).hexdigest() for text in row_texts)
    outer = hashlib.sha256()
    for h in hashes:
        outer.update(h.encode())
    return f"{len(hashes)}:{outer.hexdigest()}"


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every non-trivial secret replaced by ``***`` (logs must never carry credentials)."""
    for secret in sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def tail(text: str, *, limit: int) -> str:
    """The last ``limit`` characters of ``text``, marked as truncated when cut."""
    if len(text) <= limit:
        return text
    return "… (earlier output truncated)\n" + text[-limit:]
