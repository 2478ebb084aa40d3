"""Gives each request an id (an incoming well-formed ``X-Request-ID``, else a new one), echoed in the response
header and put in every log line written while it is served, and logs one line per request with its duration."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from sre.observability.context import request_id_accept, request_id_var, request_var

logger = logging.getLogger("sre.request")

_REGEX_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def route_text(route: str) -> str:
    """A URL pattern as a reader writes it: ``api/v1/alerts/groups/(?P<pk>[^/.]+)/?$`` (DRF's router) is
    ``/api/v1/alerts/groups/<pk>``; path converters (``<int:pk>``) stay as they are."""
    route = _REGEX_GROUP.sub(r"<\1>", route).replace("/?$", "").replace("\\.", ".")
    return "/" + route.lstrip("^").rstrip("$")


# Probes and scrapes come every few seconds from machines: their lines are DEBUG, not INFO.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class RequestContextMiddleware:
    """First in ``MIDDLEWARE``: everything after it, and every thread it hands work to with the current context
    (``alerts.relay``), logs with the request's id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = request_id_accept(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id  # type: ignore[attr-defined]
        id_token = request_id_var.set(request_id)
        request_token = request_var.set(request)
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            level = logging.DEBUG if request.path in QUIET_PATHS else logging.INFO
            if logger.isEnabledFor(level):  # at WARNING (make run) the line costs nothing to build
                self._log(request, response, level, started)
            return response
        finally:
            request_var.reset(request_token)
            request_id_var.reset(id_token)

    @staticmethod
    def _log(request: HttpRequest, response: HttpResponse, level: int, started: float) -> None:
        match = getattr(request, "resolver_match", None)
        # The route pattern, not the path: paths carry ids and secrets (heartbeat ping URLs).
        route = route_text(match.route) if match is not None else None
        logger.log(
            level,
            "%s %s %s",
            request.method,
            route or request.path,
            response.status_code,
            extra={
                "method": request.method,
                "route": route,
                "view": (match.view_name or "unnamed") if match is not None else "unmatched",
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            },
        )
