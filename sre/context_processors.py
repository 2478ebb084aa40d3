"""Template context for the shell: navigation, the user's role and the background heartbeat."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import mark_safe

from sre import pagecache
from sre.auth.roles import user_role
from sre.domain.timewords import duration_words
from sre.shell import heartbeat_age_now, shell_heartbeat

NAVIGATION = (
    ("Overview", "overview"),
    ("SLOs", "slo:index"),
    ("Alerts", "alerts:index"),
    ("Rules", "rules:index"),
    ("On call", "oncall:home"),
    ("Incidents", "incidents:index"),
    ("Status page", "statuspage:index"),
    ("Drills", "drills:index"),
    ("Heartbeats", "heartbeats:index"),
    ("Releases", "releases:index"),
    ("Logs", "telemetry:logs"),
    ("Settings", "settings"),
)


@functools.lru_cache(maxsize=8)
def _navigation_hrefs(urlconf: str | None, prefix: str) -> tuple[tuple[str, str], ...]:
    """The navigation's labels and paths, reversed once per URLconf and script prefix (they never change while the
    process runs; a dozen ``reverse`` calls a page were a tenth of a cached page's time)."""
    return tuple((label, reverse(urlname)) for label, urlname in NAVIGATION)


def shell(request: HttpRequest) -> dict[str, Any]:
    # A page being built to share (sre.pagecache): the personal parts are placeholders, filled in when served. The
    # token's placeholder goes into every branch, so no page built to share can hold the builder's own token.
    building = getattr(request, pagecache.BUILDING, False)
    return {**_shell(request, building=building), **({"csrf_token": pagecache.CSRF_PLACEHOLDER} if building else {})}


def _shell(request: HttpRequest, *, building: bool) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": (), "user_role": None}
    step = getattr(request, "identity_step", None)  # second factor, password change or enrolment still due
    if step is not None:
        return {
            "nav_items": (),
            "user_role": user_role(user),
            "identity_step": step,
            "shell_user": user.get_username(),
            "shell_heartbeat": shell_heartbeat(age=heartbeat_age_now()),
        }
    age = heartbeat_age_now()
    nav_items = []
    for label, href in _navigation_hrefs(get_urlconf(), get_script_prefix()):
        active = request.path == href or (href != "/" and request.path.startswith(href))
        nav_items.append({"label": label, "href": href, "active": active})
    ok = age is not None and age <= settings.SRE["HEARTBEAT_MAX_AGE"]
    return {
        "nav_items": nav_items,
        "user_role": user_role(user),
        "shell_user": pagecache.USER_PLACEHOLDER if building else user.get_username(),
        "shell_heartbeat": mark_safe(pagecache.HEARTBEAT_PLACEHOLDER) if building else shell_heartbeat(age=age),  # noqa: S308
        "heartbeat_ok": ok,
        # /readyz leaves the heartbeat out (a dead beat must not take the web nodes out of rotation), so the people
        # using the UI are the ones told: a banner on the Overview while background work is stale.
        "heartbeat_banner": None if ok else heartbeat_banner(age_seconds=age),
    }


def heartbeat_banner(*, age_seconds: float | None) -> str:
    """The stale-heartbeat banner: since when background work (alert delivery, SLO evaluation, the status page
    sync) has not run."""
    if age_seconds is None:
        return "Background work has not run yet: no Celery worker and beat have reported. Alerts are not delivered."
    return (
        f"Background work last ran {duration_words(age_seconds)} ago: alerts may not be delivered and SLOs and the "
        "status page are not updated. Check the Celery worker and beat."
    )
