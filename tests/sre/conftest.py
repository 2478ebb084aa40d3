"""Fixtures of the sre tests."""

from tests.support.network import loopback_only  # noqa: F401 (a fixture: resolve and connect only to loopback)
