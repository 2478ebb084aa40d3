"""A short, shared cache of the main pages, with one truth for whoever just wrote.

The pages an on-call engineer keeps open (alerts, SLOs, incidents, the status page admin, the Overview) are the same
for everyone of a role: 50 open Alerts pages do not need 50 triage passes over 500 groups per second. ``page`` (a
view's ``get`` decorated with ``shared_page``) keeps a page's response for ``TTL`` seconds through ``cached``, under
a key made of the name, the viewer's role, their time zone and the full path with its query string, so two admins
with the same filters share it and a viewer never gets a responder's buttons.

One truth: ``WriteMarkMiddleware`` notes in the session when a signed-in person's non-GET request succeeds (an
acknowledge, a resolve, an edit: status < 400). For the next ``TTL + BYPASS_EXTRA`` seconds ``cached`` builds
their pages afresh and does not store them, so the person who just acted sees it at once; everyone else sees it
within ``TTL`` seconds plus one rebuild (entries made before the write are gone by the time the bypass ends). The
live refresh polls every 10-30 s anyway.

What is personal is never shared: a page is built with placeholders for the CSRF token, the user's name and the top
bar's heartbeat (``sre.context_processors.shell`` gives them while ``BUILDING``), each filled in per request
(``personalise``), so no token or name is ever shared between users and a page served from the cache renders no
template at all. A page
with a message to show (after a redirect) is never shared. The placeholders hold a digest of ``SECRET_KEY``: text a
user typed into a page cannot name one and have another viewer's token put in its place.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.messages.storage.session import SessionStorage
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.html import escape

from sre.auth.roles import user_role
from sre.shell import heartbeat_age_now, shell_heartbeat

TTL = 5  # seconds a value is fresh
GRACE = 10  # seconds a stale value is kept to answer while one request rebuilds it
BYPASS_EXTRA = TTL  # a writer's pages skip the cache TTL + this long: covers a rebuild that began before the write
WROTE_AT = "pagecache_wrote_at"  # session key: when this person last changed something


def _placeholder(name: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"sre.pagecache:{name}".encode(), hashlib.sha256).hexdigest()
    return f"pagecache-{name}-{digest[:20]}"


CSRF_PLACEHOLDER = _placeholder("csrf")
USER_PLACEHOLDER = _placeholder("user")
HEARTBEAT_PLACEHOLDER = f"<!--{_placeholder('heartbeat')}-->"
BUILDING = "_sre_pagecache_building"  # request attribute while ``page`` builds a response to share
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

T = TypeVar("T")


def key_for(request: HttpRequest, name: str) -> str:
    """Name, role, time zone and the full path with its query string (hashed: cache keys have a length limit)."""
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    zone = timezone.get_current_timezone_name()
    return f"sre:page:{name}:{user_role(request.user)}:{zone}:{path}"


def recently_wrote(request: HttpRequest, seconds: float = TTL) -> bool:
    session = getattr(request, "session", None)
    if session is None:
        return False
    at = session.get(WROTE_AT)
    return isinstance(at, int | float) and time.time() - at < seconds


def cached(request: HttpRequest, name: str, build: Callable[[], T], *, seconds: float = TTL) -> T:
    """``build()``'s value (picklable), shared for ``seconds`` by everyone of the same role asking for the same
    path; built afresh (and not stored) for someone who wrote in the last ``BYPASS`` seconds.

    One rebuild at a time: when the value is older than ``seconds``, the first request to notice rebuilds it and
    the others that arrive meanwhile get the previous value (at most ``seconds`` plus one build old) instead of
    all rebuilding at once: four threads of a worker rebuilding the same page together under load made the
    slowest requests wait seconds."""
    if recently_wrote(request, max(seconds, TTL) + BYPASS_EXTRA):
        return build()
    key = key_for(request, name)
    entry = cache.get(key)
    if entry is not None and entry[0] > time.time():
        return entry[1]
    building = f"{key}:building"
    if entry is not None and not cache.add(building, 1, GRACE):
        return entry[1]  # someone else is rebuilding it right now
    try:
        value = build()
        # Fresh for a random 50-100 % of ``seconds``: entries made together (a page rotating over 20 incidents,
        # the first minute after a start) would otherwise all go stale together and be rebuilt in one burst that
        # holds up every request behind it; nobody sees a value older than ``seconds`` plus one build.
        fresh = seconds * random.uniform(0.5, 1.0)
        cache.set(key, (time.time() + fresh, value), seconds + GRACE)
    finally:
        if entry is not None:
            cache.delete(building)
    return value


class _NotShared(Exception):
    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def page(request: HttpRequest, name: str, respond: Callable[[], HttpResponse]) -> HttpResponse:
    """``respond()``'s whole response, shared like ``cached`` (per role, time zone and full path; htmx's partial
    apart) and personalised per request (``personalise``). Only a plain 200 HTML answer is shared; anything else
    (a redirect, a 404, extra headers or cookies) is served as built. Someone with a message waiting (set before a
    redirect) or who just wrote gets the page built for them alone."""
    if _messages_waiting(request) or recently_wrote(request, TTL + BYPASS_EXTRA):
        return respond()

    def build() -> tuple[str, str]:
        setattr(request, BUILDING, True)
        try:
            response = respond()
        finally:
            delattr(request, BUILDING)
        if (
            response.status_code != 200
            or response.streaming
            or response.cookies
            or set(response.headers) - {"Content-Type"}
            or not response.get("Content-Type", "").startswith("text/html")
        ):
            raise _NotShared(response)
        return response.content.decode(response.charset), response["Content-Type"]

    # htmx's partial apart, keyed by the header's own value: views differ in which values they take for a partial,
    # and "HX-Request: false" must not store a whole page where the live refresh reads its partial
    hx = request.headers.get("HX-Request", "")
    variant = f":hx-{hashlib.sha256(hx.encode()).hexdigest()[:12]}" if hx else ""
    try:
        content, content_type = cached(request, f"page:{name}{variant}", build)
    except _NotShared as built:
        response = built.response
        if not response.streaming:
            response.content = personalise(request, response.content.decode(response.charset))
        return response
    return HttpResponse(personalise(request, content), content_type=content_type)


def shared_page(name: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A view's ``get`` served through ``page`` under ``name`` (the key adds the role, time zone and full path)."""

    def decorate(method: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(method)
        def get(self: Any, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            return page(request, name, lambda: method(self, request, *args, **kwargs))

        return get

    return decorate


def personalise(request: HttpRequest, html: str) -> str:
    """A shared page with this viewer's CSRF token, name and the heartbeat of now in place of the placeholders."""
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    if HEARTBEAT_PLACEHOLDER in html:
        html = html.replace(HEARTBEAT_PLACEHOLDER, shell_heartbeat(age=heartbeat_age_now()))
    if USER_PLACEHOLDER in html:
        html = html.replace(USER_PLACEHOLDER, escape(request.user.get_username()))
    return html


def _messages_waiting(request: HttpRequest) -> bool:
    """A message stored for this person (the cookie or the session of Django's default message storage)."""
    if request.COOKIES.get(getattr(settings, "MESSAGE_COOKIE_NAME", "messages")):
        return True
    session = getattr(request, "session", None)
    return bool(session is not None and session.get(SessionStorage.session_key))


class WriteMarkMiddleware:
    """Marks the session of a signed-in person whose non-GET request succeeded, so ``cached`` skips the cache for
    them for the next ``TTL`` seconds. Goes after the session and authentication middleware."""

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        # Signed in before the request: signing in itself (a POST that succeeds) changes nothing on any page.
        writer = request.method not in SAFE_METHODS and getattr(
            getattr(request, "user", None), "is_authenticated", False
        )
        response = self.get_response(request)
        if writer and response.status_code < 400 and getattr(request, "session", None) is not None:
            request.session[WROTE_AT] = time.time()
        return response
