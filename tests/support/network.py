"""A socket guard for tests that must not send anything outside the machine (the API fuzzer, the role matrix)."""

from __future__ import annotations

import ipaddress
import socket

import pytest


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@pytest.fixture
def loopback_only(monkeypatch) -> list[str]:
    """Resolve and connect only to loopback. A name elsewhere does not resolve (as a typo would not: the outbound
    guards then refuse the URL), and a connection to another address, e.g. a literal public IP, fails and is
    recorded: the fixture's value lists them, so a test can say that none was tried."""
    connects: list[str] = []
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        if not is_loopback(name):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (test: loopback only)")
        return real_getaddrinfo(host, *args, **kwargs)

    def _check(address) -> None:
        if isinstance(address, tuple) and not is_loopback(str(address[0])):
            connects.append(str(address[0]))
            raise ConnectionRefusedError(f"test: no connection outside loopback ({address[0]})")

    def connect(self, address):
        _check(address)
        return real_connect(self, address)

    def connect_ex(self, address):
        _check(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    return connects
