"""Webhook URLs given by subscribers: http(s) only, and never a loopback, private, link-local or otherwise
non-public address unless an admin allowed it for that subscriber (no SSRF). Checked when the URL is
given and again, after a fresh DNS lookup, right before each delivery."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from sre.errors import InvalidInputError

MAX_URL = 2000


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local)


def webhook_url_check(url: str, *, allow_private: bool = False, resolve: bool = True) -> str:
    """The URL, stripped, if it may be called; raises ``InvalidInputError`` saying why not."""
    url = (url or "").strip()
    fields = {"url": []}
    if not url or len(url) > MAX_URL:
        fields["url"].append(f"Give an http(s) URL of at most {MAX_URL} characters.")
        raise InvalidInputError("The webhook URL is missing or too long.", fields=fields)
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InvalidInputError("The webhook URL does not parse.", fields={"url": ["Not a URL."]}) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError("Webhook URLs must be http:// or https://.", fields={"url": ["http(s) only."]})
    if parts.username or parts.password:
        raise InvalidInputError("No credentials in the URL, please.", fields={"url": ["Credentials not allowed."]})
    if allow_private:
        return url
    host = parts.hostname
    try:
        addresses = [host] if _is_ip(host) else []
        if not addresses and resolve:
            addresses = sorted({info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)})
    except (OSError, UnicodeError):
        raise InvalidInputError(
            f"Cannot resolve {host}.", fields={"url": ["The host name does not resolve."]}
        ) from None
    if host.lower() in ("localhost", "localhost.localdomain") or (not addresses and resolve):
        raise InvalidInputError("Webhooks cannot point at this machine.", fields={"url": ["Loopback address."]})
    for address in addresses:
        if not _public(address):
            raise InvalidInputError(
                "Webhooks cannot point at loopback, private or link-local addresses.",
                fields={"url": [f"{address} is not a public address."]},
            )
    return url


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return False
    return True


def url_display(url: str) -> str:
    """Scheme and host (no path or query, which may carry a token) for lists."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"[:200]
