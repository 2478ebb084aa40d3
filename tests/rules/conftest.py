"""Fixtures of the rules tests: a fresh series cache, pushing samples through the real ingest, a route whose
receiver records nothing outside (alerts go through the real intake)."""

from __future__ import annotations

import datetime as dt

import pytest

from telemetry.domain.samples import validate_samples
from telemetry.services import metrics_ingest
from telemetry.store import cache_clear


@pytest.fixture(autouse=True)
def _fresh_series_cache():
    cache_clear()
    yield
    cache_clear()


def push(samples: list[dict], *, now: dt.datetime) -> None:
    """Ingest ``samples`` (``{"metric", "labels", "value", "timestamp", "kind"}``) as the push API does."""
    metrics_ingest(samples=validate_samples(samples, now=now.timestamp()), scope="t", batch_id=None, now=now)


@pytest.fixture
def base_time() -> dt.datetime:
    """A recent minute boundary (samples must be within the retention and not in the future)."""
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    return now - dt.timedelta(hours=3)
