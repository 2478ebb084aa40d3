"""The demo check: seeded once, and the demo traffic runs it, leaves it silent (it goes down) and fails it."""

from __future__ import annotations

import datetime as dt

import pytest

from heartbeats.choices import CheckState
from heartbeats.demo import DEMO_CHECK, heartbeats_demo_seed, heartbeats_demo_traffic
from heartbeats.models import Check, Ping
from heartbeats.services import heartbeats_check
from sre.demo.services import demo_seed, demo_traffic_push
from tests.heartbeats.conftest import alerts_of

pytestmark = pytest.mark.django_db

BLOCK = dt.datetime(2026, 3, 2, 12, 0, 30, tzinfo=dt.UTC)  # 12:00 is minute 0 of a 15-minute block


def test_seeded_once_by_the_demo(root_route) -> None:
    demo_seed(password="demo-test")
    demo_seed(password="demo-test")
    check = Check.objects.get(slug=DEMO_CHECK)
    assert (check.period_seconds, check.grace_seconds, check.severity) == (120, 60, "warning")
    assert heartbeats_demo_seed().pk == check.pk
    assert demo_traffic_push(now=BLOCK).heartbeat == "ran"


def test_the_demo_job_runs_goes_silent_fails_and_recovers(root_route, django_capture_on_commit_callbacks) -> None:
    heartbeats_demo_seed()
    what = []
    with django_capture_on_commit_callbacks(execute=True):
        for minute in range(16):
            now = BLOCK + dt.timedelta(minutes=minute)
            what.append(heartbeats_demo_traffic(now=now))
            heartbeats_check(now=now)
            if minute == 13:
                assert Check.objects.get().state == CheckState.DOWN
                assert alerts_of(DEMO_CHECK) == {"HeartbeatMissed": "firing"}
    assert what == ["ran"] * 10 + ["silent"] * 4 + ["failed", "ran"]
    check = Check.objects.get()
    assert check.state == CheckState.UP and 20 <= check.last_duration_seconds < 60
    assert alerts_of(DEMO_CHECK) == {"HeartbeatMissed": "resolved", "HeartbeatFailed": "resolved"}
    assert Ping.objects.filter(kind="fail", body__contains="pg_dump").count() == 1


def test_a_paused_or_deleted_demo_check_is_left_alone(root_route) -> None:
    assert heartbeats_demo_traffic(now=BLOCK) == "absent"
    check = heartbeats_demo_seed()
    Check.objects.filter(pk=check.pk).update(paused=True)
    assert heartbeats_demo_traffic(now=BLOCK) == "absent" and not Ping.objects.exists()
