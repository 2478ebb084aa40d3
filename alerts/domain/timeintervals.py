"""Alertmanager ``time_intervals`` (times, weekdays, days_of_month, months, years, location)."""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = [m.lower() for m in calendar.month_name[1:]]
_TIME = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")


class IntervalError(ValueError):
    """A time interval that does not parse."""


def _minutes(text: str) -> int:
    found = _TIME.match(str(text).strip())
    if not found:
        raise IntervalError(f"invalid time {text!r}; expected HH:MM")
    value = int(found.group(1)) * 60 + int(found.group(2))
    if value > 24 * 60:
        raise IntervalError(f"invalid time {text!r}")
    return value


def _range(text: str, names: list[str] | None, low: int, high: int, *, negative: bool = False) -> tuple[int, int]:
    parts = str(text).strip().lower().split(":")
    if len(parts) > 2 or not parts[0]:
        raise IntervalError(f"invalid range {text!r}")

    def one(token: str) -> int:
        if names and token in names:
            return names.index(token) + low
        try:
            value = int(token)
        except ValueError:
            raise IntervalError(f"invalid value {token!r} in {text!r}") from None
        if negative and value < 0 and value >= -high:
            return value
        if not low <= value <= high:
            raise IntervalError(f"value {token!r} out of range in {text!r}")
        return value

    start = one(parts[0])
    end = one(parts[-1])
    return start, end


def validate(spec: Mapping[str, Any]) -> None:
    """Raise ``IntervalError`` if one interval entry is malformed, or holds a month or year range that ends
    before it starts (it could never match; Alertmanager refuses it too)."""
    check_active(spec, datetime(2000, 1, 1, tzinfo=ZoneInfo("UTC")))
    for field, names, low, high in (("months", MONTHS, 1, 12), ("years", None, 1, 9999)):
        for text in spec.get(field) or ():
            start, end = _range(text, names, low, high)
            if start > end:
                raise IntervalError(f"{field} range {text!r} ends before it starts")


def check_active(spec: Mapping[str, Any], at: datetime) -> bool:
    """Whether the aware datetime ``at`` falls in this one interval entry (all given fields must match)."""
    unknown = set(spec) - {"times", "weekdays", "days_of_month", "months", "years", "location"}
    if unknown:
        raise IntervalError(f"unknown field(s) {sorted(unknown)}")
    location = spec.get("location") or "UTC"
    try:
        local = at.astimezone(ZoneInfo(location if location != "Local" else "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        raise IntervalError(f"unknown location {location!r}") from None
    # A field that is present constrains, even as an empty list, which then matches nothing (Alertmanager
    # reads "weekdays: []" as a non-nil empty list that no day is in); an absent or null field does not.
    ok = True
    if spec.get("times") is not None:
        minute = local.hour * 60 + local.minute
        hits = []
        for entry in spec["times"]:
            start, end = _minutes(entry.get("start_time", "")), _minutes(entry.get("end_time", ""))
            if end <= start:
                raise IntervalError("end_time must be after start_time")
            hits.append(start <= minute < end)
        ok = ok and any(hits)
    if spec.get("weekdays") is not None:
        day = local.weekday()
        # Monday is 0 here, Sunday 0 in Alertmanager; a range whose start comes after its end wraps around
        # the week, so "sunday:tuesday" (valid there) is Sunday to Tuesday. Alertmanager refuses a wrapping
        # range such as "saturday:sunday"; we accept it as the weekend.
        hits = [
            a <= day <= b if a <= b else (day >= a or day <= b)
            for a, b in (_range(t, WEEKDAYS, 0, 6) for t in spec["weekdays"])
        ]
        ok = ok and any(hits)
    if spec.get("days_of_month") is not None:
        last = calendar.monthrange(local.year, local.month)[1]
        hits = []
        for text in spec["days_of_month"]:
            a, b = _range(text, None, 1, 31, negative=True)
            a = last + 1 + a if a < 0 else a
            b = last + 1 + b if b < 0 else b
            hits.append(a <= local.day <= b)
        ok = ok and any(hits)
    if spec.get("months") is not None:
        hits = [a <= local.month <= b for a, b in (_range(t, MONTHS, 1, 12) for t in spec["months"])]
        ok = ok and any(hits)
    if spec.get("years") is not None:
        hits = [a <= local.year <= b for a, b in (_range(t, None, 1, 9999) for t in spec["years"])]
        ok = ok and any(hits)
    return ok


def any_active(entries: Sequence[Mapping[str, Any]], at: datetime) -> bool:
    """An Alertmanager named time interval is a list of entries; it is active when any entry is."""
    return any(check_active(entry, at) for entry in entries)


def route_muted(
    *,
    mute: tuple[str, ...],
    active: tuple[str, ...],
    intervals: Mapping[str, Sequence[Mapping[str, Any]]],
    at: datetime,
) -> bool:
    """A route is muted at ``at`` if any mute interval is active, or if it has active intervals and none is.

    Unknown names are ignored (config import refuses them; a deleted interval must not page everyone).
    """
    if any(any_active(intervals[name], at) for name in mute if name in intervals):
        return True
    known = [name for name in active if name in intervals]
    return bool(known) and not any(any_active(intervals[name], at) for name in known)
