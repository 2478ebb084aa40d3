"""alert_raise / alerts_ingest: the one intake path."""

from __future__ import annotations

import datetime as dt

import pytest

from alerts.choices import GroupState, NotificationEvent
from alerts.domain.matchers import fingerprint
from alerts.models import Alert, AlertGroup, Notification
from alerts.services import alert_raise
from sre.errors import InvalidInputError

NOW = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)
BURN = {"alertname": "SLOBurnRate", "service": "checkout", "slo": "availability", "severity": "page"}


def raise_(status="firing", now=NOW, labels=None, **kw):
    return alert_raise(
        labels=BURN if labels is None else labels,
        annotations={"summary": "burning"},
        status=status,
        source="slo",
        now=now,
        **kw,
    )


def test_alert_raise_creates_alert_group_and_trigger(root_route):
    alert = raise_()
    assert alert.fingerprint == fingerprint(BURN)
    group = AlertGroup.objects.get()
    assert group.group_labels == {"alertname": "SLOBurnRate"}
    assert group.state == GroupState.FIRING
    assert list(group.alerts.all()) == [alert]
    (notification,) = Notification.objects.all()
    assert notification.event == NotificationEvent.TRIGGER
    assert notification.dedup_key == group.dedup_key
    assert notification.payload["alerts"][0]["labels"]["slo"] == "availability"


def test_repeated_firing_updates_same_alert_without_new_page(root_route):
    first = raise_()
    second = raise_(now=NOW + dt.timedelta(seconds=30))
    assert first.pk == second.pk
    assert Alert.objects.get().receive_count == 2
    assert Notification.objects.count() == 1


def test_resolved_resolves_alert_and_sends_resolve(root_route):
    raise_()
    alert = raise_(status="resolved", now=NOW + dt.timedelta(minutes=5))
    assert alert.status == "resolved"
    group = AlertGroup.objects.get()
    assert group.state == GroupState.RESOLVED
    events = list(Notification.objects.order_by("pk").values_list("event", flat=True))
    assert events == ["trigger", "resolve"]


def test_resolved_before_any_firing_stores_alert_but_pages_nobody(root_route):
    raise_(status="resolved")
    assert Alert.objects.get().status == "resolved"
    assert not Notification.objects.exists()


def test_alert_raise_creates_default_route_when_tree_empty(db):
    raise_()
    group = AlertGroup.objects.get()
    assert group.receiver.name == "default"
    # Default group_wait is 30 s: not flushed yet.
    assert not Notification.objects.exists()
    assert group.next_flush_at == NOW + dt.timedelta(seconds=30)


@pytest.mark.parametrize(
    "labels",
    [{}, {"bad-name": "x"}, {"alertname": 5}, {"alertname": None}],
)
def test_alert_raise_rejects_bad_labels(root_route, labels):
    with pytest.raises(InvalidInputError):
        raise_(labels=labels)
    assert not Alert.objects.exists()


def test_new_episode_after_resolve_pages_again(root_route):
    raise_(starts_at=NOW)
    raise_(status="resolved", now=NOW + dt.timedelta(minutes=1))
    # A late retry of the first episode is ignored...
    raise_(now=NOW + dt.timedelta(minutes=2), starts_at=NOW)
    assert Alert.objects.get().status == "resolved"
    # ...a new episode fires again.
    raise_(now=NOW + dt.timedelta(minutes=3), starts_at=NOW + dt.timedelta(minutes=3))
    events = list(Notification.objects.order_by("pk").values_list("event", flat=True))
    assert events == ["trigger", "resolve", "trigger"]
    assert AlertGroup.objects.get().state == GroupState.FIRING


@pytest.mark.parametrize(
    ("labels", "extra", "field"),
    [
        ({"alertname": "Nul", "instance": "a\x00b"}, {}, "labels"),
        ({"alertname": "Nul"}, {"annotations": {"summary": "\x00"}}, "annotations"),
        ({"alertname": "Nul"}, {"generator_url": "http://x/\x00"}, "generator_url"),
    ],
)
def test_internal_intake_refuses_nul_characters_naming_the_field(root_route, labels, extra, field):
    """The API's parser refuses ``\\u0000`` before intake sees it; internal callers (SLO burn alerts, drills) are
    checked by intake itself, which names the field, and nothing is stored."""
    with pytest.raises(InvalidInputError, match="NUL") as caught:
        alert_raise(labels=labels, annotations=extra.get("annotations", {}), status="firing", source="test", now=NOW,
                    generator_url=extra.get("generator_url", ""))  # fmt: skip
    assert list(caught.value.fields) == [field]
    assert not Alert.objects.exists()
