"""Celery beat that schedules only while it holds the beat lock, so a second beat started by mistake does no
double work: it stands by, and takes over within ``STANDBY_INTERVAL`` seconds once the first one stops.

The lock is a PostgreSQL session advisory lock on a connection of its own (released by the server when that
beat's process or connection dies), or on SQLite, where every process shares one machine, an ``flock`` on
``var/beat.lock``. Settings select it with ``CELERY_BEAT_SCHEDULER = "sre.beat:LeaderScheduler"``; the schedule
itself is django-celery-beat's, in the database."""

from __future__ import annotations

import contextlib
import fcntl
import logging
from pathlib import Path
from typing import Any, TextIO

from django.conf import settings
from django.db import connection
from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger(__name__)

STANDBY_INTERVAL = 2.0  # seconds between a standing-by beat's attempts at the lock
_LOCK_KEY = 0x7372_6562_6561_74  # "srebeat"


class BeatLock:
    """Held by at most one beat process across every machine sharing the database."""

    def __init__(self) -> None:
        self._session: Any = None  # a psycopg connection (PostgreSQL)
        self._file: TextIO | None = None  # the flock'ed file (SQLite)
        self._standing_by: bool | None = None

    def held(self) -> bool:
        """Whether this process holds the lock now (taking it if it is free)."""
        try:
            held = self._held_postgresql() if connection.vendor == "postgresql" else self._held_file()
        except Exception:
            logger.warning("beat: cannot check the beat lock; not scheduling until it can", exc_info=True)
            self.release()
            held = False
        if held and self._standing_by is not False:
            logger.info("beat: holding the beat lock; scheduling")
        elif not held and self._standing_by is not True:
            logger.warning("beat: another beat holds the beat lock; standing by")
        self._standing_by = not held
        return held

    def _held_postgresql(self) -> bool:
        if self._session is not None:
            try:
                self._session.execute("SELECT 1")
                return True
            except Exception:
                logger.warning("beat: lost the connection holding the beat lock", exc_info=True)
                self.release()
        session = connection.get_new_connection(connection.get_connection_params())
        session.autocommit = True
        if session.execute("SELECT pg_try_advisory_lock(%s)", [_LOCK_KEY]).fetchone()[0]:
            self._session = session
            return True
        session.close()
        return False

    def _held_file(self) -> bool:
        if self._file is not None:
            return True
        handle = open(Path(settings.VAR_DIR) / "beat.lock", "w")  # noqa: SIM115 - held open while leading
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        """Let another beat take over (also what the process's exit does)."""
        if self._session is not None:
            with contextlib.suppress(Exception):
                self._session.close()
            self._session = None
        if self._file is not None:
            self._file.close()
            self._file = None


class LeaderScheduler(DatabaseScheduler):
    """django-celery-beat's scheduler, ticking only while this beat holds :class:`BeatLock`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.beat_lock = BeatLock()
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if not self.beat_lock.held():
            return STANDBY_INTERVAL
        return super().tick(*args, **kwargs)

    def close(self) -> None:
        if self.beat_lock.held():  # only the leader's in-memory run times are worth saving
            super().close()
        self.beat_lock.release()
