"""Silences, inhibition and maintenance windows: pure checks over plain values."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from alerts.domain.matchers import Matcher, matches_all


def silence_state(*, starts_at: datetime, ends_at: datetime, now: datetime) -> str:
    """Alertmanager's silence states: ``pending`` before start, ``active`` until end, then ``expired``."""
    if now >= ends_at:
        return "expired"
    if now < starts_at:
        return "pending"
    return "active"


def silence_matchers(items: Iterable[Mapping[str, object]]) -> tuple[Matcher, ...]:
    """Alertmanager API v2 matchers (``name``, ``value``, ``isRegex``, ``isEqual`` default true)."""
    out = []
    for item in items:
        regex = bool(item.get("isRegex", False))
        equal = bool(item.get("isEqual", True))
        op = {(False, True): "=", (False, False): "!=", (True, True): "=~", (True, False): "!~"}[(regex, equal)]
        out.append(Matcher(name=str(item.get("name", "")), op=op, value=str(item.get("value", ""))))
    return tuple(out)


@dataclass(frozen=True)
class InhibitRule:
    source: tuple[Matcher, ...]
    target: tuple[Matcher, ...]
    equal: tuple[str, ...]


def inhibited(
    *,
    labels: Mapping[str, str],
    fingerprint: str,
    rules: Iterable[InhibitRule],
    firing: Iterable[tuple[str, Mapping[str, Any]]],
) -> bool:
    """Whether a target alert is muted by a firing source alert (``firing`` = (fingerprint, labels) pairs).

    As in Alertmanager: the target matches ``target_matchers``, some other firing alert matches
    ``source_matchers`` and both have equal values (missing = "") for every ``equal`` label; an alert never
    inhibits itself. A target that also matches ``source_matchers`` is only inhibited by sources that do not
    match ``target_matchers`` (Alertmanager's ``excludeTwoSidedMatch``: two alerts that each match both sides
    do not mute each other).
    """
    firing = list(firing)
    for rule in rules:
        if not matches_all(rule.target, labels):
            continue
        two_sided = matches_all(rule.source, labels)
        for source_fp, source_labels in firing:
            if source_fp == fingerprint or not matches_all(rule.source, source_labels):
                continue
            if two_sided and matches_all(rule.target, source_labels):
                continue
            if all(source_labels.get(name, "") == labels.get(name, "") for name in rule.equal):
                return True
    return False


RECURRENCES = ("none", "daily", "weekly", "monthly")


def _add_months(value: datetime, months: int) -> datetime:
    month = value.month - 1 + months
    year = value.year + month // 12
    month = month % 12 + 1

    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def occurrence_at(
    *, starts_at: datetime, ends_at: datetime, recurrence: str, until: datetime | None, at: datetime
) -> tuple[datetime, datetime] | None:
    """The maintenance occurrence (start, end) covering ``at``, or ``None``.

    The first occurrence is ``[starts_at, ends_at)``; ``daily``/``weekly``/``monthly`` repeat it with the same
    duration, never starting after ``until``.
    """
    if recurrence not in RECURRENCES:
        raise ValueError(f"unknown recurrence {recurrence!r}")
    duration = ends_at - starts_at
    if at < starts_at or duration <= timedelta(0):
        return None
    if recurrence == "none":
        return (starts_at, ends_at) if at < ends_at else None
    if recurrence in ("daily", "weekly"):
        step = timedelta(days=1 if recurrence == "daily" else 7)
        index = (at - starts_at) // step
        # Occurrences longer than the step overlap: check the previous ones too.
        for back in range(int(duration // step) + 1):
            start = starts_at + (index - back) * step
            if start < starts_at or (until and start > until):
                continue
            if start <= at < start + duration:
                return start, start + duration
        return None
    months = (at.year - starts_at.year) * 12 + at.month - starts_at.month
    for candidate in (months, months - 1):
        if candidate < 0:
            continue
        start = _add_months(starts_at, candidate)
        if until and start > until:
            continue
        if start <= at < start + duration:
            return start, start + duration
    return None


def next_occurrence(
    *, starts_at: datetime, ends_at: datetime, recurrence: str, until: datetime | None, after: datetime
) -> tuple[datetime, datetime] | None:
    """The first occurrence ending after ``after`` (for "next window" displays)."""
    duration = ends_at - starts_at
    start = starts_at
    for index in range(5000):
        if recurrence == "none" and index > 0:
            return None
        if recurrence == "daily":
            start = starts_at + timedelta(days=index)
        elif recurrence == "weekly":
            start = starts_at + timedelta(days=7 * index)
        elif recurrence == "monthly":
            start = _add_months(starts_at, index)
        if until and start > until:
            return None
        if start + duration > after:
            return start, start + duration
    return None
