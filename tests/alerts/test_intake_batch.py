"""Intake in bulk: a constant number of queries per batch, the cached configuration follows every change,
and the timeline says which alerts joined in one row per batch."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from alerts.choices import GroupEventKind
from alerts.config_cache import intake_config
from alerts.models import Alert, AlertGroup, ConfigVersion, Notification, Silence
from alerts.services import AlertInput, alerts_ingest
from tests.alerts.factories import ReceiverFactory, RouteFactory

NOW = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)


def batch(name: str, count: int, **labels: str) -> list[AlertInput]:
    return [
        AlertInput(labels={"alertname": name, "instance": f"host-{i}", **labels}, annotations={"summary": "x"})
        for i in range(count)
    ]


def test_queries_per_batch_do_not_grow_with_the_number_of_alerts(root_route, django_assert_max_num_queries):
    alerts_ingest(items=batch("Warm", 1), source="test", now=NOW)  # the configuration is now cached
    with django_assert_max_num_queries(11):
        alerts_ingest(items=batch("Ten", 10), source="test", now=NOW)
    with django_assert_max_num_queries(11):
        alerts_ingest(items=batch("Hundred", 100), source="test", now=NOW)
    assert AlertGroup.objects.get(group_labels={"alertname": "Hundred"}).alerts.count() == 100
    assert Notification.objects.filter(group__group_labels={"alertname": "Hundred"}).count() == 1


def test_repeated_batch_into_existing_group_stays_bounded(root_route, django_assert_max_num_queries):
    alerts_ingest(items=batch("Again", 30), source="test", now=NOW)
    with django_assert_max_num_queries(12):
        alerts_ingest(items=batch("Again", 30), source="test", now=NOW + dt.timedelta(seconds=5))
    assert Notification.objects.count() == 1  # a duplicate delivery pages nobody again


def test_redelivered_batch_stores_every_change_in_one_update(root_route):
    """A re-delivery updates the batch's existing alerts with one UPDATE (``sql.update_rows``), and what it stores
    is what the model holds: JSON, timestamps, a cleared ``ends_at``, counters."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    alerts_ingest(items=batch("Again", 3), source="test", now=NOW)
    later = NOW + dt.timedelta(minutes=2)
    alerts_ingest(
        items=[AlertInput(labels={"alertname": "Again", "instance": "host-1"}, status="resolved", ends_at=later)],
        source="test",
        now=later,
    )
    refired = later + dt.timedelta(minutes=1)
    items = [
        AlertInput(
            labels={"alertname": "Again", "instance": f"host-{i}"},
            annotations={"summary": f"now {i}", "nested": "ü"},
            starts_at=refired,
            generator_url=f"http://prom/graph?{i}",
        )
        for i in range(3)
    ]
    with CaptureQueriesContext(connection) as queries:
        alerts_ingest(items=items, source="test", now=refired)
    # (Django logs SQLite's form, an ``executemany``, as "3 times: UPDATE …".)
    updates = [q["sql"] for q in queries.captured_queries if 'UPDATE "alerts_alert" ' in q["sql"]]
    assert len(updates) == 1
    stored = {a.labels["instance"]: a for a in Alert.objects.all()}
    for i in range(3):
        alert = stored[f"host-{i}"]
        assert alert.annotations == {"summary": f"now {i}", "nested": "ü"}
        assert alert.generator_url == f"http://prom/graph?{i}"
        assert alert.status == "firing" and alert.ends_at is None
        assert alert.received_at == refired and alert.updated_at == refired
    assert stored["host-1"].receive_count == 3 and stored["host-0"].receive_count == 2
    assert stored["host-1"].starts_at == refired  # a new episode
    assert stored["host-0"].starts_at == NOW  # still the first one


def test_timeline_has_one_row_per_batch_naming_each_alert(root_route):
    alerts_ingest(items=batch("Disk", 3), source="test", now=NOW)
    group = AlertGroup.objects.get()
    kinds = list(group.events.values_list("kind", flat=True))
    assert kinds[:2] == [GroupEventKind.CREATED, GroupEventKind.ALERT_JOINED]
    assert kinds.count(GroupEventKind.ALERT_JOINED) == 1
    joined = group.events.get(kind=GroupEventKind.ALERT_JOINED).message
    assert joined.startswith("3 alert(s): ")
    for i in range(3):
        assert f"instance=host-{i}" in joined
    alerts_ingest(
        items=[AlertInput(labels={"alertname": "Disk", "instance": "host-1"}, status="resolved")],
        source="test",
        now=NOW + dt.timedelta(minutes=1),
    )
    left = group.events.get(kind=GroupEventKind.ALERT_RESOLVED).message
    assert left == "1 alert(s): Disk {instance=host-1}"


def test_route_added_after_the_tree_was_cached_routes_the_next_batch(root_route):
    alerts_ingest(items=batch("Before", 1, team="db"), source="test", now=NOW)
    db_receiver = ReceiverFactory(name="db-team")
    RouteFactory(parent=root_route, matchers=["team=db"], receiver=db_receiver, group_wait=0)
    alerts_ingest(items=batch("After", 1, team="db"), source="test", now=NOW)
    assert AlertGroup.objects.get(group_labels={"alertname": "After"}).receiver == db_receiver
    assert AlertGroup.objects.get(group_labels={"alertname": "Before"}).receiver == root_route.receiver


def test_silence_created_after_the_cache_silences_the_next_batch(root_route):
    alerts_ingest(items=batch("Noisy", 1), source="test", now=NOW)
    silence = Silence.objects.create(
        matchers=[{"name": "alertname", "value": "Quiet", "isRegex": False}],
        starts_at=NOW - dt.timedelta(minutes=1),
        ends_at=NOW + dt.timedelta(hours=1),
        created_by="alice",
        comment="maintenance",
    )
    alerts_ingest(items=batch("Quiet", 1), source="test", now=NOW)
    assert Alert.objects.get(labels__alertname="Quiet").silenced_by == [str(silence.id)]
    assert not Notification.objects.filter(group__group_labels={"alertname": "Quiet"}).exists()
    # The same cached silence no longer applies once it has ended: the group's next flush pages.
    joining = AlertInput(labels={"alertname": "Quiet", "instance": "host-9"})
    alerts_ingest(items=[joining], source="test", now=NOW + dt.timedelta(hours=2))
    assert Alert.objects.get(labels__instance="host-0", labels__alertname="Quiet").silenced_by == []
    assert Notification.objects.filter(group__group_labels={"alertname": "Quiet"}).count() == 1


def test_rolled_back_change_never_leaves_a_stale_copy(root_route):
    alerts_ingest(items=batch("First", 1), source="test", now=NOW)
    with transaction.atomic():
        RouteFactory(parent=root_route, matchers=["alertname=Ghost"], receiver=ReceiverFactory(name="ghost"))
        assert intake_config(now=NOW).tree.children  # cached inside the transaction
        transaction.set_rollback(True)
    alerts_ingest(items=batch("Ghost", 1), source="test", now=NOW)
    assert AlertGroup.objects.get(group_labels={"alertname": "Ghost"}).receiver == root_route.receiver


@pytest.mark.parametrize("missing_row", [False, True])
def test_each_config_write_changes_the_version(root_route, missing_row):
    if missing_row:  # as after a test database flush
        ConfigVersion.objects.all().delete()
    before = ConfigVersion.objects.filter(pk=1).values_list("version", flat=True).first()
    RouteFactory(parent=root_route, matchers=["a=b"])
    after = ConfigVersion.objects.get(pk=1).version
    assert after and after != before
    root_route.receiver.breaker_failures = 3
    root_route.receiver.save(update_fields=["breaker_failures"])  # delivery bookkeeping, not configuration
    assert ConfigVersion.objects.get(pk=1).version == after


def test_alert_inserted_concurrently_is_read_not_assumed(root_route, monkeypatch):
    """Another request inserts one of our fingerprints between our read and our insert: we use its row."""
    from alerts.domain.matchers import fingerprint

    items = batch("Race", 2)
    other = race_insert(monkeypatch, Alert, lambda first: Alert(
        fingerprint=first.fingerprint, labels=first.labels, annotations={"summary": "theirs"},
        starts_at=NOW, received_at=NOW - dt.timedelta(seconds=1), updated_at=NOW,
    ))  # fmt: skip
    result = alerts_ingest(items=items, source="test", now=NOW)
    assert result[0].pk == other["pk"] and result[0].annotations == {"summary": "theirs"}
    assert result[1].pk is not None and result[1].fingerprint == fingerprint(items[1].labels)
    assert set(AlertGroup.objects.get().alerts.values_list("pk", flat=True)) == {a.pk for a in result}


def test_group_created_concurrently_is_read_not_assumed(root_route, monkeypatch):
    """Another request creates our group between our read and our insert: the alerts join its row, and the
    timeline does not claim we created it."""
    other = race_insert(monkeypatch, AlertGroup, lambda mine: AlertGroup(
        group_key=mine.group_key, route_id=mine.route_id, receiver=mine.receiver, group_labels=mine.group_labels,
        timing=mine.timing, state=mine.state, created_at=NOW - dt.timedelta(seconds=1), updated_at=NOW,
    ))  # fmt: skip
    result = alerts_ingest(items=batch("GroupRace", 3), source="test", now=NOW)
    group = AlertGroup.objects.get()
    assert group.pk == other["pk"]
    assert set(group.alerts.values_list("pk", flat=True)) == {a.pk for a in result}
    assert not group.events.filter(kind=GroupEventKind.CREATED).exists()


def race_insert(monkeypatch, model, twin_of) -> dict:
    """Just before intake inserts new ``model`` rows, another "request" saves ``twin_of(first new row)``;
    returns a dict that gets the twin's ``pk``."""
    from alerts.services import intake

    real_insert_new = intake._insert_new
    other: dict = {}

    def racing_insert_new(inserted_model, objs, **kwargs):
        if inserted_model is model and not other:
            twin = twin_of(objs[0])
            twin.save()
            other["pk"] = twin.pk
        return real_insert_new(inserted_model, objs, **kwargs)

    monkeypatch.setattr(intake, "_insert_new", racing_insert_new)
    return other
