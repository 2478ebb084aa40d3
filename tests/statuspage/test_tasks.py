"""Tasks: enqueued on commit, harmless twice, and run by a real Celery worker (sync renders the snapshot
with a public update; deliver reaches a webhook subscriber)."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from statuspage.models import Component, SubscriberNotification
from statuspage.services import subscriber_create
from statuspage.tasks import deliver, sync
from tests.statuspage.helpers import public_incident
from tests.statuspage.receiver import webhook_receiver
from tests.support.celery_worker import celery_worker
from tests.support.servers import wait_for


@pytest.mark.django_db
def test_a_public_update_asks_for_a_sync_on_commit(django_capture_on_commit_callbacks, monkeypatch) -> None:
    sent = []
    monkeypatch.setattr(sync, "delay", lambda *a: sent.append(a))
    api = Component.objects.create(name="API")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        public_incident(title="x", components=[(api, "major_outage")])
    assert sent == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert sent  # the statuspage.sync task was enqueued


@pytest.mark.django_db
def test_every_incident_change_asks_for_a_sync(django_capture_on_commit_callbacks, monkeypatch) -> None:
    from incidents.services import incident_transition

    api = Component.objects.create(name="API")
    incident = public_incident(title="x", components=[(api, "major_outage")])
    sent = []
    monkeypatch.setattr(sync, "delay", lambda *a: sent.append(a))
    with django_capture_on_commit_callbacks(execute=True):
        incident_transition(incident_id=incident.pk, target="resolved", actor="alice", now=timezone.now())
    assert sent  # a status change (through incident_touch) refreshes the page


@pytest.mark.django_db
def test_sync_twice_is_harmless(snapshot_dir) -> None:
    api = Component.objects.create(name="API")
    public_incident(title="Twice", components=[(api, "major_outage")])
    first = sync.apply().get()
    second = sync.apply().get()
    assert first["files"] == second["files"] and second["maintenance_events"] == 0
    assert deliver.apply(args=[987654]).get() == "vanished"


@pytest.mark.integration
def test_real_worker_renders_and_delivers(transactional_db, snapshot_dir) -> None:
    from incidents.services.config import incident_defaults_ensure

    incident_defaults_ensure()
    api = Component.objects.create(name="API")
    with webhook_receiver() as receiver:
        subscriber_create(kind="webhook", url=receiver["url"], allow_private=True, actor="admin", now=timezone.now())
        public_incident(title="Worker incident", components=[(api, "major_outage")], body="Seen by the worker.")
        env = {"SRE_STATUSPAGE_SNAPSHOT_DIR": str(snapshot_dir), "SRE_BASE_URL": "http://status.test"}
        with celery_worker(broker_url="filesystem://", extra_env=env) as producer:
            producer.send_task("statuspage.sync")
            producer.send_task("statuspage.sync")
            notification = wait_for(
                lambda: SubscriberNotification.objects.first(), timeout=60, what="the worker's fan-out"
            )
            summary = wait_for(
                lambda: (
                    (snapshot_dir / "api/v2/summary.json").exists()
                    and json.loads((snapshot_dir / "api/v2/summary.json").read_text())
                ),
                timeout=30,
                what="the snapshot",
            )
            producer.send_task("statuspage.deliver", args=[notification.pk])
            producer.send_task("statuspage.deliver", args=[notification.pk])
            wait_for(lambda: receiver["requests"], timeout=60, what="the webhook delivery")
            wait_for(
                lambda: SubscriberNotification.objects.get(pk=notification.pk).state == "delivered",
                timeout=30,
                what="the ledger",
            )
        assert len(receiver["requests"]) == 1
    assert summary["incidents"][0]["name"] == "Worker incident"
    assert "Seen by the worker." in (snapshot_dir / "index.html").read_text()
    assert SubscriberNotification.objects.count() == 1
    assert receiver["requests"][0]["json"]["incident"]["incident_updates"][0]["body"] == "Seen by the worker."
