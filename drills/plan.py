"""The frozen plan of a run (the target's configuration without secrets) and the built-in target's
connection, resolved from the control plane's own database settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from psycopg.conninfo import make_conninfo

from drills import conf
from drills.choices import TargetKind
from drills.domain.validation import parse_environment
from drills.models import BackupTarget


def self_engine() -> str:
    """``postgres`` or ``sqlite``: what the control plane's own database is."""
    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return "sqlite" if vendor == "sqlite3" else "postgres"


def self_connection() -> str:
    """A libpq connection string (PostgreSQL) or the file path (SQLite) of the control plane's database."""
    db = settings.DATABASES["default"]
    if self_engine() == "sqlite":
        return str(db["NAME"])

    params = {
        "host": db.get("HOST") or "",
        "port": str(db.get("PORT") or ""),
        "user": db.get("USER") or "",
        "password": db.get("PASSWORD") or "",
        "dbname": db["NAME"],
    }
    return make_conninfo(**{k: v for k, v in params.items() if v})


def plan_build(*, target: BackupTarget) -> dict[str, Any]:
    """Everything a run needs to know about ``target``, frozen as JSON (secrets excluded)."""
    engine = target.kind
    location = target.location
    if target.kind == TargetKind.SELF:
        engine = self_engine()
        location = str(settings.DATABASES["default"]["NAME"]) if engine == "sqlite" else ""
    return {
        "version": 1,
        "target_id": target.pk,
        "target_name": target.name,
        "kind": target.kind,
        "engine": engine,
        "backup_mode": target.backup_mode if target.kind != TargetKind.SELF else "take",
        "location": location,
        "backup_command": target.backup_command,
        "restore_command": target.restore_command,
        "has_connection": bool(target.connection),
        "has_scratch_connection": bool(target.scratch_connection),
        "has_secret": bool(target.secret),
        "environment_keys": sorted(_env_keys(target.environment)),
        "rto_target_seconds": target.rto_target_seconds,
        "rpo_target_seconds": target.rpo_target_seconds,
        "timeout_seconds": target.timeout_seconds,
        "schedule": target.schedule,
        "heartbeat_interval": conf.heartbeat_interval(),
        "service": target.service.name if target.service_id else "",
        "checks": [
            {
                "name": c.name,
                "kind": c.kind,
                "table": c.table,
                "query": c.query,
                "expected": c.expected,
                "min_rows": c.min_rows,
                "path": c.path,
            }
            for c in target.checks.all()
        ],
    }


def _env_keys(text: str) -> list[str]:

    try:
        return list(parse_environment(text))
    except ValueError:
        return []
