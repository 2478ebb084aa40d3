"""User commands: a backup command (or the newest file in a directory of backups) and a restore command,
run with ``/bin/sh -c`` and these variables: ``DRILL_RUN_ID``, ``DRILL_TARGET``, ``DRILL_BACKUP_DIR``,
``DRILL_BACKUP_FILE`` (latest mode), ``DRILL_RESTORE_DIR`` plus the target's own (encrypted) environment.

A backup command may print ``DRILL_BACKUP_TIME=<ISO 8601>`` to say how old its data is; otherwise the time it
started counts (its data is at least that fresh)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from drills.engine.base import (
    Backup,
    CheckRecord,
    Context,
    StepFailed,
    base_env,
    file_check,
    newest_backup,
    tree_size,
)
from drills.engine.postgres import last_line

_TIME_MARKER = re.compile(r"^DRILL_BACKUP_TIME=(\S+)\s*$", re.MULTILINE)


class CommandExecutor:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.backup_dir = ctx.scratch_dir / "backup"
        self.restore_dir = ctx.scratch_dir / "restore"
        self.env = base_env(
            {
                **ctx.environment,
                "DRILL_RUN_ID": str(ctx.run_id),
                "DRILL_TARGET": ctx.plan["target_name"],
                "DRILL_BACKUP_DIR": str(self.backup_dir),
                "DRILL_RESTORE_DIR": str(self.restore_dir),
            }
        )
        self.ctx.runtime.secrets.extend(v for v in ctx.environment.values() if v)

    def _sh(self, script: str, *, what: str) -> str:
        code, output = self.ctx.runtime.run(["/bin/sh", "-c", script], env=self.env, cwd=self.ctx.scratch_dir)
        if code != 0:
            raise StepFailed(f"The {what} command failed (exit {code}): {last_line(output)}")
        return output

    def obtain(self) -> Backup:
        plan = self.ctx.plan
        self.backup_dir.mkdir(parents=True, exist_ok=True)
        if plan["backup_command"]:
            started = dt.datetime.now(dt.UTC)
            output = self._sh(plan["backup_command"], what="backup")
            taken_at = started
            marker = _TIME_MARKER.findall(output)
            if marker:
                try:
                    taken_at = dt.datetime.fromisoformat(marker[-1].replace("Z", "+00:00"))
                except ValueError:
                    raise StepFailed(f"DRILL_BACKUP_TIME={marker[-1]} is not an ISO 8601 time.") from None
                if taken_at.tzinfo is None:
                    taken_at = taken_at.replace(tzinfo=dt.UTC)
            return Backup(ref=str(self.backup_dir), taken_at=taken_at, size_bytes=tree_size(self.backup_dir))
        backup = newest_backup(self.ctx, what="backup")
        self.env["DRILL_BACKUP_FILE"] = backup.ref
        return backup

    def restore(self, backup: Backup) -> None:
        self.restore_dir.mkdir(parents=True, exist_ok=True)
        self._sh(self.ctx.plan["restore_command"], what="restore")

    def builtin_checks(self) -> list[CheckRecord]:
        files = [p for p in self.restore_dir.rglob("*") if p.is_file()]
        ok = bool(files)
        message = "" if ok else "The restore command left DRILL_RESTORE_DIR empty."
        return [CheckRecord("restored files", "builtin", ok, "> 0 files", f"{len(files)} files", message)]

    def verify(self, check: dict[str, Any]) -> CheckRecord:
        self.ctx.runtime.check()
        if check["kind"] != "file_checksum":
            return CheckRecord(check["name"], check["kind"], False, message="Only file checksums apply to commands.")
        relative = check["path"].lstrip("/")
        return file_check(
            name=check["name"], restored=self.restore_dir / relative, expected=check["expected"], source=None
        )
