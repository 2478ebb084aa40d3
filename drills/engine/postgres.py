"""PostgreSQL: ``pg_dump -Fc`` (or the newest dump in a directory), ``pg_restore`` into a scratch database
created for the run, verification queries on it, and ``DROP DATABASE … WITH (FORCE)`` afterwards."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from drills.domain.values import split_table_name
from drills.engine.base import (
    Backup,
    CheckRecord,
    Context,
    DatabaseChecks,
    StepFailed,
    base_env,
    newest_backup,
    tree_size,
)

CONNECT_TIMEOUT = 10


def parse_conninfo(conninfo: str) -> dict[str, Any]:
    """Connection parameters from a URL or ``key=value`` string; ``StepFailed`` when it does not parse."""
    try:
        params = conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError as exc:
        raise StepFailed(f"The connection string does not parse: {exc}") from None
    return {k: v for k, v in params.items() if v not in (None, "")}


def tool_args(params: dict[str, Any], *, dbname: str | None = None) -> tuple[str, dict[str, str]]:
    """A ``--dbname`` conninfo without the password, and the environment that carries the password."""
    public = {k: v for k, v in params.items() if k != "password"}
    if dbname is not None:
        public["dbname"] = dbname
    env = base_env({"PGPASSWORD": str(params["password"])} if params.get("password") else {})
    env["PGCONNECT_TIMEOUT"] = str(CONNECT_TIMEOUT)
    return make_conninfo(**public), env


@contextmanager
def connect(params: dict[str, Any], *, dbname: str | None = None, autocommit: bool = True) -> Iterator[Any]:
    options = dict(params)
    if dbname is not None:
        options["dbname"] = dbname
    options.setdefault("connect_timeout", CONNECT_TIMEOUT)
    try:
        conn = psycopg.connect(**options, autocommit=autocommit)
    except psycopg.OperationalError as exc:
        raise StepFailed(f"Cannot connect to PostgreSQL: {str(exc).strip()}") from None
    try:
        yield conn
    finally:
        conn.close()


def table_checksum(cursor: Any, table: str) -> str:
    """``<rows>:<md5>``: order-independent digest of a table's rows as text (same on source and copy)."""
    ident = sql.Identifier(*split_table_name(table))
    query = sql.SQL(
        "SELECT count(*), md5(coalesce(string_agg(h, '' ORDER BY h), '')) FROM (SELECT md5(t::text) AS h FROM {} t) s"
    ).format(ident)
    cursor.execute(query)
    count, digest = cursor.fetchone()
    return f"{count}:{digest}"


def source_checksums(cursor: Any, plan: dict[str, Any]) -> dict[str, str]:
    """Checksums of the tables whose checks compare with the source (errors are kept as text)."""
    out: dict[str, str] = {}
    for check in plan["checks"]:
        if check["kind"] == "table_checksum" and not check["expected"]:
            try:
                out[check["table"]] = table_checksum(cursor, check["table"])
            except (psycopg.Error, ValueError) as exc:
                out[check["table"]] = f"error: {str(exc).strip()}"
    return out


def scratch_name(ctx: Context) -> str:
    return f"drill_t{ctx.target_id}_r{ctx.run_id}"


class PostgresExecutor(DatabaseChecks):
    engine = "PostgreSQL"
    errors = (psycopg.Error, ValueError)
    checksum = staticmethod(table_checksum)

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.source = parse_conninfo(ctx.connection) if ctx.connection else {}
        self.admin = parse_conninfo(ctx.scratch_connection) if ctx.scratch_connection else dict(self.source)
        self.source_sums: dict[str, str] = {}
        self.scratch_db = scratch_name(ctx)

    def obtain(self) -> Backup:
        ctx, plan = self.ctx, self.ctx.plan
        if plan["backup_mode"] == "latest":
            return newest_backup(ctx, what="dump")
        if not self.source:
            raise StepFailed("No source connection is configured.")
        path = ctx.scratch_dir / "backup.dump"
        dsn, env = tool_args(self.source)
        # One REPEATABLE READ snapshot for the source checksums and pg_dump, so both see the same data.
        with connect(self.source, autocommit=False) as conn:
            with conn.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cur.execute("SELECT pg_export_snapshot(), now()")
                snapshot, taken_at = cur.fetchone()
                self.source_sums = source_checksums(cur, plan)
            code, output = ctx.runtime.run(
                ["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={path}", f"--dbname={dsn}"],
                env=env,
            )
            conn.rollback()
        if code != 0:
            raise StepFailed(f"pg_dump failed (exit {code}): {last_line(output)}")
        return Backup(ref=str(path), taken_at=taken_at.astimezone(dt.UTC), size_bytes=tree_size(path), path=path)

    def restore(self, backup: Backup) -> None:
        ctx = self.ctx
        if not self.admin:
            raise StepFailed("No connection is configured to create the scratch database on.")
        ctx.register_scratch("pg_database", self.scratch_db)
        with connect(self.admin) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.scratch_db)))
        ctx.runtime.log(f"Created scratch database {self.scratch_db}")
        dsn, env = tool_args(self.admin, dbname=self.scratch_db)
        code, output = ctx.runtime.run(
            [
                "pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={dsn}",
                str(backup.path),
            ],
            env=env,
        )  # fmt: skip
        if code != 0:
            raise StepFailed(f"pg_restore failed (exit {code}): {last_line(output)}")

    @contextmanager
    def _scratch(self) -> Iterator[Any]:
        with connect(self.admin, dbname=self.scratch_db) as conn:
            timeout_ms = max(1000, int(self.ctx.runtime.remaining() * 1000))
            conn.execute("SET default_transaction_read_only = on")
            conn.execute(sql.SQL("SET statement_timeout = {}").format(sql.Literal(timeout_ms)))
            yield conn

    def builtin_checks(self) -> list[CheckRecord]:
        with self._scratch() as conn:
            count = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            ).fetchone()[0]
        ok = count > 0
        message = "" if ok else "The restored database has no tables."
        return [CheckRecord("restored tables", "builtin", ok, "> 0", str(count), message)]

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        with self._scratch() as conn, conn.cursor() as cur:
            yield cur

    def count_query(self, table: str) -> sql.Composed:
        return sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(*split_table_name(table)))

    def source_sum(self, table: str) -> str:
        if table not in self.source_sums:
            if not self.source:
                return "error: no source connection to compare with"
            with connect(self.source) as conn, conn.cursor() as cur:
                conn.execute("SET default_transaction_read_only = on")
                self.source_sums.update(source_checksums(cur, {"checks": [
                    {"kind": "table_checksum", "expected": "", "table": table}]}))  # fmt: skip
        return self.source_sums[table]


def drop_database(*, admin: dict[str, Any], name: str) -> None:
    """Drop a scratch database, disconnecting anything still using it (e.g. an orphaned pg_restore)."""
    with connect(admin) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def database_exists(*, admin: dict[str, Any], name: str) -> bool:
    with connect(admin) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def last_line(output: str) -> str:
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower()]
    return (errors or lines or ["no output"])[-1][:500]
