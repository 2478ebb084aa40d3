"""The built-in drill of the control plane's own database (and a deliberately broken demo target)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from django.conf import settings
from django.db import transaction

from drills.choices import BackupMode, CheckKind, TargetKind
from drills.models import BackupTarget
from drills.services import check_create, target_save

SELF_TARGET_NAME = "control-plane-db"
SELF_SCHEDULE = "*/30 * * * *"
BROKEN_TARGET_NAME = "demo-broken-sqlite"

SELF_CHECKS = (
    {"name": "migrations recorded", "kind": CheckKind.ROW_COUNT, "table": "django_migrations", "min_rows": 1},
    {"name": "role groups", "kind": CheckKind.ROW_COUNT, "table": "auth_group", "min_rows": 3},
    {
        "name": "drills app migrated",
        "kind": CheckKind.SQL,
        "query": "SELECT CASE WHEN count(*) > 0 THEN 'yes' ELSE 'no' END FROM django_migrations WHERE app = 'drills'",
        "expected": "yes",
    },
    {"name": "migrations identical to source", "kind": CheckKind.TABLE_CHECKSUM, "table": "django_migrations"},
)


def self_target_ensure(*, schedule: str = SELF_SCHEDULE) -> BackupTarget:
    """Create the built-in target (enabled, scheduled, with its checks) if missing; otherwise leave it as is."""
    existing = BackupTarget.objects.filter(kind=TargetKind.SELF).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        target = target_save(
            target=None,
            data={
                "name": SELF_TARGET_NAME,
                "kind": TargetKind.SELF,
                "description": "Built in: backs up this control plane's own database, restores it into a scratch "
                "copy and checks it.",
                "schedule": schedule,
                "enabled": True,
            },
        )
        for spec in SELF_CHECKS:
            check_create(target=target, data=dict(spec))
    return target


def broken_target_ensure() -> BackupTarget:
    """A manual-only target whose newest 'backup' is a truncated SQLite file: running it fails and alerts."""
    existing = BackupTarget.objects.filter(name=BROKEN_TARGET_NAME).first()
    if existing is not None:
        return existing
    folder = Path(settings.VAR_DIR) / "drills" / "demo-broken-backups"
    folder.mkdir(parents=True, exist_ok=True)
    good = folder / "source.tmp"
    with sqlite3.connect(good) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, total REAL)")
        conn.executemany("INSERT INTO orders (total) VALUES (?)", [(i * 1.5,) for i in range(2000)])
    data = good.read_bytes()
    good.unlink()
    (folder / "orders-backup.sqlite3").write_bytes(data[: len(data) // 3])  # truncated on purpose
    with transaction.atomic():
        target = target_save(
            target=None,
            data={
                "name": BROKEN_TARGET_NAME,
                "kind": TargetKind.SQLITE,
                "backup_mode": BackupMode.LATEST,
                "location": str(folder),
                "description": "Demo: its newest backup is truncated, so every drill fails verification. "
                "Press 'Run now' to see a failure, its alert and why.",
                "rpo_target_seconds": 365 * 24 * 3600,
            },
        )
        check_create(target=target, data={"name": "orders present", "kind": CheckKind.ROW_COUNT, "table": "orders",
                                          "min_rows": 1})  # fmt: skip
    return target


def drills_demo_ensure() -> None:
    """Idempotent: the built-in self-database drill and the broken demo target."""
    self_target_ensure()
    broken_target_ensure()
