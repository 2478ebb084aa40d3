"""Sign-in lockout (django-axes): the page a locked-out client sees, who is locked out, and unlocking.

Axes counts failed sign-ins in the database (so every web node sees them) per username and per address; at
``SRE_LOGIN_FAILURE_LIMIT`` failures either is refused for ``SRE_LOGIN_COOLOFF_MINUTES``, and each attempt while
locked starts the cool-off again. A successful sign-in clears that username's and address's failures.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

log = logging.getLogger(__name__)


def lockout_message(*, minutes: int) -> str:
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many failed sign-ins; try again in {minutes} {unit} or ask an admin."


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """The sign-in page with the lockout message, status 429 (AXES_LOCKOUT_CALLABLE).

    The attempt that was refused counted as a failure and restarted the cool-off, so the wait is the whole cool-off.
    """
    from sre.identity.views import login_context  # cycle: sre.identity.views imports this module (the message)

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    form = AuthenticationForm(request, data=None)
    form.locked_message = lockout_message(minutes=minutes)
    context = login_context(request, form=form)
    context["lockout"] = form.locked_message
    response = TemplateResponse(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response.render()


@dataclasses.dataclass(frozen=True)
class Lockout:
    """A username or an address that has reached the failure limit and is inside its cool-off."""

    kind: str  # "username" or "address"
    value: str
    failures: int
    until: dt.datetime


def lockout_list(*, now: dt.datetime) -> list[Lockout]:
    """Usernames and addresses locked out now, most recent first."""
    since = now - settings.AXES_COOLOFF_TIME
    recent = AccessAttempt.objects.filter(attempt_time__gte=since)
    result: list[Lockout] = []
    for kind, field in (("username", "username"), ("address", "ip_address")):
        rows = (
            recent.exclude(**{f"{field}__isnull": True})
            .values(field)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        )
        result += [
            Lockout(
                kind=kind, value=row[field], failures=row["failures"], until=row["last"] + settings.AXES_COOLOFF_TIME
            )
            for row in rows
        ]
    return sorted(result, key=lambda lock: lock.until, reverse=True)


def login_unlock(*, username: str | None = None, address: str | None = None) -> int:
    """Forget the failed sign-ins of a username or an address (or both); returns how many records went."""
    if not username and not address:
        return 0
    removed = reset(username=username or None, ip=address or None)
    log.info("sign-in unlocked: username=%r address=%r records=%d", username, address, removed)
    return removed
