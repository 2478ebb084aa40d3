"""What a database verification check concludes from what an engine read on the restored copy (pure).

SQLite and PostgreSQL read in their own way (a query's first row, a table's row count, a table's digest); the
verdict, the expected and observed text and the message people read are decided here, once, for both."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drills.domain.values import sql_value_text, values_match

DATABASE_KINDS = ("sql", "row_count", "table_checksum")
SOURCE_ERROR = "error:"  # how a source digest that could not be computed is stored in its place


@dataclass(frozen=True)
class CheckRecord:
    """One check's result as the run records it."""

    name: str
    kind: str
    passed: bool
    expected: str = ""
    observed: str = ""
    message: str = ""


def needs_source_sum(check: Mapping[str, Any]) -> bool:
    """A table checksum without an expected digest is compared with the live source table's."""
    return check["kind"] == "table_checksum" and not check["expected"]


def database_check(check: Mapping[str, Any], *, engine: str, observed: Any, source_sum: str = "") -> CheckRecord:
    """The record of a ``sql``, ``row_count`` or ``table_checksum`` check given what the engine read:

    - ``sql``: the query's first row (``None``: no rows); passes when its first value's text is the expected text.
    - ``row_count``: the table's row count; passes at ``min_rows`` or more.
    - ``table_checksum``: the restored table's digest; passes when it equals the check's expected digest or, when
      the check gives none, ``source_sum`` (the live table's digest, or ``"error: …"`` when that failed).

    Any other kind does not apply to ``engine`` and fails, saying so."""
    kind, name = check["kind"], check["name"]
    if kind == "sql":
        text = "no rows" if observed is None else sql_value_text(observed[0])
        ok = observed is not None and values_match(expected=check["expected"], observed=text)
        message = "" if ok else f"Expected {check['expected']!r}, got {text!r}."
        return CheckRecord(name, kind, ok, check["expected"], text, message)
    if kind == "row_count":
        ok = observed >= check["min_rows"]
        message = "" if ok else f"{check['table']} has {observed} rows, fewer than {check['min_rows']}."
        return CheckRecord(name, kind, ok, f">= {check['min_rows']}", str(observed), message)
    if kind == "table_checksum":
        expected = check["expected"] or source_sum
        ok = expected == observed
        message = "" if ok else f"Checksum of {check['table']} differs from the source."
        if expected.startswith(SOURCE_ERROR):
            message = f"Source checksum failed: {expected[len(SOURCE_ERROR) :].strip()}"
        return CheckRecord(name, kind, ok, expected, observed, message)
    return CheckRecord(name, kind, False, message=f"Check kind {kind} does not apply to {engine}.")


def check_error(check: Mapping[str, Any], *, error: str) -> CheckRecord:
    """A check the engine could not run (the database refused the query, a bad table name): failed, with the
    error's first line."""
    first = (error.strip().splitlines() or [""])[0][:500]
    return CheckRecord(check["name"], check["kind"], False, check.get("expected", ""), "", first)
