"""Template context for the shell: navigation, the user's role and the background heartbeat."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from sre.auth.roles import user_role
from sre.domain.heartbeat import heartbeat_age_seconds
from sre.domain.timewords import duration_words
from sre.selectors import heartbeat_get

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


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": (), "user_role": None}
    step = getattr(request, "identity_step", None)  # second factor, password change or enrolment still due
    if step is not None:
        return {"nav_items": (), "user_role": user_role(user), "identity_step": step}
    age = heartbeat_age_seconds(last_seen_at=getattr(heartbeat_get(), "last_seen_at", None), now=timezone.now())
    nav_items = []
    for label, urlname in NAVIGATION:
        href = reverse(urlname)
        active = request.path == href or (href != "/" and request.path.startswith(href))
        nav_items.append({"label": label, "href": href, "active": active})
    ok = age is not None and age <= settings.SRE["HEARTBEAT_MAX_AGE"]
    return {
        "nav_items": nav_items,
        "user_role": user_role(user),
        "heartbeat_age": None if age is None else int(age),
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
