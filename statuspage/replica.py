"""Every web node keeps its own copy of the public snapshot, from the database: no shared volume.

The worker that renders the page publishes the files to one row (``statuspage.services.publish``). Each web
process (``sre/wsgi.py`` calls :func:`pull_in_background`) runs a daemon thread that every ``PULL_INTERVAL``
seconds reads that row's digest (one small query) and, when it differs from what its ``var/`` holds, copies
the files in with ``snapshot_install`` (each file atomically, under the directory's lock, never an older
render over a newer one), so a change made on any node shows on every node within ``PULL_INTERVAL`` of its
render. The first pull runs at start, so a new node serves the page without waiting for a render. While the
database is unreachable the thread logs once and retries; the node keeps serving the files it has."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import threading
import time
import zlib
from datetime import datetime
from pathlib import Path

from django.db import close_old_connections, connection

from statuspage.models import PublishedSnapshot
from statuspage.snapshot import installed, snapshot_install

logger = logging.getLogger(__name__)

PULL_INTERVAL = 2.0


def published_digest() -> str | None:
    """Selector: the digest of the published render, or None before the first one (one indexed read)."""
    return PublishedSnapshot.objects.filter(pk=PublishedSnapshot.ROW).values_list("digest", flat=True).first()


def published_files() -> tuple[datetime, dict[str, bytes]] | None:
    """Selector: the published render's time and files, or None."""
    row = PublishedSnapshot.objects.filter(pk=PublishedSnapshot.ROW).values_list("rendered_at", "files").first()
    if row is None:
        return None
    document = json.loads(zlib.decompress(bytes(row[1])))
    return row[0], {path: base64.b64decode(content) for path, content in document.items()}


def snapshot_pull(*, root: Path | None = None) -> bool:
    """Copy the published render into ``root`` (default this node's snapshot directory) when it holds another
    one. Returns whether files were written. Raises the database's error when it cannot be read."""
    digest = published_digest()
    if digest is None or digest == installed(root).get("digest"):
        return False
    published = published_files()
    if published is None:
        return False
    rendered_at, files = published
    return snapshot_install(files=files, rendered_at=rendered_at, root=root, only_newer=True)


class _Puller(threading.Thread):
    """One per process: :func:`snapshot_pull` at start and every ``PULL_INTERVAL`` seconds, on its own connection."""

    _instance: _Puller | None = None
    _pid: int | None = None
    _start_lock = threading.Lock()

    @classmethod
    def ensure_started(cls) -> None:
        # By process id: a thread started before a fork (gunicorn --preload) does not exist in the child.
        if cls._pid == os.getpid() and cls._instance is not None and cls._instance.is_alive():
            return
        with cls._start_lock:
            if cls._pid != os.getpid() or cls._instance is None or not cls._instance.is_alive():
                cls._instance = cls(name="statuspage-pull", daemon=True)
                cls._pid = os.getpid()
                cls._instance.start()

    def run(self) -> None:
        failing = False
        while True:
            try:
                close_old_connections()
                if snapshot_pull():
                    logger.info("statuspage: copied a newer snapshot from the database")
                if failing:
                    logger.warning("statuspage: snapshot pull works again")
                failing = False
            except Exception:
                if not failing:  # once per outage, not every PULL_INTERVAL
                    logger.warning("statuspage: cannot pull the snapshot; serving the copy on disk", exc_info=True)
                failing = True
                with contextlib.suppress(Exception):
                    connection.close()  # a broken connection is not reused; the next pass opens a new one
            time.sleep(PULL_INTERVAL)


def pull_in_background() -> None:
    """Start this process's pull thread (idempotent; again after a fork)."""
    _Puller.ensure_started()
