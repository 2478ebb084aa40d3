"""A WSGI fast path for the public snapshot: ``GET /status/…`` answered straight from the snapshot files,
before Django (no middleware, no database), so the page stays fast and up whatever the database does.

``sre/wsgi.py`` wraps the Django application with it. Paths that are not snapshot files (the subscribe
forms, a page not rendered yet) fall through to Django. File contents are kept in memory and re-checked
with ``stat`` at most once a second, so a new render shows within a second. With ``pull`` (``sre/wsgi.py``), the
process also keeps its snapshot directory a copy of the one published in the database (``statuspage.replica``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from email.utils import formatdate
from pathlib import Path

from statuspage import conf
from statuspage.replica import pull_in_background
from statuspage.snapshot import content_type, file_for

PREFIX = "/status/"
RECHECK_SECONDS = 1.0
MAX_ENTRIES = 5000
CORS_SUFFIXES = (".json", ".atom", ".rss")
# The site-wide policy (sre.identity.conf), plus images from https: (components may show a logo); no inline code.
SNAPSHOT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def snapshot_headers(path: Path, *, size: int, mtime: float) -> list[tuple[str, str]]:
    headers = [
        ("Content-Type", content_type(path)),
        ("Content-Length", str(size)),
        ("Cache-Control", "public, max-age=10"),
        ("Last-Modified", formatdate(mtime, usegmt=True)),
        ("ETag", f'"{int(mtime * 1000):x}-{size:x}"'),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
    ]
    if path.suffix == ".html":
        headers += [
            ("Content-Security-Policy", SNAPSHOT_CSP),
            ("X-Frame-Options", "DENY"),
        ]
    if path.suffix in CORS_SUFFIXES:
        headers.append(("Access-Control-Allow-Origin", "*"))
    return headers


class SnapshotApp:
    def __init__(self, app: Callable, root: Path | None = None, *, pull: bool = False) -> None:
        self.app = app
        self.root = root
        self.pull = pull
        if pull:
            pull_in_background()
        self.cache: dict[str, tuple[float, int, bytes, list[tuple[str, str]]]] = {}

    def _entry(self, relative: str) -> tuple[bytes, list[tuple[str, str]]] | None:
        now = time.monotonic()
        cached = self.cache.get(relative)
        if cached is not None and now - cached[0] < RECHECK_SECONDS:
            return cached[2], cached[3]
        path = file_for(relative, self.root or conf.snapshot_dir())
        if path is None:
            return None
        try:
            stat = path.stat()
            if cached is not None and cached[1] == stat.st_mtime_ns:
                self.cache[relative] = (now, cached[1], cached[2], cached[3])
                return cached[2], cached[3]
            body = path.read_bytes()
        except OSError:
            self.cache.pop(relative, None)
            return None
        headers = snapshot_headers(path, size=len(body), mtime=stat.st_mtime)
        if len(self.cache) >= MAX_ENTRIES:
            self.cache.clear()
        self.cache[relative] = (now, stat.st_mtime_ns, body, headers)
        return body, headers

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if self.pull:
            pull_in_background()  # a no-op once running; starts it in a worker forked after loading (--preload)
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if method in ("GET", "HEAD") and path.startswith(PREFIX):
            entry = self._entry(path[len(PREFIX) :])
            if entry is not None:
                body, headers = entry
                etag = headers[4][1]
                if environ.get("HTTP_IF_NONE_MATCH") == etag:
                    start_response("304 Not Modified", [h for h in headers if h[0] in ("ETag", "Cache-Control")])
                    return [b""]
                start_response("200 OK", headers)
                return [b""] if method == "HEAD" else [body]
        return self.app(environ, start_response)
