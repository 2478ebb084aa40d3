"""Fixtures of the releases tests: SLOs with an evaluated status (as ``slo.evaluate`` writes it), so budget
notices and the gate can be driven by exact numbers without pushing traffic."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.slo.factories import ServiceFactory, SLOFactory

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)


def status(*, bad: int | None, total: int | None, target: str = "0.999", at: dt.datetime = NOW) -> dict:
    """An SLO status document with the numbers the releases app reads (``slo.services.status_document``)."""
    data_state = "ok" if total else "no_data"
    allowed = None if total is None else float(Decimal(total) * (1 - Decimal(target)))
    consumed = None if not total else bad / allowed
    return {
        "evaluated_at": at.isoformat(),
        "target": target,
        "window": {
            "kind": "rolling",
            "seconds": 30 * 86400,
            "start": (at - dt.timedelta(days=30)).isoformat(),
            "end": at.isoformat(),
        },
        "data_state": data_state,
        "error": "",
        "error_budget": {
            "total_events": None if total is None else float(total),
            "allowed_bad": allowed,
            "bad": None if bad is None else float(bad),
            "remaining_ratio": None if consumed is None else 1 - consumed,
            "consumed_ratio": consumed,
        },
    }


def set_consumed(slo, percent: float, *, total: int = 1_000_000, at: dt.datetime = NOW) -> None:
    """Give ``slo`` (target 0.999) a status with ``percent`` of its budget consumed."""
    bad = round(total * (1 - float(slo.target)) * percent / 100)
    slo.status = status(bad=bad, total=total, target=str(slo.target), at=at)
    slo.status_at = at
    slo.save(update_fields=["status", "status_at"])


@pytest.fixture
def checkout(db):
    return ServiceFactory(name="checkout", owner_team="payments")


@pytest.fixture
def slo(checkout):
    return SLOFactory(service=checkout, name="checkout-availability", target=Decimal("0.999"))


@pytest.fixture(autouse=True)
def _fresh_series_cache():
    from telemetry.store import cache_clear

    cache_clear()
    yield
    cache_clear()


@pytest.fixture
def webhook():
    """A loopback receiver of signed webhooks (``tests.oncall.stubs.WebhookStub``: 401 unless the HMAC matches)."""
    from tests.oncall.stubs import WebhookStub

    stub = WebhookStub(secret="rollback-secret")
    yield stub
    stub.close()


@pytest.fixture
def private_targets(settings):
    """The loopback receiver is a private target: allowed here as the outbound guard's own tests allow it."""
    settings.SRE = {**settings.SRE, "ALERTS_ALLOW_PRIVATE_TARGETS": True}
