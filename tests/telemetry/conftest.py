"""Fixtures of the telemetry tests."""

from __future__ import annotations

import pytest

from telemetry.store import cache_clear


@pytest.fixture(autouse=True)
def _fresh_series_cache():
    """Series ids are cached per process; every test starts from an empty (rolled back) database."""
    cache_clear()
    yield
    cache_clear()


@pytest.fixture
def ingest_client(token_client):
    return token_client(role="viewer", scopes=("ingest",))


@pytest.fixture
def read_client(token_client):
    return token_client(role="viewer", scopes=("read",))
