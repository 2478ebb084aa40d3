"""PostgreSQL: intake claims that share a PagerDuty routing key's rate lock instead of locking the receivers.

Claims far from the rate limit run side by side; closer than one connection per possible concurrent claimer
they are left to ``_claim``, which holds the key's lock alone and so waits for every shared claim to finish."""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from alerts import sql
from alerts.models import DeliveryAttempt, Notification, Receiver
from alerts.services import alert_raise
from tests.alerts.test_reliability import all_delivered
from tests.support.servers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's; SQLite serialises every write transaction anyway")


def _raise(name: str) -> None:
    labels = {"alertname": name, "service": "payments-api", "severity": "critical"}
    alert_raise(labels=labels, annotations={}, status="firing", source="test", now=timezone.now())


def test_claims_share_the_key_until_too_close_to_the_limit(postgres_only, pd_tree, pd_stub, relaying, settings, claims):
    """Limit = connections + 2: the first two triggers are claimed with their alerts; with two sends in the
    window the third is written pending and goes through ``_claim``, which counts exactly and sends it."""
    settings.SRE = {**settings.SRE, "ALERTS_PAGERDUTY_RATE": sql.max_connections() + 2}
    for name in ("SharedOne", "SharedTwo"):
        _raise(name)
        wait_for(all_delivered, timeout=30, what=f"{name} delivered")
    _raise("SharedThree")
    third = Notification.objects.get(group__group_labels={"alertname": "SharedThree"})
    wait_for(all_delivered, timeout=30, what="the third trigger delivered")
    assert claims == [third.pk]  # only the third was claimed after the intake, by ``_claim``
    assert relaying == []  # the relay threads delivered all three
    assert list(DeliveryAttempt.objects.order_by("pk").values_list("number", "outcome")) == [(1, "success")] * 3
    assert [b["event_action"] for b in pd_stub.accepted()] == ["trigger"] * 3


def test_exclusive_claim_waits_for_a_shared_claim(postgres_only, pd_tree):
    """A transaction that claimed under the key's shared lock holds it until it ends; ``_claim``'s lock of the
    receivers' set (with the key's lock alone) cannot be had meanwhile, and can be once it has committed."""
    from alerts.services.delivery import _lock_receivers

    receiver = Receiver.objects.get(pk=pd_tree.receiver_id)
    holding, done = threading.Event(), threading.Event()

    def shared_claimer() -> None:
        try:
            with transaction.atomic():
                sql.rate_key_share(receiver.routing_key_digest)
                holding.set()
                done.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=shared_claimer)
    thread.start()
    try:
        assert holding.wait(30)
        with pytest.raises(OperationalError, match="lock timeout"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '300ms'")
            _lock_receivers(receiver, receiver.routing_key_digest)
    finally:
        done.set()
        thread.join(30)
    with transaction.atomic():
        assert [pk for pk, _ in _lock_receivers(receiver, receiver.routing_key_digest)] == [receiver.pk]
