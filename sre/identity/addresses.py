"""The client's address, one rule for sign-in lockout and API-token throttling.

``REMOTE_ADDR`` unless ``SRE["PROXY_COUNT"]`` says that many reverse proxies append to ``X-Forwarded-For``; then
the address the outermost trusted proxy saw. Entries a client put in the header itself are never used.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

UNKNOWN_ADDRESS = "0.0.0.0"  # noqa: S104 - a placeholder value, never bound to


def client_address(request: HttpRequest) -> str:
    # No address at all (a request Django builds itself, as force_login does; a Unix socket): one shared,
    # valid placeholder, since axes stores and queries it in an IP address column.
    remote = request.META.get("REMOTE_ADDR", "") or UNKNOWN_ADDRESS
    proxies = settings.SRE.get("PROXY_COUNT", 0)
    if not proxies:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    # Each trusted proxy appended the address it received from; the last one appended by the outermost proxy is
    # the client's. Fewer entries than proxies means the request did not come through all of them.
    if len(hops) < proxies:
        return remote
    return hops[-proxies]
