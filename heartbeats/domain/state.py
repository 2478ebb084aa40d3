"""The state of a heartbeat check and how pings and time move it. Pure: values in, values out; ``now`` is always an
argument.

    new ──success──► up ──due passes──► late ──grace ends──► down (HeartbeatMissed fires)
     │               ▲ ▲                  │                    │
     │               │ └─────success──────┘                    │
     │               └───────────────success (resolves)────────┘
     └─fail─► failed (HeartbeatFailed fires) ──success (resolves)──► up

A *start* ping begins a run: the job must then send success or fail within the grace time, or the check goes down
(and the run's duration is recorded when it does). A new check never alerts until its first ping (a start counts:
the run must then finish within the grace time). A paused check records pings and never alerts; resuming waits for
the next ping unless the last one is still within its due time and grace.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import TypedDict, Unpack

from heartbeats.domain.schedule import Timing, next_due

NEW, UP, LATE, DOWN, FAILED, PAUSED = "new", "up", "late", "down", "failed", "paused"  # heartbeats.choices
SUCCESS, START, FAIL = "success", "start", "fail"  # ping kinds
MISSED, FAILED_ALERT = "HeartbeatMissed", "HeartbeatFailed"  # alertnames
ALERTING = frozenset({DOWN, FAILED})
WATCHED = frozenset({NEW, UP, LATE})  # states in which time alone can move the check
MAX_RUN_SECONDS = 72 * 3600  # a start ping older than this gives its success no duration (it was a lost run)


@dataclass(frozen=True)
class Status:
    """The part of a check that pings and time change. ``last_ping_at`` is the last success or failure (the
    schedule counts from it); ``alert_at`` is when the check goes down unless a ping comes first (None: it cannot,
    e.g. new, paused or already alerting); ``alert_wanted`` is the alertname that should be firing ("" for none)."""

    state: str = NEW
    state_changed_at: dt.datetime | None = None
    last_ping_at: dt.datetime | None = None
    last_start_at: dt.datetime | None = None
    next_due_at: dt.datetime | None = None
    alert_at: dt.datetime | None = None
    alert_wanted: str = ""


@dataclass(frozen=True)
class PingResult:
    status: Status
    duration_seconds: float | None
    late: bool  # the ping came after the check was due


def running(status: Status) -> bool:
    """A start ping has come and no success or failure since."""
    return status.last_start_at is not None and (
        status.last_ping_at is None or status.last_start_at > status.last_ping_at
    )


def deadlines(
    *, timing: Timing, last_ping_at: dt.datetime | None, last_start_at: dt.datetime | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """(next due, alert at) from the last pings: due by the schedule after the last success or failure, down at
    the end of the grace time after that, or sooner at the end of the grace time after a start not yet finished."""
    grace = dt.timedelta(seconds=timing.grace_seconds)
    due = next_due(timing=timing, after=last_ping_at) if last_ping_at is not None else None
    alert_at = due + grace if due is not None else None
    if last_start_at is not None and (last_ping_at is None or last_start_at > last_ping_at):
        run_end = last_start_at + grace
        alert_at = run_end if alert_at is None else min(alert_at, run_end)
    return due, alert_at


class _Changes(TypedDict, total=False):
    """The fields a state change may set besides the state itself."""

    next_due_at: dt.datetime | None
    alert_at: dt.datetime | None
    alert_wanted: str


def _moved(status: Status, state: str, at: dt.datetime, **changes: Unpack[_Changes]) -> Status:
    changed_at = at if state != status.state else status.state_changed_at
    return replace(status, state=state, state_changed_at=changed_at, **changes)


def after_ping(*, status: Status, timing: Timing, paused: bool, kind: str, now: dt.datetime) -> PingResult:
    """The check after a ping of ``kind`` at ``now``, the run's duration (success or failure after a start) and
    whether the ping was late."""
    late = status.state in (LATE, DOWN) or (
        status.state in WATCHED and status.next_due_at is not None and now > status.next_due_at
    )
    duration = None
    started = status.last_start_at
    if kind in (SUCCESS, FAIL) and running(status) and started is not None:
        seconds = (now - started).total_seconds()
        duration = seconds if 0 <= seconds <= MAX_RUN_SECONDS else None
    pinged = replace(status, last_start_at=now) if kind == START else replace(status, last_ping_at=now)
    due: dt.datetime | None
    if paused:
        after = _moved(pinged, PAUSED, now, next_due_at=None, alert_at=None, alert_wanted="")
    elif kind == FAIL:
        due = next_due(timing=timing, after=now)
        after = _moved(pinged, FAILED, now, next_due_at=due, alert_at=None, alert_wanted=FAILED_ALERT)
    elif kind == SUCCESS:
        due, alert_at = deadlines(timing=timing, last_ping_at=now, last_start_at=pinged.last_start_at)
        after = _moved(pinged, UP, now, next_due_at=due, alert_at=alert_at, alert_wanted="")
    elif status.state in ALERTING or status.state == PAUSED:
        after = pinged  # a run starts; the check stays down or failed until it reports success
    else:
        due, alert_at = deadlines(timing=timing, last_ping_at=pinged.last_ping_at, last_start_at=now)
        after = replace(pinged, next_due_at=due, alert_at=alert_at)
    return PingResult(status=after, duration_seconds=duration, late=late)


def evaluate(*, status: Status, paused: bool, now: dt.datetime) -> Status | None:
    """The check as time alone leaves it at ``now``, or None when nothing changes: past ``alert_at`` it is down
    (HeartbeatMissed wanted), past its due time (inside the grace) it is late. Idempotent: a down check stays as
    it is."""
    if paused or status.state not in WATCHED:
        return None
    if status.alert_at is not None and now >= status.alert_at:
        return _moved(status, DOWN, status.alert_at, alert_at=None, alert_wanted=MISSED)
    if status.state == UP and status.next_due_at is not None and now >= status.next_due_at:
        return _moved(status, LATE, status.next_due_at)
    return None


def paused_status(status: Status, *, now: dt.datetime) -> Status:
    """Pausing: no deadline, nothing firing (a firing alert resolves)."""
    return _moved(status, PAUSED, now, next_due_at=None, alert_at=None, alert_wanted="")


def _live_state(status: Status, due: dt.datetime | None, now: dt.datetime) -> str:
    if status.last_ping_at is None:
        return NEW  # only a run started, not finished yet
    return LATE if due is not None and now >= due else UP


def resumed_status(status: Status, *, timing: Timing, now: dt.datetime) -> Status:
    """Resuming: up (or late) when the last ping is still within its due time and grace, new otherwise (it waits
    for the next ping; nothing alerts for the time it was paused)."""
    due, alert_at = deadlines(timing=timing, last_ping_at=status.last_ping_at, last_start_at=status.last_start_at)
    if alert_at is None or alert_at <= now:
        return _moved(status, NEW, now, next_due_at=None, alert_at=None, alert_wanted="")
    return _moved(status, _live_state(status, due, now), now, next_due_at=due, alert_at=alert_at, alert_wanted="")


def retimed_status(status: Status, *, timing: Timing, now: dt.datetime) -> Status:
    """After the schedule or grace time changed: deadlines again from the last pings. A check that is down only
    because it missed the old schedule is up (or late) again when the new one still expects nothing (its alert
    resolves); a paused, failed or new-and-idle check stays as it is."""
    if status.state in (PAUSED, FAILED) or (status.state == NEW and not running(status)):
        return status
    due, alert_at = deadlines(timing=timing, last_ping_at=status.last_ping_at, last_start_at=status.last_start_at)
    if status.state == DOWN and (alert_at is None or alert_at <= now):
        return status
    state = _live_state(status, due, now)
    return _moved(status, state, now, next_due_at=due, alert_at=alert_at, alert_wanted="")
