"""SQLite: a copy through the online backup API (or the newest copy in a directory), restored by copying it
into a scratch directory, ``PRAGMA integrity_check`` and verification queries on the copy."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from drills.domain.values import rows_digest, split_table_name
from drills.engine.base import Backup, CheckRecord, Context, DatabaseChecks, StepFailed, newest_backup


def quote(table: str) -> str:
    return ".".join('"' + part + '"' for part in split_table_name(table))


def table_checksum(conn: sqlite3.Connection | sqlite3.Cursor, table: str) -> str:
    """``<rows>:<sha256>`` over the sorted digests of each row's text (order-independent)."""
    return rows_digest(repr(row) for row in conn.execute(f"SELECT * FROM {quote(table)}"))  # noqa: S608


def open_readonly(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=20, check_same_thread=False)
    return conn


class SqliteExecutor(DatabaseChecks):
    engine = "SQLite"
    errors = (sqlite3.Error, ValueError)
    checksum = staticmethod(table_checksum)

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.source_sums: dict[str, str] = {}
        self.restored = ctx.scratch_dir / "restored.sqlite3"

    def obtain(self) -> Backup:
        ctx, plan = self.ctx, self.ctx.plan
        if plan["backup_mode"] == "latest":
            return newest_backup(ctx, what="copy")
        source = Path(plan["location"])
        if not source.is_file():
            raise StepFailed(f"The SQLite database {source} does not exist.")
        path = ctx.scratch_dir / "backup.sqlite3"
        ctx.runtime.check()
        try:
            with closing(open_readonly(source)) as src, closing(sqlite3.connect(path)) as dst:
                # One read transaction for the source checksums and the backup, so both see the same data.
                src.execute("BEGIN")
                src.execute("SELECT count(*) FROM sqlite_master").fetchone()
                taken_at = dt.datetime.now(dt.UTC)
                self.source_sums = self._sums(src)
                src.backup(dst, pages=1024, progress=lambda *_: ctx.runtime.check())
                src.rollback()
        except sqlite3.Error as exc:
            raise StepFailed(f"The SQLite backup of {source} failed: {exc}") from None
        ctx.runtime.log(f"Copied {source} with the online backup API to {path}")
        return Backup(ref=str(path), taken_at=taken_at, size_bytes=path.stat().st_size, path=path)

    def _sums(self, conn: sqlite3.Connection) -> dict[str, str]:
        out: dict[str, str] = {}
        for check in self.ctx.plan["checks"]:
            if check["kind"] == "table_checksum" and not check["expected"]:
                try:
                    out[check["table"]] = table_checksum(conn, check["table"])
                except (sqlite3.Error, ValueError) as exc:
                    out[check["table"]] = f"error: {exc}"
        return out

    def restore(self, backup: Backup) -> None:
        assert backup.path is not None
        shutil.copyfile(backup.path, self.restored)
        self.ctx.runtime.log(f"Copied the backup to {self.restored}")
        try:
            with closing(open_readonly(self.restored)) as conn:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as exc:
            raise StepFailed(f"The restored copy does not open as an SQLite database: {exc}") from None

    def builtin_checks(self) -> list[CheckRecord]:
        try:
            with closing(open_readonly(self.restored)) as conn:
                rows = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        except sqlite3.Error as exc:
            return [CheckRecord("integrity_check", "builtin", False, "ok", "", f"PRAGMA integrity_check: {exc}")]
        ok = rows == ["ok"]
        observed = "; ".join(str(r) for r in rows[:5])
        message = "" if ok else f"PRAGMA integrity_check reported: {observed}"
        return [CheckRecord("integrity_check", "builtin", ok, "ok", observed, message)]

    @contextmanager
    def cursor(self) -> Iterator[sqlite3.Cursor]:
        self.ctx.runtime.check()
        with closing(open_readonly(self.restored)) as conn:
            yield conn.cursor()

    def count_query(self, table: str) -> str:
        return f"SELECT count(*) FROM {quote(table)}"  # noqa: S608

    def source_sum(self, table: str) -> str:
        if table not in self.source_sums:
            source = Path(self.ctx.plan["location"])
            if self.ctx.plan["backup_mode"] == "latest" or not source.is_file():
                return "error: no source database to compare with (give an expected checksum)"
            with closing(open_readonly(source)) as conn:
                self.source_sums[table] = table_checksum(conn, table)
        return self.source_sums[table]
