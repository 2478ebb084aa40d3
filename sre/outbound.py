"""The one guard for outbound HTTP(S) to URLs users give (alert receivers, status page webhooks, …).

A check that resolves the host and a connection that resolves it again can be told two different answers:
a name that is public when checked and 127.0.0.1 when connected to (DNS rebinding) used to pass both of our
guards. Here the host is resolved once, every address it resolves to is checked (loopback, private,
link-local, multicast and reserved addresses are refused unless private targets are allowed), and the
connection is made to one of exactly those addresses. The Host header, TLS SNI and certificate check keep
using the name, so nothing else changes for the receiver.

Two transports sit on it: ``outbound_session`` (``requests``: urllib3 connections whose ``_new_conn``
connects to the checked address) and ``outbound_httpx_transport`` (``httpx2``, which the official PagerDuty
client uses: a network backend that does the same). Neither honours proxy settings from the environment, as a
proxy would make its own lookup. ``outbound_check`` is the same check without a connection, for forms.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import httpcore2
import httpx2
import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util import connection as urllib3_connection

from sre.domain.links import http_url
from sre.observability.tracing import outbound_span

LOCAL_NAMES = ("localhost", "localhost.localdomain")


class OutboundRefused(Exception):
    """The URL may not be called; the message says why. Not an ``OSError``: a refusal is final, never
    retried as a network failure would be."""


@dataclass(frozen=True)
class OutboundTarget:
    url: str
    host: str
    port: int
    addresses: tuple[str, ...]


def address_public(address: str) -> bool:
    """Whether an IP address is on the public internet (an IPv4-mapped IPv6 address counts as its IPv4)."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local)


def outbound_addresses(host: str, port: int, *, allow_private: bool) -> tuple[str, ...]:
    """Resolve ``host`` once and return its addresses, all of them checked; raises ``OutboundRefused``."""
    name = host.strip("[]").rstrip(".").lower()
    if not allow_private and name in LOCAL_NAMES:
        raise OutboundRefused(f"{host} is this machine")
    try:
        infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise OutboundRefused(f"cannot resolve {host}") from None
    addresses = tuple(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise OutboundRefused(f"cannot resolve {host}")
    if not allow_private:
        for address in addresses:
            if not address_public(address):
                raise OutboundRefused(f"{host} resolves to {address}, a non-public address")
    return addresses


def outbound_check(url: str, *, allow_private: bool, resolve: bool = True) -> OutboundTarget:
    """The URL's shape (http(s) with a host, no credentials) and, when ``resolve``, its addresses."""
    if http_url(url) is None:
        raise OutboundRefused("only http:// and https:// URLs with a host are allowed")
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise OutboundRefused("credentials are not allowed in the URL")
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    addresses: tuple[str, ...] = ()
    if resolve:
        addresses = outbound_addresses(host, port, allow_private=allow_private)
    elif not allow_private and _literal(host) and not address_public(host):
        raise OutboundRefused(f"{host} is a non-public address")
    return OutboundTarget(url=url, host=host, port=port, addresses=addresses)


def _literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return False
    return True


# --- requests / urllib3 ---------------------------------------------------------------------------------


class _GuardedConnectionMixin:
    allow_private = False

    def _new_conn(self) -> socket.socket:
        addresses = outbound_addresses(self.host, self.port, allow_private=self.allow_private)
        failure: Exception | None = None
        for address in addresses:  # the checked addresses, never a second lookup of the name
            try:
                return urllib3_connection.create_connection(
                    (address, self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as exc:
                message = f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
                failure = ConnectTimeoutError(self, message)
                failure.__cause__ = exc
            except OSError as exc:
                failure = NewConnectionError(self, f"Failed to establish a new connection: {exc}")
                failure.__cause__ = exc
        raise failure  # type: ignore[misc]  # addresses is never empty


@lru_cache(maxsize=2)
def _pool_classes(allow_private: bool) -> dict[str, type]:
    http_conn = type("GuardedHTTPConnection", (_GuardedConnectionMixin, HTTPConnection), {})
    https_conn = type("GuardedHTTPSConnection", (_GuardedConnectionMixin, HTTPSConnection), {})
    http_conn.allow_private = https_conn.allow_private = allow_private
    return {
        "http": type("GuardedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
        "https": type("GuardedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}),
    }


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.allow_private)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        raise OutboundRefused("outbound requests to user URLs do not go through a proxy")


def outbound_session(*, allow_private: bool) -> requests.Session:
    """A ``requests`` session whose every connection goes to an address the guard checked."""
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: it would resolve the name itself
    for prefix in ("http://", "https://"):
        session.mount(prefix, _GuardedAdapter(allow_private=allow_private))
    return session


def outbound_post(
    url: str,
    *,
    allow_private: bool,
    data: bytes,
    headers: dict[str, str],
    timeout: float,
    verify: Any = True,
) -> requests.Response:
    """POST ``data`` to ``url`` through the guard; redirects are not followed (a redirect is the answer)."""
    outbound_check(url, allow_private=allow_private, resolve=False)
    with outbound_session(allow_private=allow_private) as session:
        return session.post(url, data=data, headers=headers, timeout=timeout, allow_redirects=False, verify=verify)


# --- httpx2 (the PagerDuty client) ---------------------------------------------------------------------


class _GuardedBackend(httpcore2.SyncBackend):
    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.NetworkStream:
        failure: Exception | None = None
        for address in outbound_addresses(host, port, allow_private=self.allow_private):
            try:  # an address literal: no second lookup of the name; TLS still uses the name (SNI)
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore2.ConnectError as exc:
                failure = exc
        raise failure  # type: ignore[misc]  # addresses is never empty


class _GuardedTransport(httpx2.HTTPTransport):
    def __init__(self, *, allow_private: bool, verify: Any = True) -> None:
        super().__init__(verify=verify, trust_env=False)
        # Where connections go is httpcore's network backend, which HTTPTransport does not take: its pool is
        # replaced by one with the same TLS settings and the guarded backend.
        self._pool = httpcore2.ConnectionPool(
            ssl_context=httpx2.create_ssl_context(verify=verify, trust_env=False),
            network_backend=_GuardedBackend(allow_private=allow_private),
        )

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        # No OpenTelemetry instrumentation knows httpx2: the span (and the traceparent header) is made here.
        with outbound_span(method=request.method, url=str(request.url)) as (headers, record_status):
            request.headers.update(headers)
            response = super().handle_request(request)
            record_status(response.status_code)
            return response


def outbound_httpx_transport(*, allow_private: bool, verify: Any = True) -> httpx2.HTTPTransport:
    """An ``httpx2`` transport whose every connection goes to an address the guard checked."""
    return _GuardedTransport(allow_private=allow_private, verify=verify)
