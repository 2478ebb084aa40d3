"""Which URLs may become links or outbound requests: absolute http:// or https:// URLs with a host.

The one check of a URL's shape: templates use it through the ``http_href`` filter (``sre_links``), the
notification payloads for their links, and the outbound guard (``sre.outbound``) before it resolves the host.
Anything else a user or an alert source sends (``javascript:``, ``data:``, relative paths, URLs with
control characters a browser would silently drop) is shown as text, never as a link.
"""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_URL = 2000
SCHEMES = ("http", "https")


def http_url(url: object) -> str | None:
    """``url`` when it is an absolute http(s) URL with a host and nothing a browser would rewrite, else None."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL or url != url.strip():
        return None
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in SCHEMES or not parts.hostname:
        return None
    return url
