"""The verdict and RTO/RPO arithmetic (pure, no database)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drills.domain.verdict import (
    CheckOutcome,
    drill_verdict,
    observed_rpo,
    observed_rto,
    run_is_stale,
)

OK = CheckOutcome("rows", True)
BAD = CheckOutcome("sum", False, "Expected '3', got '4'.")
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("restore_ok", "checks", "rto", "rpo", "passed", "reason"),
    [
        (True, [OK], 60, 60, True, None),
        (True, [OK], 14400, 900, True, None),  # exactly at the targets passes
        (True, [OK], 14401, 60, False, "RTO 4 h is over the target of 4 h"),
        (True, [OK], 60, 901, False, "RPO 15 min 1 s is over the target of 15 min"),
        (True, [OK, BAD], 60, 60, False, "Check 'sum' failed: Expected '3', got '4'."),
        (True, [], 60, 60, False, "No verification check ran."),
        (False, [], None, 60, False, "The restore did not succeed."),
        (True, [OK], None, 60, False, "RTO could not be measured."),
        (True, [OK], 60, None, False, "RPO could not be measured"),
    ],
)
def test_verdict_table(restore_ok, checks, rto, rpo, passed, reason):
    verdict = drill_verdict(restore_ok=restore_ok, checks=checks, rto_seconds=rto, rpo_seconds=rpo,
                            rto_target_seconds=14400, rpo_target_seconds=900)  # fmt: skip
    assert verdict.passed is passed
    if reason:
        assert any(r.startswith(reason) for r in verdict.reasons), verdict.reasons


def test_a_failed_restore_does_not_also_complain_about_unmeasured_times():
    verdict = drill_verdict(restore_ok=False, checks=[], rto_seconds=None, rpo_seconds=None,
                            rto_target_seconds=1, rpo_target_seconds=1)  # fmt: skip
    assert verdict.reasons == ("The restore did not succeed.",)


def test_cleanup_failure_fails_the_verdict():
    verdict = drill_verdict(restore_ok=True, checks=[OK], rto_seconds=1, rpo_seconds=1, rto_target_seconds=10,
                            rpo_target_seconds=10, cleanup_ok=False)  # fmt: skip
    assert not verdict.passed and "Scratch resources" in verdict.reasons[0]


@settings(deadline=None)  # a loaded CI machine must not turn slowness into a failure
@given(
    rto=st.floats(min_value=0, max_value=1e7),
    rpo=st.floats(min_value=0, max_value=1e7),
    rto_target=st.integers(min_value=1, max_value=10**7),
    rpo_target=st.integers(min_value=1, max_value=10**7),
    checks=st.lists(st.booleans(), min_size=1, max_size=5),
)
def test_passes_exactly_when_every_condition_holds(rto, rpo, rto_target, rpo_target, checks):
    verdict = drill_verdict(
        restore_ok=True, checks=[CheckOutcome(f"c{i}", ok) for i, ok in enumerate(checks)], rto_seconds=rto,
        rpo_seconds=rpo, rto_target_seconds=rto_target, rpo_target_seconds=rpo_target,
    )  # fmt: skip
    assert verdict.passed == (all(checks) and rto <= rto_target and rpo <= rpo_target)
    assert verdict.passed == (not verdict.reasons)


def test_observed_rto_and_rpo():
    assert observed_rpo(backup_taken_at=T0, restore_started_at=T0 + dt.timedelta(minutes=20)) == 1200
    assert observed_rpo(backup_taken_at=T0 + dt.timedelta(seconds=5), restore_started_at=T0) == 0  # clock skew
    assert observed_rpo(backup_taken_at=None, restore_started_at=T0) is None
    assert observed_rto(restore_started_at=T0, verified_at=T0 + dt.timedelta(seconds=90.5)) == 90.5
    assert observed_rto(restore_started_at=T0, verified_at=None) is None


@pytest.mark.parametrize(("heartbeat_age", "stale"), [(0, False), (14, False), (15, False), (15.5, True), (60, True)])
def test_run_is_stale_after_one_and_a_half_intervals(heartbeat_age, stale):
    now = T0 + dt.timedelta(seconds=100)
    beat = now - dt.timedelta(seconds=heartbeat_age)
    assert run_is_stale(heartbeat_at=beat, started_at=T0, now=now, interval_seconds=10) is stale


def test_a_run_without_heartbeat_uses_its_start():
    assert run_is_stale(heartbeat_at=None, started_at=T0, now=T0 + dt.timedelta(seconds=16), interval_seconds=10)
    assert run_is_stale(heartbeat_at=None, started_at=None, now=T0, interval_seconds=10)
