"""Turns environment values into Django and Celery settings structures.

Kept apart from ``settings.py`` so the parsing is testable without reloading Django settings.
"""

from __future__ import annotations

import importlib
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from sre.domain.keys import fernet_key
from sre.env import Env, EnvError

DATABASE_URL_FORM = "a database URL such as sqlite:////abs/path.sqlite3 or postgres://user@host:5432/name"
BROKER_SCHEMES = ("filesystem", "redis", "rediss", "amqp", "amqps", "pyamqp", "memory")


def database_config(env: Env, *, var_dir: Path) -> dict[str, Any]:
    """``DATABASES['default']`` from ``DATABASE_URL``; SQLite in ``var/`` with WAL when unset."""
    raw = env.optional_str("DATABASE_URL")
    if raw is None:
        return sqlite_config(var_dir / "sre.sqlite3")
    scheme = urlsplit(raw).scheme
    if scheme not in ("sqlite", "postgres", "postgresql", "pgsql"):
        raise EnvError("DATABASE_URL", DATABASE_URL_FORM, raw)
    if scheme == "sqlite":
        # sqlite:////abs/path -> /abs/path; sqlite:///rel/path -> rel/path (as dj-database-url reads them).
        path = raw.removeprefix("sqlite://")
        if not path.startswith("/") or path in ("/", "/:memory:"):
            raise EnvError("DATABASE_URL", DATABASE_URL_FORM + " (SQLite needs a file path)", raw)
        return sqlite_config(Path(path[1:]))
    try:
        config = dj_database_url.parse(raw, conn_max_age=60, conn_health_checks=True)
    except ValueError:
        raise EnvError("DATABASE_URL", DATABASE_URL_FORM, raw) from None
    if not config.get("NAME"):
        raise EnvError("DATABASE_URL", DATABASE_URL_FORM + " (with a database name)", raw)
    # Parameters travel separately from the statement (no quoting in Python), and a statement run
    # DATABASE_PREPARE_THRESHOLD times on a connection is prepared (parsed and planned once; Django turns this off
    # by default for transaction-pooling PgBouncer before 1.21, where 0 turns it off here too). Measured on the
    # alert intake: PostgreSQL's CPU per new group fell by about a third with it.
    config.setdefault("OPTIONS", {})["server_side_binding"] = True
    threshold = env.int("DATABASE_PREPARE_THRESHOLD", 5, minimum=0)
    config["OPTIONS"]["prepare_threshold"] = threshold or None
    return config


def sqlite_config(path: Path) -> dict[str, Any]:
    """SQLite shared by gunicorn, the worker and beat: WAL, IMMEDIATE transactions and a busy timeout."""
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
        # A file (not :memory:) so worker processes started by tests can share it; per process so that
        # two test runs on one machine do not collide.
        "TEST": {"NAME": str(path.with_name(f"{path.stem}-test-{os.getpid()}.sqlite3"))},
    }


def broker_config(env: Env, *, var_dir: Path) -> tuple[str, dict[str, Any]]:
    """Celery broker URL and transport options; ``filesystem://`` in ``var/`` when unset."""
    url = env.url("CELERY_BROKER_URL", schemes=BROKER_SCHEMES, default="filesystem://localhost//")
    assert url is not None
    if url.startswith("filesystem://"):
        return url, filesystem_transport_options(
            var_dir / "celery", polling_interval=env.float("CELERY_POLLING_INTERVAL", 0.5, minimum=0.01)
        )
    return url, {"visibility_timeout": 3600}


def filesystem_transport_options(folder: Path, *, polling_interval: float) -> dict[str, Any]:
    """Options for kombu's filesystem transport; the folders must exist before the first message."""
    queue = folder / "queue"
    processed = folder / "processed"
    control = folder / "control"  # fanout (remote control) tables; kombu's default is ./control in the cwd
    for path in (queue, processed, control):
        path.mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(queue),
        "data_folder_out": str(queue),
        "processed_folder": str(processed),
        "control_folder": str(control),
        "store_processed": False,
        "polling_interval": polling_interval,
    }


def email_config(env: Env, *, var_dir: Path) -> dict[str, Any]:
    """Email backend settings from ``EMAIL_URL`` (smtp://, smtps://, console://, file://, locmem://)."""
    raw = env.optional_str("EMAIL_URL")
    expected = "smtp://user:password@host:port (or smtps://, console://, file:///path, locmem://)"
    if raw is None:
        path = var_dir / "mail"
        return {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": str(path)}
    parts = urlsplit(raw)
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if parts.scheme == "file":
        if not parts.path:
            raise EnvError("EMAIL_URL", expected, raw)
        return {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": parts.path}
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise EnvError("EMAIL_URL", expected, raw)
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError:
        raise EnvError("EMAIL_URL", expected, raw) from None
    query = parse_qs(parts.query)
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_USE_TLS": parts.scheme == "smtp" and query.get("tls", ["0"])[0] in ("1", "true", "yes"),
        "EMAIL_TIMEOUT": 10,
    }


def secret_key(env: Env, *, production: bool, var_dir: Path) -> str:
    """``SECRET_KEY`` from the environment; in development generated once into ``var/secret_key``."""
    expected = "a random string of at least 50 characters"
    value = env.optional_str("SECRET_KEY")
    if value is not None:
        if production and (len(value) < 50 or len(set(value)) < 5):
            raise EnvError("SECRET_KEY", expected, "<hidden>")
        return value
    if production:
        raise EnvError("SECRET_KEY", expected + " (required when SRE_ENV=production)")
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(64)
    path.write_text(key)
    path.chmod(0o600)
    return key


def encryption_keys(env: Env) -> list[str]:
    """``SRE_ENCRYPTION_KEY``: the keys of secrets at rest, comma-separated, newest first (``sre.crypto``); empty
    means a key derived from ``SECRET_KEY``. A malformed key stops start-up (the value is never printed)."""
    keys = env.list("SRE_ENCRYPTION_KEY", [])
    for key in keys:
        try:
            fernet_key(key)
        except ValueError as exc:
            raise EnvError("SRE_ENCRYPTION_KEY", str(exc), "<hidden>") from None
    return keys


def cache_config(env: Env) -> dict[str, Any]:
    """Django cache: Redis when ``CACHE_URL`` is set (shared throttling across processes), else local memory."""
    url = env.url("CACHE_URL", schemes=("redis", "rediss"))
    if url is None:
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sre"}}
    return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}


ELASTICSEARCH_MISSING = (
    "SRE_LOG_STORE=elasticsearch with ELASTICSEARCH_URL set needs the Elasticsearch client, which is not installed: "
    "it is an extra. Install requirements-elasticsearch.txt (pip install -r requirements-elasticsearch.txt) or build "
    "the image with --build-arg WITH_ELASTICSEARCH=1; or unset SRE_LOG_STORE to keep the logs in the database."
)


def check_log_store_client(*, log_store: str, elasticsearch_url: str | None) -> None:
    """Start-up stops with a clear message when the Elasticsearch log store is configured but its client (the
    ``elasticsearch`` extra) is not installed. The client is imported only then."""
    if log_store != "elasticsearch" or not elasticsearch_url:
        return
    try:
        importlib.import_module("elasticsearch")
    except ImportError as error:
        raise ImproperlyConfigured(ELASTICSEARCH_MISSING) from error
