"""Occurrences of (possibly recurring) maintenance windows, and Statuspage's maintenance status.

The recurrence rules are the alerts app's (``alerts.domain.suppression``): the first span repeats daily,
weekly or monthly with the same duration, never starting after ``until``."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta

MAX_OCCURRENCES = 5000


def _add_months(value: datetime, months: int) -> datetime:
    month = value.month - 1 + months
    year = value.year + month // 12
    month = month % 12 + 1
    return value.replace(year=year, month=month, day=min(value.day, calendar.monthrange(year, month)[1]))


def occurrence_start(starts_at: datetime, recurrence: str, index: int) -> datetime:
    if recurrence == "daily":
        return starts_at + timedelta(days=index)
    if recurrence == "weekly":
        return starts_at + timedelta(days=7 * index)
    if recurrence == "monthly":
        return _add_months(starts_at, index)
    return starts_at


def occurrences(
    *,
    starts_at: datetime,
    ends_at: datetime,
    recurrence: str,
    until: datetime | None,
    start: datetime,
    end: datetime,
) -> list[tuple[datetime, datetime]]:
    """Occurrences ``(start, end)`` that overlap ``[start, end)``, oldest first."""
    duration = ends_at - starts_at
    out: list[tuple[datetime, datetime]] = []
    if duration <= timedelta(0):
        return out
    first = 0
    if recurrence in ("daily", "weekly") and start > starts_at:
        step = timedelta(days=1 if recurrence == "daily" else 7)
        first = max(0, (start - starts_at) // step - int(duration // step) - 1)
    elif recurrence == "monthly" and start > starts_at:
        first = max(0, (start.year - starts_at.year) * 12 + start.month - starts_at.month - 2)
    for index in range(first, first + MAX_OCCURRENCES):
        begin = occurrence_start(starts_at, recurrence, index)
        if (recurrence != "none" and until is not None and begin > until) or begin >= end:
            break
        if begin + duration > start:
            out.append((begin, begin + duration))
        if recurrence == "none":
            break
    return out


def current_or_next(
    *, starts_at: datetime, ends_at: datetime, recurrence: str, until: datetime | None, now: datetime
) -> tuple[datetime, datetime] | None:
    """The occurrence in progress at ``now``, else the next one; ``None`` when all are over."""
    found = occurrences(
        starts_at=starts_at,
        ends_at=ends_at,
        recurrence=recurrence,
        until=until,
        start=now,
        end=now + timedelta(days=400),
    )
    return found[0] if found else None


def last_before(
    *, starts_at: datetime, ends_at: datetime, recurrence: str, until: datetime | None, now: datetime
) -> tuple[datetime, datetime] | None:
    """The most recent occurrence that has ended by ``now``."""
    found = occurrences(
        starts_at=starts_at,
        ends_at=ends_at,
        recurrence=recurrence,
        until=until,
        start=now - timedelta(days=62),
        end=now,
    )
    done = [o for o in found if o[1] <= now]
    return done[-1] if done else None


def maintenance_status(
    *,
    occurrence: tuple[datetime, datetime] | None,
    now: datetime,
    verifying: bool = False,
    finished: bool = False,
) -> str:
    """Statuspage's status of a maintenance occurrence: scheduled before it, in_progress (or verifying,
    when flagged) during it, completed after it or when ended early (``finished``)."""
    if finished or occurrence is None or now >= occurrence[1]:
        return "completed"
    if now < occurrence[0]:
        return "scheduled"
    return "verifying" if verifying else "in_progress"
