"""The status page's tunables (``settings.SRE["STATUSPAGE_*"]``) with their defaults."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

DEFAULTS = {
    "STATUSPAGE_NAME": "System status",
    "STATUSPAGE_SNAPSHOT_DIR": "",
    "STATUSPAGE_SYNC_INTERVAL": 30,
    "STATUSPAGE_SUBSCRIBE_RATE": 10,
    "STATUSPAGE_ALLOW_PRIVATE_WEBHOOKS": False,
    "STATUSPAGE_TIMEZONE": "UTC",
    "STATUSPAGE_HISTORY_MONTHS": 12,
}


def get(name: str):
    return settings.SRE.get(name, DEFAULTS[name])


def snapshot_dir() -> Path:
    """Where the public snapshot is written (default ``$SRE_VAR_DIR/status-snapshot``)."""
    configured = get("STATUSPAGE_SNAPSHOT_DIR")
    return Path(configured) if configured else Path(settings.VAR_DIR) / "status-snapshot"


def public_url(path: str = "") -> str:
    """Absolute URL of a public page, e.g. ``public_url("incidents/4/")``."""
    base = settings.SRE.get("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    return f"{base}/status/{path.lstrip('/')}"
