"""Fixtures of the drills tests: real PostgreSQL source databases, scratch folders, enqueue capture."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest

from tests.support.servers import port_open, require_binary, unavailable

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


@pytest.fixture
def drill_settings(settings, tmp_path):
    """Scratch folder per test and a short heartbeat."""
    settings.SRE = {**settings.SRE, "DRILL_SCRATCH_DIR": str(tmp_path / "scratch"), "DRILL_HEARTBEAT_INTERVAL": 1}
    return settings


@pytest.fixture
def enqueued(monkeypatch) -> list[int]:
    """Capture ``drills.run`` enqueues instead of sending them to a broker."""
    sent: list[int] = []
    monkeypatch.setattr("drills.tasks.drill_enqueue", lambda *, run_id, timeout_seconds: sent.append(run_id))
    return sent


def pg_admin_execute(sql: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql)


def pg_database_exists(name: str) -> bool:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def pg_databases_like(prefix: str) -> list[str]:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [prefix + "%"]).fetchall()
    return [r[0] for r in rows]


@pytest.fixture
def pg_source() -> Iterator[Callable[..., str]]:
    """``pg_source(rows=100)``: a real PostgreSQL database with an ``items`` table; returns its URL."""
    require_binary("pg_dump")
    require_binary("pg_restore")
    if not port_open("127.0.0.1", 5432):
        unavailable("PostgreSQL is not running on 127.0.0.1:5432")
    created: list[str] = []

    def make(rows: int = 100, setup_sql: str = "") -> str:
        name = f"drill_src_{uuid.uuid4().hex[:10]}"
        pg_admin_execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={name}", autocommit=True) as conn:
            conn.execute("CREATE TABLE items (id serial PRIMARY KEY, label text NOT NULL, price numeric(10,2))")
            conn.execute(
                "INSERT INTO items (label, price) SELECT 'item ' || g, g * 1.25 FROM generate_series(1, %s) g",
                [rows],
            )
            if setup_sql:
                conn.execute(setup_sql)
        return f"postgres://postgres@127.0.0.1:5432/{name}"

    yield make
    for name in created:
        pg_admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def run_drill(drill_settings, enqueued) -> Callable[..., object]:
    """``run_drill(target, clock=...)``: request a drill and execute it in this process (as the worker would);
    ``clock`` is the time the run's RTO is measured with."""
    from django.utils import timezone

    from drills.execution import drill_execute
    from drills.selectors import run_get
    from drills.services import drill_request

    def run(target, *, trigger: str = "manual", clock=timezone.now):
        requested = drill_request(target=target, trigger=trigger, user=None, now=timezone.now())
        drill_execute(run_id=requested.pk, worker="test-worker", clock=clock)
        return run_get(pk=requested.pk)

    return run
