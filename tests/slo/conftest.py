"""Fixtures of the slo tests: a fresh series cache and a helper to push per-minute traffic."""

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
    metrics_ingest(samples=validate_samples(samples, now=now.timestamp()), scope="t", batch_id=None, now=now)


def traffic(*, service: str, now: dt.datetime, minutes: int, ok: int, errors, offset: int = 0) -> list[dict]:
    """Delta samples of ``http_requests_total{service,code}``: per minute ``ok`` 200s and ``errors(m)``
    500s (``m`` minutes ago), for the ``minutes`` minutes ending at ``now - offset`` minutes."""
    out = []
    for m in range(offset, offset + minutes):
        ts = now.timestamp() - m * 60
        bad = errors(m) if callable(errors) else errors
        for code, value in (("200", ok), ("500", bad)):
            out.append({"metric": "http_requests_total", "labels": {"service": service, "code": code},
                        "value": value, "timestamp": ts, "kind": "delta"})  # fmt: skip
    return out


@pytest.fixture
def minute_now() -> dt.datetime:
    """A recent instant 30 s into a minute (so each sample lands in the minute it names)."""
    import time

    return dt.datetime.fromtimestamp((time.time() // 60) * 60 - 3600 + 30, tz=dt.UTC)
