"""Anonymous users reach only the public paths and the login page; everything else asks them to log in.

API paths are left to DRF, which authenticates bearer tokens and answers 401 in JSON.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

# Paths whose URL carries its own signed or secret credential (single-use page action links, personal iCal
# feeds): always open, whatever SRE_PUBLIC_PATHS says; the view checks the credential.
SIGNED_PATHS = ("/oncall/a/", "/oncall/feed/")
# Single sign-on: the redirect to the identity provider and its way back come before anyone is signed in.
SIGN_IN_PATHS = ("/oidc/authenticate/", "/oidc/callback/")


class AnonymousAccessMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated and not self._is_open(request.path):
            return redirect_to_login(request.get_full_path(), reverse(settings.LOGIN_URL))
        return self.get_response(request)

    @staticmethod
    def _is_open(path: str) -> bool:
        if path.startswith(("/api/", settings.STATIC_URL, *SIGNED_PATHS, *SIGN_IN_PATHS)) or path == reverse(
            settings.LOGIN_URL
        ):
            return True
        return any(path == p.rstrip("/") or path.startswith(p) for p in settings.SRE["PUBLIC_PATHS"])
