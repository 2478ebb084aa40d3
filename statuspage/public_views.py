"""The public status page (anonymous). Pages, JSON and feeds are served from the static snapshot (no
database needed); only the subscription forms reach the database. Nothing internal is read here: the
snapshot is built from ``selectors.page.PageData`` and ``public_serializers``."""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import DatabaseError
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from sre.errors import DomainError
from statuspage import conf, metrics, snapshot
from statuspage.choices import SubscriberKind
from statuspage.selectors import components_in_page_order
from statuspage.services import subscriber_confirm, subscriber_subscribe, subscriber_unsubscribe
from statuspage.wsgi import snapshot_headers

logger = logging.getLogger(__name__)


def _not_found(path: str) -> HttpResponse:
    if path.endswith((".json", ".atom", ".rss")):
        return JsonResponse(
            {"error": {"code": "not_found", "message": "No such status document.", "fields": {}}}, status=404
        )
    return HttpResponse(
        "<!doctype html><title>Not found</title><h1>Not found</h1><p><a href='/status/'>System status</a></p>",
        status=404,
    )


class SnapshotView(View):
    """Any ``/status/…`` page, JSON document or feed, answered from the snapshot. When there is no snapshot
    yet it is rendered now (needs the database); if that fails too the answer is 503 with a retry hint."""

    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, path: str = "") -> HttpResponse:

        target = snapshot.file_for(path)
        if target is None:
            return _not_found(path)
        if snapshot.snapshot_info() is None:
            try:
                snapshot.snapshot_render(now=timezone.now())
            except DatabaseError:
                logger.exception("statuspage: no snapshot and the database is unavailable")
                response = HttpResponse("Status is temporarily unavailable.", status=503, content_type="text/plain")
                response["Retry-After"] = "30"
                return response
        try:
            stat = target.stat()
            handle = open(target, "rb")  # noqa: SIM115 - FileResponse closes it
        except OSError:
            return _not_found(path)
        metrics.SNAPSHOT_SERVED.labels("django").inc()
        response = FileResponse(handle)
        for name, value in snapshot_headers(target, size=stat.st_size, mtime=stat.st_mtime):
            response[name] = value
        return response


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _rate_limited(request: HttpRequest) -> bool:
    """Sign-ups per address per hour (``STATUSPAGE_SUBSCRIBE_RATE``), counted in the shared cache."""
    key = f"statuspage:subscribe:{_client_ip(request)}"
    limit = conf.get("STATUSPAGE_SUBSCRIBE_RATE")
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, 3600)
        count = 1
    return count > limit


def _components() -> list:
    try:
        return components_in_page_order()
    except DatabaseError:
        return []


@method_decorator(csrf_exempt, name="dispatch")  # anonymous form on a static page: no session to protect;
class SubscribeView(View):  # double opt-in and the rate limit are the protection
    """``GET`` the form, ``POST`` a subscription (email double opt-in, or a webhook URL)."""

    template_name = "statuspage/public/subscribe.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"components": _components(), "form": {}, "base": "/status/"})

    def post(self, request: HttpRequest) -> HttpResponse:

        form = {
            "kind": request.POST.get("kind", SubscriberKind.EMAIL),
            "email": request.POST.get("email", "")[:300],
            "url": request.POST.get("url", "")[:3000],
            "components": request.POST.getlist("components")[:500],
        }
        context = {"components": _components(), "form": form, "base": "/status/"}
        if _rate_limited(request):
            context["error"] = "Too many sign-ups from your address. Try again in an hour."
            response = render(request, self.template_name, context, status=429)
            response["Retry-After"] = "3600"
            return response
        try:
            subscriber_subscribe(
                kind=form["kind"],
                email=form["email"],
                url=form["url"],
                component_ids=form["components"],
                now=timezone.now(),
            )
        except DomainError as exc:
            context["error"] = exc.message
            context["fields"] = exc.fields
            return render(request, self.template_name, context, status=400)
        except DatabaseError:
            context["error"] = "Subscriptions are unavailable right now; please try again later."
            return render(request, self.template_name, context, status=503)
        if form["kind"] == SubscriberKind.EMAIL:
            context["done"] = "Check your inbox: we sent a link to confirm the subscription."
        else:
            context["done"] = "Your webhook is subscribed. Every payload carries an unsubscribe link."
        return render(request, self.template_name, context)


@method_decorator(csrf_exempt, name="dispatch")  # the signed token in the URL is the authorisation
class TokenActionView(View):
    """Confirm (``action="confirm"``) or unsubscribe: ``GET`` shows a button (mail scanners prefetch links),
    ``POST`` acts. ``POST`` also serves RFC 8058 one-click unsubscribe."""

    action = "confirm"
    template_name = "statuspage/public/token_action.html"

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        return render(request, self.template_name, {"action": self.action, "token": token, "base": "/status/"})

    def post(self, request: HttpRequest, token: str) -> HttpResponse:

        context = {"action": self.action, "token": token, "base": "/status/"}
        try:
            if self.action == "confirm":
                subscriber_confirm(token=token[:1000], now=timezone.now())
            else:
                subscriber_unsubscribe(token=token[:1000])
        except DomainError as exc:
            context["error"] = exc.message
            return render(request, self.template_name, context, status=400)
        except DatabaseError:
            context["error"] = "This is unavailable right now; please try again later."
            return render(request, self.template_name, context, status=503)
        context["done"] = True
        return render(request, self.template_name, context)
