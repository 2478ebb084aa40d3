"""When a heartbeat check is next due: every N seconds after the last ping, or at the next time a cron expression
fires in the check's time zone after it. Pure: no Django, no clock reads (times are arguments).

Cron expressions have five fields (minute hour day-of-month month day-of-week, with croniter's ``L``, ``#`` and
``?``) or are one of the aliases ``@hourly @daily @midnight @weekly @monthly @yearly @annually``. A day of the month
and a day of the week both restricted match either (as in Vixie cron).

Clock changes (the check's zone, wall-clock times): a fire time that does not exist because the clock jumps forward
(02:30 on a spring-forward night) is due at the moment of the jump, as cron runs such jobs; a wall-clock time that
happens twice when the clock goes back is due at its first occurrence only (a job at 01:30 runs once, as cron
does). A check is therefore never expected more often than cron runs the job.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cron_descriptor import ExpressionDescriptor
from croniter import CroniterBadCronError, CroniterBadDateError, CroniterError, croniter

PERIOD, CRON = "period", "cron"  # schedule kinds (heartbeats.choices.ScheduleKind)
KINDS = (PERIOD, CRON)
MIN_SECONDS = 60
MAX_SECONDS = 365 * 86400
CRON_MAX_LENGTH = 100
# Aliases, and the five fields each stands for (to describe them in words).
ALIASES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
_UTC = dt.UTC
_MAX_GAP_MINUTES = 24 * 60  # no zone skips more than a day of wall-clock time


class HeartbeatConfigError(ValueError):
    """A schedule that cannot be used; ``field`` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Timing:
    """What a check expects: a ping every ``period_seconds``, or when ``cron`` fires in ``timezone``; then up to
    ``grace_seconds`` more before it is down."""

    kind: str
    period_seconds: int
    cron: str
    timezone: str
    grace_seconds: int


def zone_get(name: str) -> ZoneInfo:
    """The IANA zone ``name``; ``HeartbeatConfigError`` naming ``timezone`` otherwise."""
    try:
        if not name or name != name.strip():
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        message = f"Unknown time zone {name!r}; use an IANA name such as Europe/Berlin."
        raise HeartbeatConfigError("timezone", message) from None


def cron_normalise(expr: str) -> str:
    """Single spaces between fields, aliases in lower case."""
    text = " ".join(str(expr).split())
    return text.lower() if text.startswith("@") else text


def cron_check(expr: str, *, timezone: str, now: dt.datetime) -> str:
    """The normalised expression when it is well-formed and fires at least once after ``now``; otherwise
    ``HeartbeatConfigError`` naming ``cron`` (or ``timezone``)."""
    text = cron_normalise(expr)
    zone = zone_get(timezone)
    if not text:
        raise HeartbeatConfigError("cron", "A cron expression is required for a cron schedule.")
    if len(text) > CRON_MAX_LENGTH:
        raise HeartbeatConfigError("cron", f"At most {CRON_MAX_LENGTH} characters.")
    if text.startswith("@"):
        if text not in ALIASES:
            raise HeartbeatConfigError("cron", f"Unknown alias {text!r}; use one of {', '.join(sorted(ALIASES))}.")
    elif len(text.split(" ")) != 5:
        raise HeartbeatConfigError(
            "cron", "Five fields are needed: minute hour day-of-month month day-of-week (e.g. '0 3 * * *')."
        )
    elif re.search(r"[^0-9A-Za-z*/,\-#?]", text.replace(" ", "")):
        raise HeartbeatConfigError("cron", "Only digits, names, '*', '/', ',', '-', 'L', '#' and '?' are allowed.")
    try:
        valid = croniter.is_valid(text)
    except (CroniterError, ValueError, TypeError, KeyError, IndexError):
        valid = False
    if not valid:
        raise HeartbeatConfigError("cron", f"{text!r} is not a valid cron expression.")
    try:
        cron_next(expr=text, zone=zone, after=now)
    except (CroniterBadDateError, CroniterBadCronError, ValueError, OverflowError):
        message = f"{text!r} never fires (e.g. 31 February); the check could never be due."
        raise HeartbeatConfigError("cron", message) from None
    return text


def _exists(naive: dt.datetime, zone: ZoneInfo) -> bool:
    """Whether the wall-clock time ``naive`` happens in ``zone`` (not skipped by a clock jump)."""
    aware = naive.replace(tzinfo=zone, fold=0)
    return aware.astimezone(_UTC).astimezone(zone).replace(tzinfo=None) == naive


def wall_to_instant(naive: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The instant (UTC) at which the wall clock of ``zone`` first shows ``naive``, or, for a time the clock skips,
    the moment of the jump (the first wall-clock minute after the gap)."""
    if _exists(naive, zone):
        return naive.replace(tzinfo=zone, fold=0).astimezone(_UTC)
    probe = naive.replace(second=0, microsecond=0)
    for _ in range(_MAX_GAP_MINUTES):
        probe += dt.timedelta(minutes=1)
        if _exists(probe, zone):
            return probe.replace(tzinfo=zone, fold=0).astimezone(_UTC)
    raise ValueError(f"no wall-clock time after {naive} exists in {zone}")


def cron_next(*, expr: str, zone: ZoneInfo, after: dt.datetime) -> dt.datetime:
    """The first instant strictly after ``after`` at which ``expr`` fires in ``zone`` (UTC, aware).

    Candidates are the expression's wall-clock matches after ``after``'s own wall-clock time, each mapped to an
    instant by ``wall_to_instant``; that mapping never goes backwards, so the first candidate later than ``after``
    is the answer (candidates inside a repeated hour that map before ``after`` are skipped). Raises
    ``CroniterBadDateError`` for an expression that never fires."""
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    wall = after.astimezone(zone).replace(tzinfo=None, fold=0)
    iterator = croniter(expr, wall)
    while True:
        candidate = iterator.get_next(dt.datetime)
        instant = wall_to_instant(candidate, zone)
        if instant > after:
            return instant


def next_due(*, timing: Timing, after: dt.datetime) -> dt.datetime:
    """When the next ping is due after a ping at ``after``."""
    if timing.kind == CRON:
        return cron_next(expr=timing.cron, zone=zone_get(timing.timezone), after=after)
    return after + dt.timedelta(seconds=timing.period_seconds)


def seconds_check(field: str, value: object) -> int:
    """A period or grace time in whole seconds between a minute and a year."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise HeartbeatConfigError(field, "A whole number of seconds.")
    if not MIN_SECONDS <= value <= MAX_SECONDS:
        raise HeartbeatConfigError(field, f"Between {MIN_SECONDS} seconds and 365 days.")
    return value


def timing_check(timing: Timing, *, now: dt.datetime) -> Timing:
    """The timing with its cron expression normalised, or ``HeartbeatConfigError`` naming the first bad field."""
    if timing.kind not in KINDS:
        raise HeartbeatConfigError("schedule_kind", f"One of {', '.join(KINDS)}.")
    zone_get(timing.timezone)
    seconds_check("grace_seconds", timing.grace_seconds)
    if timing.kind == PERIOD:
        seconds_check("period_seconds", timing.period_seconds)
        return timing
    cron = cron_check(timing.cron, timezone=timing.timezone, now=now)
    return Timing(
        kind=timing.kind,
        period_seconds=timing.period_seconds,
        cron=cron,
        timezone=timing.timezone,
        grace_seconds=timing.grace_seconds,
    )


_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def seconds_in_words(seconds: int) -> str:
    """``1 day``, ``2 hours 30 minutes``, ``90 seconds`` -> ``1 minute 30 seconds`` (a sentence, not a column)."""
    parts = []
    rest = max(0, int(seconds))
    for name, size in _UNITS:
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count} {name}{'' if count == 1 else 's'}")
    return " ".join(parts) or "0 seconds"


def cron_in_words(expr: str) -> str:
    """``At 03:00 AM``, ``Every 15 minutes, Monday through Friday`` (the expression itself when it cannot say)."""
    try:
        return str(ExpressionDescriptor(ALIASES.get(expr, expr), use_24hour_time_format=True).get_description())
    except Exception:  # noqa: BLE001 - the describer's own errors vary; the expression speaks for itself
        return expr


def timing_in_words(timing: Timing) -> str:
    """The schedule and grace time as a sentence."""
    if timing.kind == CRON:
        when = f"{cron_in_words(timing.cron)} ({timing.timezone}; cron {timing.cron})"
    else:
        when = f"Every {seconds_in_words(timing.period_seconds)}"
    return f"{when}, with {seconds_in_words(timing.grace_seconds)} of grace"
