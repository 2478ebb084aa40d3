"""restic: a snapshot of a path (or the newest existing snapshot), ``restic restore --verify`` into a scratch
directory, ``restic check`` of the repository and file checksums of the restored files."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from drills.engine.base import Backup, CheckRecord, Context, StepFailed, base_env, file_check, sha256_file, tree_size
from drills.engine.postgres import last_line

_FRACTION = re.compile(r"\.(\d+)")


def parse_restic_time(value: str) -> dt.datetime:
    """restic's RFC 3339 times carry nanoseconds; Python takes at most microseconds."""
    value = _FRACTION.sub(lambda m: "." + m.group(1)[:6], value, count=1).replace("Z", "+00:00")
    return dt.datetime.fromisoformat(value).astimezone(dt.UTC)


class ResticExecutor:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.restore_dir = ctx.scratch_dir / "restore"
        self.source_sums: dict[str, str] = {}
        self.env = base_env(
            {
                **ctx.environment,
                "RESTIC_REPOSITORY": ctx.connection,
                "RESTIC_PASSWORD": ctx.secret,
                "RESTIC_PROGRESS_FPS": "0.2",
            }
        )

    def _restic(self, *args: str) -> tuple[int, str]:
        return self.ctx.runtime.run(["restic", "--no-cache", *args], env=self.env)

    def _source(self, path: str) -> Path:
        p = Path(path)
        return p if p.is_absolute() else Path(self.ctx.plan["location"]) / p

    def obtain(self) -> Backup:
        plan = self.ctx.plan
        if not self.ctx.connection:
            raise StepFailed("No restic repository is configured.")
        if plan["backup_mode"] == "latest":
            args = ["snapshots", "--json", "--latest", "1"]
            if plan["location"]:
                args += ["--path", plan["location"]]
            code, output = self._restic(*args)
            if code != 0:
                raise StepFailed(f"restic snapshots failed (exit {code}): {last_line(output)}")
            snapshots = _json_array(output)
            if not snapshots:
                raise StepFailed(
                    "The repository has no snapshot" + (f" of {plan['location']}." if plan["location"] else ".")
                )
            newest = max(snapshots, key=lambda s: parse_restic_time(s["time"]))
            self.ctx.runtime.log(f"Newest snapshot {newest['short_id']} of {', '.join(newest.get('paths', []))}")
            return Backup(ref=newest["id"], taken_at=parse_restic_time(newest["time"]))
        if not plan["location"] or not Path(plan["location"]).exists():
            raise StepFailed(f"The path to back up ({plan['location'] or 'not set'}) does not exist.")
        for check in plan["checks"]:
            if check["kind"] == "file_checksum" and not check["expected"]:
                source = self._source(check["path"])
                if source.is_file():
                    self.source_sums[check["path"]] = sha256_file(source)
        taken_at = dt.datetime.now(dt.UTC)
        code, output = self._restic("backup", "--json", "--host", "sre-drills", plan["location"])
        if code != 0:
            raise StepFailed(f"restic backup failed (exit {code}): {last_line(output)}")
        summary = next((o for o in _json_lines(output) if o.get("message_type") == "summary"), None)
        if not summary or not summary.get("snapshot_id"):
            raise StepFailed("restic backup did not report a snapshot id.")
        return Backup(ref=summary["snapshot_id"], taken_at=taken_at, size_bytes=summary.get("total_bytes_processed"))

    def restore(self, backup: Backup) -> None:
        self.restore_dir.mkdir(parents=True, exist_ok=True)
        code, output = self._restic("restore", backup.ref, "--verify", "--target", str(self.restore_dir))
        if code != 0:
            raise StepFailed(f"restic restore failed (exit {code}): {last_line(output)}")
        backup.size_bytes = tree_size(self.restore_dir)

    def builtin_checks(self) -> list[CheckRecord]:
        code, output = self._restic("check")
        ok = code == 0
        message = "" if ok else f"restic check failed (exit {code}): {last_line(output)}"
        return [CheckRecord("restic check", "builtin", ok, "no errors", "no errors" if ok else "errors", message)]

    def verify(self, check: dict[str, Any]) -> CheckRecord:
        self.ctx.runtime.check()
        if check["kind"] != "file_checksum":
            return CheckRecord(check["name"], check["kind"], False, message="Only file checksums apply to restic.")
        source = self._source(check["path"])
        restored = self.restore_dir / str(source).lstrip("/")
        expected = check["expected"] or self.source_sums.get(check["path"], "")
        return file_check(name=check["name"], restored=restored, expected=expected, source=source)


def _json_lines(output: str) -> list[dict[str, Any]]:
    out = []
    for line in output.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return out


def _json_array(output: str) -> list[dict[str, Any]]:
    for line in output.splitlines():
        line = line.strip()
        if line.startswith("["):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                break
    raise StepFailed("restic snapshots did not answer with JSON.")
