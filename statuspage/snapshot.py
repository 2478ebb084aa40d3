"""The public page as static files, so ``/status/`` keeps answering when the database or the workers do not.

``snapshot_render(now=)`` writes the page, the incident and history pages, the Statuspage JSON and the
feeds into ``conf.snapshot_dir()``, mirroring the URLs under ``/status/`` (``index.html`` for a directory):

    index.html  history/index.html  history/2026-11/index.html  incidents/12/index.html
    api/v2/summary.json ...  history.atom  history.rss  assets/status.css  assets/statuspage.js
    snapshot.json (when and what was rendered)

Each file is replaced atomically (write to a temporary file, then ``os.replace``) and renders are
serialised with a file lock, so a reader (Django, the WSGI fast path, nginx, a CDN sync) never sees a
half-written file. Files no longer produced (an incident made private) are removed.

Several web nodes: the worker that renders also publishes the files to the database
(``statuspage.services.publish``), and every web process copies a newer publication into its own
directory with :func:`snapshot_install` (``statuspage.replica``). ``.published`` (not served) records which
render a directory holds."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string

from statuspage import conf, feeds, metrics, public_serializers
from statuspage.selectors.page import PageData, page_data

ASSETS = {"assets/status.css": "css/status.css", "assets/statuspage.js": "js/statuspage.js"}
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".atom": "application/atom+xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}
_SAFE_PATH = re.compile(r"^[A-Za-z0-9._/-]{0,200}$")
MARKER = ".published"  # which render this directory holds: {"digest", "rendered_at"} (not a servable path)


@dataclass(frozen=True)
class SnapshotResult:
    updated_at: datetime
    files: int
    directory: Path
    content: Mapping[str, bytes] = field(default_factory=dict, repr=False)


def file_for(url_path: str, root: Path | None = None) -> Path | None:
    """The snapshot file serving ``url_path`` (relative to ``/status/``), or None (not a snapshot path,
    or an attempt to leave the directory)."""
    root = root or conf.snapshot_dir()
    if not _SAFE_PATH.match(url_path) or ".." in url_path.split("/") or url_path.startswith("/"):
        return None
    if url_path == "" or url_path.endswith("/"):
        url_path += "index.html"
    if Path(url_path).suffix not in CONTENT_TYPES:
        return None
    return root / url_path


def content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix, "application/octet-stream")


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write(root: Path, relative: str, content: bytes) -> None:
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _months(now: datetime, count: int) -> list[tuple[int, int]]:
    year, month = now.year, now.month
    out = []
    for _ in range(count):
        out.append((year, month))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return out


def _context(data: PageData, **extra) -> dict:
    return {
        "page": data,
        "base": "/status/",
        "updated_at": data.updated_at,
        "json_links": [
            ("Summary (JSON)", "api/v2/summary.json"),
            ("Atom feed", "history.atom"),
            ("RSS feed", "history.rss"),
        ],
        **extra,
    }


def render_files(data: PageData, *, now: datetime) -> dict[str, bytes]:
    """Every snapshot file's content by its path (pure rendering of ``data``)."""
    files: dict[str, bytes] = {}
    recent_cutoff = now - timedelta(days=14)
    past = [i for i in data.incidents if not i.is_open and (i.resolved_at or i.updated_at) >= recent_cutoff]
    files["index.html"] = render_to_string("statuspage/public/index.html", _context(data, past_incidents=past)).encode()
    months = _months(now, conf.get("STATUSPAGE_HISTORY_MONTHS"))
    for index, (year, month) in enumerate(months):
        incidents = [i for i in data.incidents if (i.started_at.year, i.started_at.month) == (year, month)]
        maint = [
            m
            for m in data.maintenances
            if m.status == "completed" and (m.scheduled_for.year, m.scheduled_for.month) == (year, month)
        ]
        newer = months[index - 1] if index > 0 else None
        older = months[index + 1] if index + 1 < len(months) else None
        html = render_to_string(
            "statuspage/public/history.html",
            _context(
                data,
                month=datetime(year, month, 1),
                incidents=incidents,
                maintenances=maint,
                newer=f"{newer[0]:04d}-{newer[1]:02d}" if newer else "",
                older=f"{older[0]:04d}-{older[1]:02d}" if older else "",
            ),
        ).encode()
        files[f"history/{year:04d}-{month:02d}/index.html"] = html
        if index == 0:
            files["history/index.html"] = html
    for incident in data.incidents:
        files[f"incidents/{incident.id}/index.html"] = render_to_string(
            "statuspage/public/incident.html", _context(data, incident=incident)
        ).encode()
    for path, document in public_serializers.documents(data).items():
        files[path] = public_serializers.dumps(document)
    files["history.atom"] = feeds.atom(data)
    files["history.rss"] = feeds.rss(data)
    static_root = Path(settings.BASE_DIR) / "static"
    for target, source in ASSETS.items():
        path = static_root / source
        if path.exists():
            files[target] = path.read_bytes()
    files["snapshot.json"] = json.dumps(
        {"updated_at": public_serializers.ts(data.updated_at), "files": len(files) + 1}
    ).encode()
    return files


def snapshot_digest(files: Mapping[str, bytes]) -> str:
    """A SHA-256 over every path and content: equal for equal renders, whatever the order."""
    digest = hashlib.sha256()
    for relative in sorted(files):
        digest.update(relative.encode() + b"\0" + hashlib.sha256(files[relative]).digest())
    return digest.hexdigest()


def _stamp(moment: datetime) -> str:
    """UTC, microseconds always: these strings sort as the times do."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def installed(root: Path | None = None) -> dict:
    """``{"digest": ..., "rendered_at": ...}`` of the render ``root`` holds, or ``{}``."""
    try:
        marker = json.loads(((root or conf.snapshot_dir()) / MARKER).read_text())
    except (OSError, ValueError):
        return {}
    return marker if isinstance(marker, dict) else {}


def snapshot_install(
    *, files: Mapping[str, bytes], rendered_at: datetime, root: Path | None = None, only_newer: bool = False
) -> bool:
    """Write ``files`` into ``root`` under the directory's lock, each file atomically, ``snapshot.json`` last,
    then drop files the render no longer has. With ``only_newer`` (a copy from the database) nothing is written
    when the directory already holds this render or a later one. Returns whether anything was written."""
    root = root or conf.snapshot_dir()
    digest = snapshot_digest(files)
    with _locked(root):
        if only_newer:
            current = installed(root)
            if current.get("digest") == digest or current.get("rendered_at", "") > _stamp(rendered_at):
                return False
        for relative, content in files.items():
            if relative != "snapshot.json" and file_for(relative, root) is not None:
                _write(root, relative, content)
        if "snapshot.json" in files:
            _write(root, "snapshot.json", files["snapshot.json"])  # last: says the rest is complete
        _write(root, MARKER, json.dumps({"digest": digest, "rendered_at": _stamp(rendered_at)}).encode())
        keep = {root / p for p in files} | {root / MARKER}
        for path in list(root.rglob("*")):
            if path.is_file() and path.name != ".lock" and path not in keep and not path.name.startswith(".tmp-"):
                path.unlink(missing_ok=True)
        for path in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
            with contextlib.suppress(OSError):
                path.rmdir()  # only empty directories go
    return True


def snapshot_render(*, now: datetime, root: Path | None = None, data: PageData | None = None) -> SnapshotResult:
    """Render the whole public page to ``root`` (default ``conf.snapshot_dir()``) and drop stale files."""
    root = root or conf.snapshot_dir()
    data = data or page_data(now=now)
    files = render_files(data, now=now)
    snapshot_install(files=files, rendered_at=now, root=root)
    metrics.SNAPSHOT_RENDERS.inc()
    metrics.SNAPSHOT_UPDATED.set(now.timestamp())
    return SnapshotResult(updated_at=now, files=len(files), directory=root, content=files)


def snapshot_info(root: Path | None = None) -> dict | None:
    """``{"updated_at": ..., "files": n}`` of the current snapshot, or None when there is none."""
    root = root or conf.snapshot_dir()
    try:
        return json.loads((root / "snapshot.json").read_text())
    except (OSError, ValueError):
        return None


def snapshot_clear(root: Path | None = None) -> None:
    """Remove the snapshot (tests, or to force a rebuild)."""
    shutil.rmtree(root or conf.snapshot_dir(), ignore_errors=True)
