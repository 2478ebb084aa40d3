"""Fixtures of the alerts tests: a routing tree with immediate group_wait."""

from __future__ import annotations

import pytest

from tests.alerts.factories import ReceiverFactory, RouteFactory


@pytest.fixture
def root_route(db):
    """Root route to a ledger receiver, grouped by alertname, no waiting (group_wait 0)."""
    return RouteFactory(
        name="root",
        parent=None,
        receiver=ReceiverFactory(name="default"),
        group_by=["alertname"],
        group_wait=0,
        group_interval=60,
        repeat_interval=3600,
    )


@pytest.fixture(autouse=True)
def _celery_eager():
    """Delivery tasks run inline when a test commits (nothing is left in a broker folder)."""
    from sre.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def pd_stub():
    from tests.alerts.pagerduty_stub import PagerDutyStub

    stub = PagerDutyStub()
    yield stub
    stub.close()


@pytest.fixture
def alert_settings(settings, pd_stub):
    """Trust the stub's certificate, allow loopback targets, fast backoff."""
    settings.SRE = {
        **settings.SRE,
        "ALERTS_CA_FILE": str(pd_stub.cert),
        "ALERTS_ALLOW_PRIVATE_TARGETS": True,
        "ALERTS_BACKOFF_BASE": 0.01,
        "ALERTS_BACKOFF_CAP": 0.05,
        "ALERTS_BREAKER_THRESHOLD": 3,
        "ALERTS_BREAKER_COOLDOWN": 0.05,
    }
    return settings


def pagerduty_root(stub, *, name: str, routing_key: str, timeout: int):
    """Root route (grouped by alertname, no waiting) to a PagerDuty receiver that points at the stub."""
    from alerts.choices import ReceiverKind
    from alerts.services.receivers import receiver_save

    receiver = receiver_save(
        receiver=None,
        data={"name": name, "kind": ReceiverKind.PAGERDUTY, "url": stub.url, "timeout_seconds": timeout},
        routing_key=routing_key,
    )
    return RouteFactory(
        name="root",
        parent=None,
        receiver=receiver,
        group_by=["alertname"],
        group_wait=0,
        group_interval=1,
        repeat_interval=3600,
    )


@pytest.fixture
def pd_route(db, pd_stub, alert_settings):
    """Root route to a PagerDuty receiver that points at the stub."""
    return pagerduty_root(pd_stub, name="pagerduty", routing_key="R0UTINGKEY0000000000000000000001", timeout=5)


@pytest.fixture
def pd_tree(transactional_db, pd_stub, alert_settings):
    """The same, committed (for tests with other processes)."""
    return pagerduty_root(pd_stub, name="pd", routing_key="ROUTINGKEY-RELIABILITY", timeout=2)


@pytest.fixture
def relaying(monkeypatch):
    """This process relays (as a web worker does); Celery must not be asked to deliver."""
    from alerts import relay
    from alerts.tasks import notification_deliver_task

    sent_to_celery: list[int] = []
    monkeypatch.setattr(
        notification_deliver_task, "delay", lambda notification_id: sent_to_celery.append(notification_id)
    )
    relay.relay_in_process()
    yield sent_to_celery
    relay.relay_stop()


@pytest.fixture
def claims(monkeypatch):
    """The ids of the notifications claimed the usual way (``delivery._claim``), not in the intake transaction."""
    import alerts.services.delivery as delivery

    claimed: list[int] = []
    real_claim = delivery._claim
    monkeypatch.setattr(
        delivery,
        "_claim",
        lambda notification_id, **kw: claimed.append(notification_id) or real_claim(notification_id, **kw),
    )
    return claimed
