"""Puts the request into the audit context (``sre.audit.context``) for the time of the request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from sre.audit.context import AuditContext, enter, leave


class AuditContextMiddleware:
    """Place after ``AuthenticationMiddleware``. The user is read lazily (only when an entry is written), so a
    request that changes nothing pays nothing. A streamed response (exports) keeps no context: its entry is
    written before streaming starts."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = enter(AuditContext(request=request))
        try:
            return self.get_response(request)
        finally:
            leave(token)
