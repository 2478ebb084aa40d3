"""Services of the heartbeats app against the real alerts intake: a missed heartbeat fires, a late ping resolves, a
failure fires at once, passes are idempotent, paused checks never fire, and nothing is half-saved or lost."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from django.db import connection

from alerts.models import Alert, AlertGroup
from heartbeats.choices import CheckState, PingKind
from heartbeats.models import Check, Ping
from heartbeats.services import alerting as alerting_service
from heartbeats.services import (
    check_delete,
    check_pause,
    check_ping_key_regenerate,
    check_resume,
    check_save,
    heartbeat_ping,
    heartbeats_check,
)
from heartbeats.services import pings as ping_service
from heartbeats.tasks import heartbeats_check_task
from sre.errors import InvalidInputError, NotFoundError
from tests.alerts.factories import ReceiverFactory, RouteFactory
from tests.heartbeats.conftest import NOW, alerts_of
from tests.support.celery_worker import celery_worker
from tests.support.servers import wait_for

MIN = dt.timedelta(minutes=1)


@pytest.fixture
def check(root_route) -> Check:
    """``backup``: a ping every hour, 10 minutes of grace, pinged at NOW."""
    made = check_save(
        check=None,
        data={"name": "backup", "period_seconds": 3600, "grace_seconds": 600, "service": "db", "team": "payments",
              "labels": {"env": "prod"}},
        now=NOW,
    )  # fmt: skip
    heartbeat_ping(key=made.ping_key, kind=PingKind.SUCCESS, now=NOW)
    made.refresh_from_db()
    return made


@pytest.fixture
def pinged(django_capture_on_commit_callbacks):
    """``pinged(check, kind, at, **kw)``: a ping, with what it does after commit run (as a web request's would)."""

    def ping(check: Check, kind: str, at: dt.datetime, **kwargs) -> Ping:
        with django_capture_on_commit_callbacks(execute=True):
            found = heartbeat_ping(key=check.ping_key, kind=kind, now=at, **kwargs)
        check.refresh_from_db()
        return found

    return ping


def test_a_missed_heartbeat_fires_after_the_grace_time_and_only_once(check) -> None:
    assert heartbeats_check(now=NOW + 59 * MIN) == {"down": 0, "late": 0, "alerts_sent": 0, "errors": 0}
    assert heartbeats_check(now=NOW + 61 * MIN)["late"] == 1
    check.refresh_from_db()
    assert check.state == CheckState.LATE and not Alert.objects.exists()

    stats = heartbeats_check(now=NOW + 70 * MIN)
    assert stats["down"] == 1 and stats["alerts_sent"] == 1
    check.refresh_from_db()
    assert check.state == CheckState.DOWN and check.state_changed_at == NOW + 70 * MIN
    alert = Alert.objects.get(source="heartbeat")
    assert alert.status == "firing" and alert.starts_at == NOW + 70 * MIN
    assert alert.labels == {"alertname": "HeartbeatMissed", "heartbeat": "backup", "severity": "critical",
                            "service": "db", "team": "payments", "env": "prod"}  # fmt: skip
    assert "No ping since 2026-03-02 12:00:00 UTC" in alert.annotations["description"]
    assert alert.generator_url.endswith(f"/heartbeats/{check.pk}/")
    assert AlertGroup.objects.get().state == "firing"

    # Twice (and much later): nothing new is raised.
    updated = alert.updated_at
    assert heartbeats_check(now=NOW + 70 * MIN) == {"down": 0, "late": 0, "alerts_sent": 0, "errors": 0}
    assert heartbeats_check(now=NOW + 900 * MIN)["alerts_sent"] == 0
    assert Alert.objects.count() == 1 and Alert.objects.get().updated_at == updated


def test_the_task_runs_the_pass_and_twice_is_harmless(check, settings) -> None:
    assert settings.CELERY_BEAT_SCHEDULE["heartbeats-check"]["task"] == heartbeats_check_task.name == "heartbeats.check"
    assert settings.CELERY_BEAT_SCHEDULE["heartbeats-check"]["schedule"] == settings.SRE["RULES_INTERVAL"]
    check.alert_at = NOW - MIN  # overdue now, whatever the clock says
    check.save(update_fields=["alert_at"])
    assert heartbeats_check_task()["down"] == 1
    assert heartbeats_check_task() == {"down": 0, "late": 0, "alerts_sent": 0, "errors": 0}
    assert alerts_of("backup") == {"HeartbeatMissed": "firing"}


def test_a_late_ping_resolves_the_alert(check, pinged) -> None:
    heartbeats_check(now=NOW + 80 * MIN)
    ping = pinged(check, PingKind.SUCCESS, NOW + 90 * MIN)
    assert ping.late and check.state == CheckState.UP and check.alert_synced and check.alert_labels == {}
    assert alerts_of("backup") == {"HeartbeatMissed": "resolved"}
    assert Alert.objects.get().ends_at == NOW + 90 * MIN
    assert check.next_due_at == NOW + 150 * MIN


def test_a_failure_ping_fires_at_once_with_the_output_and_success_resolves(check, pinged) -> None:
    pinged(check, PingKind.FAIL, NOW + 5 * MIN, body=b"pg_dump: connection refused\n", exit_status=1)
    assert check.state == CheckState.FAILED
    alert = Alert.objects.get(source="heartbeat")
    assert (alert.labels["alertname"], alert.status) == ("HeartbeatFailed", "firing")
    assert alert.annotations["output"] == "pg_dump: connection refused\n"
    assert heartbeats_check(now=NOW + 500 * MIN)["alerts_sent"] == 0  # no Missed on top
    pinged(check, PingKind.SUCCESS, NOW + 600 * MIN)
    assert alerts_of("backup") == {"HeartbeatFailed": "resolved"}


def test_a_failure_of_a_down_check_replaces_missed_with_failed(check, pinged) -> None:
    heartbeats_check(now=NOW + 80 * MIN)
    pinged(check, PingKind.FAIL, NOW + 85 * MIN)
    assert alerts_of("backup") == {"HeartbeatMissed": "resolved", "HeartbeatFailed": "firing"}


def test_pause_resolves_and_nothing_fires_while_paused(check, pinged, django_capture_on_commit_callbacks) -> None:
    heartbeats_check(now=NOW + 80 * MIN)
    with django_capture_on_commit_callbacks(execute=True):
        paused = check_pause(check=check, now=NOW + 81 * MIN)
    assert paused.state == CheckState.PAUSED and paused.paused
    assert alerts_of("backup") == {"HeartbeatMissed": "resolved"}
    pinged(check, PingKind.FAIL, NOW + 82 * MIN)  # recorded, but nothing fires
    assert heartbeats_check(now=NOW + 9000 * MIN) == {"down": 0, "late": 0, "alerts_sent": 0, "errors": 0}
    assert alerts_of("backup") == {"HeartbeatMissed": "resolved"}
    assert check.pings.count() == 2 and check.state == CheckState.PAUSED
    # Resumed long after its last ping: new, waiting for the next one (nothing fires for the paused time).
    resumed = check_resume(check=check, now=NOW + 9000 * MIN)
    assert resumed.state == CheckState.NEW and resumed.alert_at is None
    assert heartbeats_check(now=NOW + 99999 * MIN)["down"] == 0


def test_deleting_a_firing_check_resolves_its_alert(check) -> None:
    heartbeats_check(now=NOW + 80 * MIN)
    check_delete(check=check, now=NOW + 81 * MIN)
    assert not Check.objects.exists() and not Ping.objects.exists()
    assert alerts_of("backup") == {"HeartbeatMissed": "resolved"}


def test_the_resolve_addresses_the_alert_that_fired_even_after_labels_changed(check, pinged) -> None:
    heartbeats_check(now=NOW + 80 * MIN)
    check_save(check=check, data={"severity": "warning", "labels": {"env": "staging"}, "slug": "db-backup"},
               now=NOW + 81 * MIN)  # fmt: skip
    pinged(check, PingKind.SUCCESS, NOW + 82 * MIN)
    assert alerts_of("backup") == {"HeartbeatMissed": "resolved"}
    assert Alert.objects.count() == 1


def test_a_longer_grace_brings_a_down_check_back_and_resolves(check, django_capture_on_commit_callbacks) -> None:
    heartbeats_check(now=NOW + 71 * MIN)
    with django_capture_on_commit_callbacks(execute=True):
        saved = check_save(check=check, data={"grace_seconds": 7200}, now=NOW + 75 * MIN)
    assert saved.state == CheckState.LATE and saved.alert_at == NOW + 180 * MIN
    assert alerts_of("backup") == {"HeartbeatMissed": "resolved"}


def test_an_alert_not_sent_after_the_ping_is_sent_by_the_next_pass(check, pinged, monkeypatch) -> None:
    def broken(**kwargs):
        raise ConnectionError("intake down")

    monkeypatch.setattr(alerting_service, "alerts_ingest", broken)
    pinged(check, PingKind.FAIL, NOW + 5 * MIN)  # the ping is stored; the alert could not be sent
    assert check.state == CheckState.FAILED and not check.alert_synced
    assert Ping.objects.filter(kind=PingKind.FAIL).count() == 1 and not Alert.objects.exists()
    assert heartbeats_check(now=NOW + 6 * MIN)["errors"] == 1  # still broken: left for the next pass
    monkeypatch.undo()
    assert heartbeats_check(now=NOW + 7 * MIN)["alerts_sent"] == 1
    assert alerts_of("backup") == {"HeartbeatFailed": "firing"}
    assert heartbeats_check(now=NOW + 8 * MIN)["alerts_sent"] == 0


def test_start_and_success_record_the_run_duration(check, pinged) -> None:
    pinged(check, PingKind.START, NOW + 60 * MIN)
    assert check.last_start_at == NOW + 60 * MIN
    done = pinged(check, PingKind.SUCCESS, NOW + 60 * MIN + dt.timedelta(seconds=95))
    assert done.duration_seconds == 95.0 and check.last_duration_seconds == 95.0


def test_a_run_that_does_not_finish_in_grace_goes_down(check, pinged) -> None:
    pinged(check, PingKind.START, NOW + 30 * MIN)
    assert heartbeats_check(now=NOW + 40 * MIN)["down"] == 1
    alert = Alert.objects.get()
    assert "A run started at 2026-03-02 12:30:00 UTC" in alert.annotations["description"]


def test_a_ping_records_who_sent_it_and_keeps_10_kb_of_the_body(check, pinged) -> None:
    body = b"x" * 20_000
    ping = pinged(check, PingKind.SUCCESS, NOW + MIN, method="POST", source_ip="192.0.2.9", user_agent="curl/8",
                  body=body[:10_000], body_size=len(body))  # fmt: skip
    assert (ping.method, ping.source_ip, ping.user_agent) == ("POST", "192.0.2.9", "curl/8")
    assert len(ping.body) == 10_000 and ping.body_bytes == 20_000
    assert ping_service.body_excerpt(b"\xff\x00ok") == "\ufffdok"


def test_unknown_key_is_not_found_and_stores_nothing(root_route) -> None:
    with pytest.raises(NotFoundError) as caught:
        heartbeat_ping(key=uuid.uuid4(), kind=PingKind.SUCCESS, now=NOW)
    assert caught.value.fields == {"uuid": ["Unknown ping key."]}
    assert not Ping.objects.exists()


def test_a_new_ping_url_makes_the_old_one_unknown(check) -> None:
    old = check.ping_key
    fresh = check_ping_key_regenerate(check=check)
    assert fresh.ping_key != old
    with pytest.raises(NotFoundError):
        heartbeat_ping(key=old, kind=PingKind.SUCCESS, now=NOW)
    heartbeat_ping(key=fresh.ping_key, kind=PingKind.SUCCESS, now=NOW)


def test_pings_are_kept_bounded(check, monkeypatch) -> None:
    monkeypatch.setattr(ping_service, "PINGS_KEPT", 10)
    monkeypatch.setattr(ping_service, "PRUNE_EVERY", 5)
    for minute in range(1, 30):
        heartbeat_ping(key=check.ping_key, kind=PingKind.SUCCESS, now=NOW + minute * MIN)
    kept = list(Ping.objects.filter(heartbeat=check).order_by("n").values_list("n", flat=True))
    assert kept == list(range(21, 31))  # the last 10 after the 30th ping's prune (at most 10 + 4 between)
    check.refresh_from_db()
    assert check.ping_count == 30


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "nightly", "schedule_kind": "cron", "cron": "0 0 31 2 *"}, "cron"),
        ({"name": "nightly", "schedule_kind": "cron", "cron": ""}, "cron"),
        ({"name": "nightly", "schedule_kind": "cron", "cron": "0 3 * * *", "timezone": "Europe/Nowhere"}, "timezone"),
        ({"name": "nightly", "period_seconds": 30}, "period_seconds"),
        ({"name": "nightly", "grace_seconds": 0}, "grace_seconds"),
        ({"name": ""}, "name"),
        ({"name": "backup"}, "name"),  # taken
        ({"name": "Backup"}, "name"),  # taken, whatever the case
        ({"name": "nightly", "slug": "backup"}, "slug"),
        ({"name": "nightly", "slug": "has space"}, "slug"),
        ({"name": "nightly", "labels": {"alertname": "x"}}, "labels"),
        ({"name": "nightly", "labels": {"bad-name": "x"}}, "labels"),
        ({"name": "nightly", "labels": {"env": ""}}, "labels"),
        ({"name": "nightly", "severity": "very bad"}, "severity"),
        ({"name": "nightly", "schedule_kind": "hourly"}, "schedule_kind"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(check, data, field) -> None:
    other = check_save(check=None, data={"name": "other"}, now=NOW)
    before = list(Check.objects.order_by("pk").values())
    with pytest.raises(InvalidInputError) as caught:
        check_save(check=None, data=data, now=NOW)
    assert field in caught.value.fields
    with pytest.raises(InvalidInputError) as caught:
        check_save(check=other, data=data, now=NOW)
    assert field in caught.value.fields
    assert list(Check.objects.order_by("pk").values()) == before


def test_cron_checks_are_due_at_the_next_fire_time_in_their_zone(root_route, pinged) -> None:
    check = check_save(check=None, data={"name": "berlin", "schedule_kind": "cron", "cron": "30 2 * * *",
                                         "timezone": "Europe/Berlin", "grace_seconds": 1800}, now=NOW)  # fmt: skip
    pinged(check, PingKind.SUCCESS, dt.datetime(2026, 3, 28, 1, 40, tzinfo=dt.UTC))
    # 02:30 does not happen on 29 March in Berlin (the clock jumps from 02:00 to 03:00): due at the jump.
    assert check.next_due_at == dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC)
    assert check.alert_at == dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)


@pytest.mark.django_db(transaction=True)
def test_concurrent_pings_are_each_stored_once_in_order(root_route) -> None:
    check = check_save(check=None, data={"name": "busy", "period_seconds": 60, "grace_seconds": 60}, now=NOW)
    threads, per_thread, errors = 6, 15, []

    def send(index: int) -> None:
        try:
            for n in range(per_thread):
                kind = PingKind.START if n % 2 else PingKind.SUCCESS
                heartbeat_ping(key=check.ping_key, kind=kind, now=NOW + dt.timedelta(seconds=index * 100 + n))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(exc))
        finally:
            connection.close()

    workers = [threading.Thread(target=send, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not errors
    check.refresh_from_db()
    total = threads * per_thread
    assert check.ping_count == total
    assert sorted(Ping.objects.filter(heartbeat=check).values_list("n", flat=True)) == list(range(1, total + 1))


@pytest.mark.integration
def test_a_real_worker_runs_the_pass_by_name_as_beat_sends_it(transactional_db) -> None:
    RouteFactory(name="root", parent=None, receiver=ReceiverFactory(name="default"), group_by=["alertname"],
                 group_wait=0)  # fmt: skip
    check = check_save(check=None, data={"name": "nightly", "period_seconds": 60, "grace_seconds": 60}, now=NOW)
    heartbeat_ping(key=check.ping_key, kind=PingKind.SUCCESS, now=NOW)  # long ago: overdue now
    with celery_worker(broker_url="filesystem://") as producer:
        producer.send_task("heartbeats.check")
        wait_for(lambda: Check.objects.get().state == CheckState.DOWN, timeout=60, what="the check to go down")
    assert alerts_of("nightly") == {"HeartbeatMissed": "firing"}
