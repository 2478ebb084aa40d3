"""The top bar's live part, rendered per request: also for a page served from ``sre.pagecache``."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from sre.domain.heartbeat import heartbeat_age_seconds
from sre.selectors import heartbeat_seen_at


def heartbeat_age_now() -> float | None:
    return heartbeat_age_seconds(last_seen_at=heartbeat_seen_at(), now=timezone.now())


def shell_heartbeat(*, age: float | None) -> SafeString:
    """The top bar's heartbeat: when background work last beat."""
    ok = age is not None and age <= settings.SRE["HEARTBEAT_MAX_AGE"]
    words = "worker: no heartbeat yet" if age is None else f"worker {int(age)}s ago"
    return format_html(
        '<span class="heartbeat {}" title="Background worker heartbeat" data-testid="heartbeat">'
        '<span class="dot" aria-hidden="true"></span> {}</span>',
        "ok" if ok else "stale",
        words,
    )
