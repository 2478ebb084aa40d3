"""Webhook URLs given by subscribers: http(s) only, no credentials, and never a loopback, private, link-local or
otherwise non-public address unless an admin allowed it for that subscriber (no SSRF). The checks are the
outbound guard's (``sre.outbound``): here when the URL is given, and at delivery on the connection itself,
which goes only to an address the guard checked (no DNS rebinding)."""

from __future__ import annotations

from urllib.parse import urlsplit

from sre.errors import InvalidInputError
from sre.outbound import OutboundRefused, outbound_check

MAX_URL = 2000


def webhook_url_check(url: str, *, allow_private: bool = False, resolve: bool = True) -> str:
    """The URL, stripped, if it may be called; raises ``InvalidInputError`` saying why not."""
    url = (url or "").strip()
    if not url or len(url) > MAX_URL:
        message = f"Give an http(s) URL of at most {MAX_URL} characters."
        raise InvalidInputError("The webhook URL is missing or too long.", fields={"url": [message]})
    try:
        outbound_check(url, allow_private=allow_private, resolve=resolve and not allow_private)
    except OutboundRefused as exc:
        raise InvalidInputError(f"This webhook URL cannot be used: {exc}.", fields={"url": [f"{exc}."]}) from None
    return url


def url_display(url: str) -> str:
    """Scheme and host (no path or query, which may carry a token) for lists."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"[:200]
