"""Before/after of a change as rows for display (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

REDACTED = "***"


@dataclass(frozen=True)
class FieldChange:
    name: str
    before: Any
    after: Any
    kind: str  # "added" (create), "removed" (delete), "changed", "same", "secret" (changed, value withheld)


def field_changes(*, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[FieldChange]:
    """One row per field named in either side, in a stable order (sorted by name)."""
    before = before or {}
    after = after or {}
    rows = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if name not in before:
            kind = "added"
        elif name not in after:
            kind = "removed"
        elif old == REDACTED and new == REDACTED:
            kind = "secret"
        elif old == new:
            kind = "same"
        else:
            kind = "changed"
        rows.append(FieldChange(name=name, before=old, after=new, kind=kind))
    return rows


def changed_fields(*, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Names whose values differ between two full snapshots (sorted)."""
    return sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))
