"""Group commit (``alerts.combine``): webhooks queued while an intake transaction runs share the next one; each
request still gets exactly its own alerts, committed; shared alerts keep their order; a failing shared
transaction costs no other webhook anything."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import OperationalError, connection

from alerts import combine
from alerts.models import Alert, AlertGroup, Notification
from alerts.services import AlertInput
from sre.errors import InvalidInputError


def webhook(name: str, count: int = 2, status: str = "firing") -> list[AlertInput]:
    return [AlertInput(labels={"alertname": name, "instance": f"host-{i}"}, status=status) for i in range(count)]


class Held:
    """What ``alerts_store`` was called with (alert names per call); the first call waits for ``release`` so the
    requests that arrive meanwhile queue behind it; a call holding a name in ``poison`` fails as a deadlock would."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.entered, self.release = threading.Event(), threading.Event()
        self.poison: set[str] = set()


@pytest.fixture
def held(monkeypatch) -> Held:
    held = Held()
    real_store = combine.alerts_store

    def store(*, items, source, now):
        held.calls.append([item.labels["alertname"] for item in items])
        if len(held.calls) == 1:
            held.entered.set()
            assert held.release.wait(10)
        if held.poison & set(held.calls[-1]):
            raise OperationalError("deadlock detected")
        return real_store(items=items, source=source, now=now)

    monkeypatch.setattr(combine, "alerts_store", store)
    combine.combine_in_process()
    yield held
    combine.combine_stop()


def send_all(held: Held, first, others) -> dict[str, list | BaseException]:
    """Send ``first`` (its result is "A") and, while its transaction is held, ``others`` ({name: (items,
    source)}); returns each request's alerts (or what it raised)."""
    results: dict[str, list | BaseException] = {}

    def send(name, items, source):
        try:
            results[name] = combine.alerts_ingest_shared(items=items, source=source)
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            results[name] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=("A", first, "alertmanager"))]
    threads[0].start()
    assert held.entered.wait(10)
    for name, (items, source) in others.items():
        thread = threading.Thread(target=send, args=(name, items, source))
        threads.append(thread)
        thread.start()
        deadline = time.monotonic() + 10  # until it is queued (or refused), so the queue keeps this order
        while not any(w.items is items for w in combine._pending) and thread.is_alive():
            assert time.monotonic() < deadline
            time.sleep(0.01)
    held.release.set()
    for thread in threads:
        thread.join(20)
    return results


def names(alerts) -> list[tuple[str, str]]:
    return [(a.labels["alertname"], a.labels["instance"]) for a in alerts]


def test_webhooks_queued_behind_a_transaction_share_the_next_one(transactional_db, root_route, held):
    others = {name: (webhook(name), "alertmanager") for name in ("B", "C", "D")}
    results = send_all(held, webhook("A"), others)
    assert held.calls == [["A", "A"], ["B", "B", "C", "C", "D", "D"]]
    for name in "ABCD":
        assert names(results[name]) == [(name, "host-0"), (name, "host-1")]
        assert all(a.pk and a.status == "firing" for a in results[name])
    assert Alert.objects.count() == 8
    assert AlertGroup.objects.count() == 4 and Notification.objects.count() == 4


def test_a_shared_alert_waits_for_the_next_transaction_and_keeps_its_order(transactional_db, root_route, held):
    fired = [AlertInput(labels={"alertname": "X", "instance": "host-0"})]
    resolved = [AlertInput(labels={"alertname": "X", "instance": "host-0"}, status="resolved")]
    others = {"fire": (fired, "alertmanager"), "resolve": (resolved, "alertmanager"), "other": (webhook("Y"), "api")}
    results = send_all(held, webhook("A"), others)
    # The resolve shares X with the firing queued before it; the generic-API webhook has another source.
    assert held.calls == [["A", "A"], ["X"], ["X"], ["Y", "Y"]]
    alert = Alert.objects.get(labels__alertname="X")
    assert alert.status == "resolved" and alert.receive_count == 2
    assert results["resolve"][0].status == "resolved" and results["fire"][0].pk == alert.pk
    assert Alert.objects.get(labels__alertname="Y", labels__instance="host-0").source == "api"


def test_a_failing_shared_transaction_writes_each_webhook_alone(transactional_db, root_route, held):
    held.poison = {"Poison"}
    others = {"B": (webhook("B"), "alertmanager"), "P": (webhook("Poison"), "alertmanager")}
    results = send_all(held, webhook("A"), others)
    assert held.calls[1:] == [["B", "B", "Poison", "Poison"], ["B", "B"], ["Poison", "Poison"]]
    assert isinstance(results["P"], OperationalError)
    assert names(results["B"]) == [("B", "host-0"), ("B", "host-1")]
    assert set(Alert.objects.values_list("labels__alertname", flat=True)) == {"A", "B"}


def test_bad_webhook_is_refused_alone_and_at_once(transactional_db, root_route, held):
    bad = [AlertInput(labels={"alertname": "Bad", "0-not-a-name": "x"})]
    results = send_all(held, webhook("A"), {"bad": (bad, "alertmanager"), "B": (webhook("B"), "alertmanager")})
    assert isinstance(results["bad"], InvalidInputError)
    assert held.calls == [["A", "A"], ["B", "B"]]
    assert not Alert.objects.filter(labels__alertname="Bad").exists()


def test_without_combining_each_webhook_is_its_own_transaction(db, root_route):
    alerts = combine.alerts_ingest_shared(items=webhook("Solo"), source="api")
    assert names(alerts) == [("Solo", "host-0"), ("Solo", "host-1")] and alerts[0].source == "api"
    with pytest.raises(InvalidInputError):
        combine.alerts_ingest_shared(items=[AlertInput(labels={})], source="api")


def test_a_shared_transaction_that_breaks_the_connection_does_not_fail_the_others(
    transactional_db, root_route, held, monkeypatch
):
    """The shared transaction dies with its connection (as in a database restart): the webhooks written alone
    afterwards get a new connection instead of failing on the dead one."""
    store, broken = combine.alerts_store, []

    def breaking_store(*, items, source, now):
        if len({item.labels["alertname"] for item in items}) > 1 and not broken:
            broken.append(True)
            connection.ensure_connection()
            connection.connection.close()  # the server side is gone
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")  # fails, and Django notes the error
        return store(items=items, source=source, now=now)

    monkeypatch.setattr(combine, "alerts_store", breaking_store)
    results = send_all(held, webhook("A"), {"B": (webhook("B"), "alertmanager"), "C": (webhook("C"), "alertmanager")})
    assert names(results["B"]) == [("B", "host-0"), ("B", "host-1")]
    assert names(results["C"]) == [("C", "host-0"), ("C", "host-1")]
    assert set(Alert.objects.values_list("labels__alertname", flat=True)) == {"A", "B", "C"}
