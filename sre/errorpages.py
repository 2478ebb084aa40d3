"""Error pages: JSON under ``/api/`` (same shape as the API exception handler), HTML elsewhere."""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from sre.api.exceptions import DATABASE_DOWN, DATABASE_UNAVAILABLE, error_body


def _respond(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(code=code, message=message), status=status)
    return render(request, "sre/error.html", {"status": status, "message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(request, 400, "bad_request", "The request could not be understood.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else "You do not have permission to see this page."
    return _respond(request, 403, "permission_denied", message)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(request, 404, "not_found", "Not found.")


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its ``except``: a database that cannot be reached (in a middleware loading the
    # session, say) is a 503 that says so, not an internal error.
    if isinstance(sys.exc_info()[1], DATABASE_DOWN):
        if request.path.startswith("/api/"):
            return JsonResponse(error_body(code="database_unavailable", message=DATABASE_UNAVAILABLE), status=503)
        return HttpResponse(f"<h1>Service unavailable</h1><p>{DATABASE_UNAVAILABLE}</p>", status=503)
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(code="server_error", message="Internal error; it has been logged."), status=500)
    return HttpResponse("<h1>Server error</h1><p>The error has been logged.</p>", status=500)
