"""How pings and time move a check. No database."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heartbeats.domain.schedule import CRON, PERIOD, Timing
from heartbeats.domain.state import (
    DOWN,
    FAIL,
    FAILED,
    FAILED_ALERT,
    LATE,
    MISSED,
    NEW,
    PAUSED,
    START,
    SUCCESS,
    UP,
    Status,
    after_ping,
    deadlines,
    evaluate,
    paused_status,
    resumed_status,
    retimed_status,
)

T0 = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
MIN = dt.timedelta(minutes=1)
TIMING = Timing(kind=PERIOD, period_seconds=3600, cron="", timezone="UTC", grace_seconds=600)  # 1 h + 10 min


def ping(status: Status, kind: str, at: dt.datetime, *, paused: bool = False, timing: Timing = TIMING):
    return after_ping(status=status, timing=timing, paused=paused, kind=kind, now=at)


def up_at(at: dt.datetime) -> Status:
    return ping(Status(), SUCCESS, at).status


def test_a_new_check_never_goes_down_before_its_first_ping() -> None:
    assert evaluate(status=Status(), paused=False, now=T0 + 1000 * HOUR) is None


def test_success_makes_it_up_with_due_and_alert_times() -> None:
    status = up_at(T0)
    assert (status.state, status.next_due_at, status.alert_at) == (UP, T0 + HOUR, T0 + 70 * MIN)
    assert status.alert_wanted == ""


@pytest.mark.parametrize(
    ("minutes", "state", "wanted", "changed_at"),
    [
        (59, None, None, None),  # in time
        (60, LATE, "", T0 + HOUR),  # due: late, no alert
        (69, LATE, "", T0 + HOUR),
        (70, DOWN, MISSED, T0 + 70 * MIN),  # grace over: down, HeartbeatMissed, since the end of the grace time
        (500, DOWN, MISSED, T0 + 70 * MIN),  # noticed late (a worker was down): still since the end of the grace
    ],
)
def test_time_moves_an_up_check_to_late_then_down(minutes, state, wanted, changed_at) -> None:
    after = evaluate(status=up_at(T0), paused=False, now=T0 + minutes * MIN)
    if state is None:
        assert after is None
        return
    assert (after.state, after.alert_wanted, after.state_changed_at) == (state, wanted, changed_at)
    assert (after.alert_at is None) == (state == DOWN)


def test_evaluate_twice_changes_nothing_the_second_time() -> None:
    down = evaluate(status=up_at(T0), paused=False, now=T0 + 2 * HOUR)
    assert down.state == DOWN
    assert evaluate(status=down, paused=False, now=T0 + 2 * HOUR) is None
    assert evaluate(status=down, paused=False, now=T0 + 200 * HOUR) is None


def test_a_late_ping_resolves_and_is_marked_late() -> None:
    down = evaluate(status=up_at(T0), paused=False, now=T0 + 2 * HOUR)
    result = ping(down, SUCCESS, T0 + 3 * HOUR)
    assert result.late and result.status.state == UP and result.status.alert_wanted == ""
    assert result.status.next_due_at == T0 + 4 * HOUR


def test_a_ping_in_time_is_not_late_and_a_ping_in_grace_is() -> None:
    assert not ping(up_at(T0), SUCCESS, T0 + 59 * MIN).late
    late = evaluate(status=up_at(T0), paused=False, now=T0 + 61 * MIN)
    assert ping(late, SUCCESS, T0 + 62 * MIN).late


def test_failure_fires_at_once_and_success_resolves_it() -> None:
    failed = ping(up_at(T0), FAIL, T0 + 10 * MIN).status
    assert (failed.state, failed.alert_wanted, failed.alert_at) == (FAILED, FAILED_ALERT, None)
    assert evaluate(status=failed, paused=False, now=T0 + 100 * HOUR) is None  # no Missed on top of it
    again = ping(failed, SUCCESS, T0 + 20 * MIN).status
    assert (again.state, again.alert_wanted) == (UP, "")


def test_failure_of_a_down_check_replaces_missed_with_failed() -> None:
    down = evaluate(status=up_at(T0), paused=False, now=T0 + 2 * HOUR)
    assert ping(down, FAIL, T0 + 3 * HOUR).status.alert_wanted == FAILED_ALERT


def test_start_then_success_records_the_duration() -> None:
    started = ping(up_at(T0), START, T0 + 30 * MIN)
    assert started.duration_seconds is None and started.status.state == UP
    done = ping(started.status, SUCCESS, T0 + 30 * MIN + dt.timedelta(seconds=42.5))
    assert done.duration_seconds == 42.5
    failed = ping(ping(done.status, START, T0 + 2 * HOUR).status, FAIL, T0 + 2 * HOUR + 5 * MIN)
    assert failed.duration_seconds == 300.0
    # A success with no start before it (or a second success) has no duration.
    assert ping(done.status, SUCCESS, T0 + HOUR).duration_seconds is None


def test_a_started_run_must_finish_within_the_grace_time() -> None:
    started = ping(up_at(T0), START, T0 + 10 * MIN).status
    assert started.alert_at == T0 + 20 * MIN  # 10 min of grace after the start, before the period's 70 min
    down = evaluate(status=started, paused=False, now=T0 + 20 * MIN)
    assert down.state == DOWN and down.alert_wanted == MISSED


def test_a_new_check_that_starts_must_finish_in_grace() -> None:
    started = ping(Status(), START, T0).status
    assert started.state == NEW and started.alert_at == T0 + 10 * MIN
    assert evaluate(status=started, paused=False, now=T0 + 10 * MIN).state == DOWN


def test_a_start_does_not_end_an_alert() -> None:
    down = evaluate(status=up_at(T0), paused=False, now=T0 + 2 * HOUR)
    started = ping(down, START, T0 + 3 * HOUR).status
    assert (started.state, started.alert_wanted, started.alert_at) == (DOWN, MISSED, None)


def test_a_run_older_than_three_days_has_no_duration() -> None:
    started = ping(up_at(T0), START, T0).status
    assert ping(started, SUCCESS, T0 + 73 * HOUR).duration_seconds is None


def test_paused_checks_record_pings_and_never_alert() -> None:
    paused = paused_status(evaluate(status=up_at(T0), paused=False, now=T0 + 2 * HOUR), now=T0 + 2 * HOUR)
    assert (paused.state, paused.alert_wanted, paused.alert_at) == (PAUSED, "", None)
    assert evaluate(status=paused, paused=True, now=T0 + 100 * HOUR) is None
    for kind in (FAIL, SUCCESS, START):
        result = ping(paused, kind, T0 + 3 * HOUR, paused=True)
        assert (result.status.state, result.status.alert_wanted) == (PAUSED, "")


@pytest.mark.parametrize(
    ("last_ping", "resume_at", "state"),
    [
        (T0, T0 + 30 * MIN, UP),  # still in time
        (T0, T0 + 65 * MIN, LATE),  # due passed, grace not yet
        (T0, T0 + 2 * HOUR, NEW),  # too late: wait for the next ping, do not alert for the paused time
        (None, T0, NEW),
    ],
)
def test_resume(last_ping, resume_at, state) -> None:
    paused = Status(state=PAUSED, last_ping_at=last_ping)
    resumed = resumed_status(paused, timing=TIMING, now=resume_at)
    assert resumed.state == state and resumed.alert_wanted == ""
    if state == NEW:
        assert resumed.alert_at is None


def test_a_longer_grace_brings_a_wrongly_down_check_back_up() -> None:
    down = evaluate(status=up_at(T0), paused=False, now=T0 + 71 * MIN)
    longer = replace(TIMING, grace_seconds=3600)
    retimed = retimed_status(down, timing=longer, now=T0 + 75 * MIN)
    assert (retimed.state, retimed.alert_wanted, retimed.alert_at) == (LATE, "", T0 + 2 * HOUR)
    # A shorter period makes an up check due sooner; the pass then moves it.
    shorter = retimed_status(up_at(T0), timing=replace(TIMING, period_seconds=600), now=T0 + MIN)
    assert (shorter.next_due_at, shorter.alert_at) == (T0 + 10 * MIN, T0 + 20 * MIN)
    # Failed stays failed: only a success ends a failure.
    failed = ping(up_at(T0), FAIL, T0 + MIN).status
    assert retimed_status(failed, timing=longer, now=T0 + 2 * MIN) == failed


def test_cron_deadlines_count_from_the_last_ping() -> None:
    timing = Timing(kind=CRON, period_seconds=60, cron="0 3 * * *", timezone="UTC", grace_seconds=1800)
    due, alert_at = deadlines(timing=timing, last_ping_at=T0, last_start_at=None)
    assert due == dt.datetime(2026, 3, 3, 3, 0, tzinfo=dt.UTC) and alert_at == due + 30 * MIN


# --- a random life of a check -----------------------------------------------------------------------------------
events = st.lists(
    st.tuples(st.sampled_from([SUCCESS, START, FAIL, "tick", "pause", "resume"]), st.integers(1, 200)),
    min_size=1,
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(events=events)
def test_invariants_hold_over_any_sequence_of_pings_and_passes(events) -> None:
    status, paused, now = Status(), False, T0
    for event, minutes in events:
        now += minutes * MIN
        if event == "tick":
            moved = evaluate(status=status, paused=paused, now=now)
            status = moved or status
            assert evaluate(status=status, paused=paused, now=now) is None  # a second pass changes nothing
        elif event == "pause":
            paused, status = True, paused_status(status, now=now)
        elif event == "resume":
            paused, status = False, resumed_status(status, timing=TIMING, now=now)
        else:
            result = ping(status, event, now, paused=paused)
            status = result.status
            assert result.duration_seconds is None or result.duration_seconds >= 0
        # What fires follows the state, and only alerting states have no deadline.
        assert (status.alert_wanted == MISSED) == (status.state == DOWN)
        assert (status.alert_wanted == FAILED_ALERT) == (status.state == FAILED)
        if status.state in (DOWN, FAILED, PAUSED):
            assert status.alert_at is None
        if status.state in (UP, LATE):
            assert status.alert_at is not None and status.last_ping_at is not None
        assert (status.state == PAUSED) == paused
        if status.state == UP and event == SUCCESS:
            # Nothing fires before the period and grace after a success.
            assert evaluate(status=status, paused=paused, now=now + 69 * MIN) in (None, replace(status, state=LATE,
                state_changed_at=status.next_due_at))  # fmt: skip
