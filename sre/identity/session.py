"""What a signed-in session still owes (second factor, password change, enrolment), kept in the session.

It is worked out once at sign-in (``user_logged_in``, which every way of signing in sends: the sign-in page, the
admin's, single sign-on, the test client) and updated by the steps themselves, so ordinary requests pay no query.
A session from before this existed is worked out on its first request.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.http import HttpRequest
from django_otp import user_has_device

from sre.domain.identity import identity_next_step
from sre.identity.conf import OIDC_BACKEND
from sre.models import AccountSecurity

SESSION_KEY = "sre_identity"


def state_compute(*, user: Any, backend: str | None) -> dict[str, Any]:
    return {
        "sso": backend == OIDC_BACKEND,
        "password": AccountSecurity.objects.filter(user=user, must_change_password=True).exists(),
        "device": user_has_device(user, confirmed=True),
        "verified": False,
    }


def state_get(request: HttpRequest) -> dict[str, Any]:
    state = request.session.get(SESSION_KEY)
    if state is None:
        state = state_compute(user=request.user, backend=request.session.get(BACKEND_SESSION_KEY))
        request.session[SESSION_KEY] = state
    return state


def state_update(request: HttpRequest, **changes: Any) -> None:
    state = dict(state_get(request))
    state.update(changes)
    request.session[SESSION_KEY] = state


def next_step(request: HttpRequest) -> str | None:
    state = state_get(request)
    return identity_next_step(
        sso=state["sso"],
        must_change_password=state["password"],
        has_device=state["device"],
        verified=state["verified"],
        require_mfa=settings.SRE["REQUIRE_MFA"],
    )


def on_user_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """``user_logged_in`` receiver (connected in ``SreConfig.ready``)."""
    if request is None or not hasattr(request, "session"):
        return
    request.session[SESSION_KEY] = state_compute(user=user, backend=getattr(user, "backend", None))
