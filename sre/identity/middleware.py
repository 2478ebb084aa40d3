"""Holds a signed-in session at its identity step (second factor, password change, MFA enrolment) until done.

Pages redirect to the step; API calls made with the session get 403 in the JSON error shape (bearer tokens are not
sessions and pass). The step's own pages, sign-out and static files stay reachable. Runs after authentication.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from sre.api.exceptions import error_body
from sre.domain.identity import STEP_ENROL, STEP_PASSWORD, STEP_VERIFY
from sre.identity.session import next_step

STEP_URLS = {STEP_VERIFY: "mfa-verify", STEP_PASSWORD: "password-change", STEP_ENROL: "security"}
STEP_MESSAGES = {
    STEP_VERIFY: "Enter your authentication code to finish signing in.",
    STEP_PASSWORD: "Change your one-time password before going on.",
    STEP_ENROL: "Set up two-factor authentication before going on (required here).",
}


class IdentityStepMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and not self._exempt(request):
            step = next_step(request)
            if step is not None:
                request.identity_step = step
                if not self._allowed(request.path, step):
                    return self._hold(request, step)
        return self.get_response(request)

    @staticmethod
    def _exempt(request: HttpRequest) -> bool:
        if request.path.startswith(settings.STATIC_URL) or request.path == reverse("logout"):
            return True
        # A bearer token is not the session: DRF authenticates it before the session and never falls back.
        header = request.META.get("HTTP_AUTHORIZATION", "")
        return request.path.startswith("/api/") and header[:7].lower() == "bearer "

    @staticmethod
    def _allowed(path: str, step: str) -> bool:
        own = reverse(STEP_URLS[step])
        return path == own or (step == STEP_ENROL and path.startswith(own))

    @staticmethod
    def _hold(request: HttpRequest, step: str) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse(error_body(code=f"identity_{step}", message=STEP_MESSAGES[step]), status=403)
        url = reverse(STEP_URLS[step])
        if request.method == "GET" and step != STEP_ENROL:
            url += "?" + urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})
        return redirect(url)
