"""Validation of a target's configuration and its checks, over plain values (field -> messages)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from drills.domain.schedule import crontab_fields
from drills.domain.values import split_table_name

DB_KINDS = ("postgres", "sqlite", "self")
FILE_KINDS = ("restic", "command")
CHECK_KINDS_FOR = {
    "postgres": ("sql", "row_count", "table_checksum"),
    "sqlite": ("sql", "row_count", "table_checksum"),
    "self": ("sql", "row_count", "table_checksum"),
    "restic": ("file_checksum",),
    "command": ("file_checksum",),
}


def parse_environment(text: str) -> dict[str, str]:
    """The ``environment`` field: a JSON object of string values (empty text means none)."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"Environment must be a JSON object: {exc.msg} at position {exc.pos}.") from None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ValueError('Environment must be a JSON object of strings, e.g. {"AWS_PROFILE": "backup"}.')
    bad = [k for k in value if not k or not (k[0].isalpha() or k[0] == "_") or not k.replace("_", "a").isalnum()]
    if bad:
        raise ValueError(f"Not valid environment variable names: {', '.join(sorted(bad))}.")
    return value


def target_errors(values: Mapping[str, Any], *, command_targets_allowed: bool) -> dict[str, list[str]]:
    """Field errors of a target's configuration (empty when valid). Secrets are checked only for presence."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    kind, mode = values.get("kind"), values.get("backup_mode")

    def has(name: str) -> bool:
        return bool(str(values.get(name) or "").strip())

    if kind == "postgres":
        if mode == "take" and not has("connection"):
            add("connection", "A PostgreSQL target that takes its own dump needs the source connection string.")
        if mode == "latest" and not has("location"):
            add("location", "Give the directory that holds the dumps.")
        if not has("connection") and not has("scratch_connection"):
            add("scratch_connection", "Give a connection to create the scratch database on (or the source's).")
    elif kind == "sqlite":
        if not has("location"):
            add("location", "Give the database file (take) or the directory of copies (latest).")
    elif kind == "restic":
        if not has("connection"):
            add("connection", "Give the restic repository (path or URL).")
        if not has("secret"):
            add("secret", "Give the repository password.")
        if mode == "take" and not has("location"):
            add("location", "Give the path to back up.")
    elif kind == "command":
        if not command_targets_allowed:
            add("kind", "Command targets are disabled on this installation (SRE_DRILL_COMMAND_TARGETS).")
        if not has("restore_command"):
            add("restore_command", "A command target needs a restore command.")
        if not has("backup_command") and not has("location"):
            add("backup_command", "Give a backup command, or a directory of existing backups as location.")
    for field, minimum in (("rto_target_seconds", 1), ("rpo_target_seconds", 1), ("timeout_seconds", 60)):
        value = values.get(field)
        if value is not None and (not isinstance(value, int) or value < minimum):
            add(field, f"Must be a whole number of seconds, at least {minimum}.")
    schedule = str(values.get("schedule") or "").strip()
    if schedule:
        try:
            crontab_fields(schedule)
        except ValueError as exc:
            add("schedule", str(exc))
    if "environment" in values and values["environment"] is not None:
        try:
            parse_environment(str(values["environment"]))
        except ValueError as exc:
            add("environment", str(exc))
    return errors


def check_errors(values: Mapping[str, Any], *, target_kind: str, backup_mode: str) -> dict[str, list[str]]:
    """Field errors of one verification check for a target of ``target_kind``."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    kind = values.get("kind")
    allowed = CHECK_KINDS_FOR.get(target_kind, ())
    if kind not in allowed:
        add("kind", f"'{kind}' checks do not apply to {target_kind} targets; use one of: {', '.join(allowed)}.")
        return errors
    if not str(values.get("name") or "").strip():
        add("name", "Give the check a name.")
    if kind == "sql":
        if not str(values.get("query") or "").strip():
            add("query", "Give the SQL query whose first value is compared.")
        if not str(values.get("expected") or "").strip():
            add("expected", "Give the expected value.")
    if kind in ("row_count", "table_checksum"):
        try:
            split_table_name(str(values.get("table") or ""))
        except ValueError as exc:
            add("table", str(exc))
    if kind == "row_count" and (not isinstance(values.get("min_rows"), int) or values["min_rows"] < 0):
        add("min_rows", "Give the minimum number of rows (0 or more).")
    if kind == "table_checksum" and target_kind == "sqlite" and backup_mode == "latest" and not values.get("expected"):
        add("expected", "Copies from a directory have no source to compare with: give the expected checksum.")
    if kind == "file_checksum":
        if not str(values.get("path") or "").strip():
            add("path", "Give the file's path.")
        if target_kind == "command" and not str(values.get("expected") or "").strip():
            add("expected", "Command targets have no source to compare with: give the expected SHA-256.")
        expected = str(values.get("expected") or "").strip()
        if expected and (len(expected) != 64 or any(c not in "0123456789abcdefABCDEF" for c in expected)):
            add("expected", "A SHA-256 is 64 hexadecimal characters.")
    return errors
