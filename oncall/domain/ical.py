"""iCalendar in and out: a calendar's events as a fixed layer, and final shifts as a calendar.

Import (as Grafana OnCall does): each event puts the person named by its SUMMARY (stripped) on call; an
event without a summary, or cancelled, puts nobody. Recurrences (RRULE, RDATE, EXDATE, moved instances)
are expanded by ``recurring_ical_events``. Floating times and all-day events are read in ``default_zone``
(an all-day event covers its local days). Our own export also lists the people in
``X-SRE-ONCALL-PERSON`` properties; when present they are used instead of the summary, so an export reads
back as the same shifts.

The work is bounded: at most 2 MB of text, 50,000 instances in the window, and recurrence rules whose
expansion from their first instance to the window's end would step through more than 100,000 candidates
(a FREQ=SECONDLY rule from 1970) are refused before anything is expanded, as are rules that would clearly
give more than 50,000 instances in the window.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar, Event
from icalendar.cal.component import Component

from oncall.domain.localtime import as_utc, local_to_utc, window_utc, zone
from oncall.domain.shifts import FixedLayer, ScheduleError, Shift

MAX_BYTES = 2 * 1024 * 1024
MAX_INSTANCES = 50_000
MAX_RULE_STEPS = 100_000
PEOPLE_PROPERTY = "X-SRE-ONCALL-PERSON"
PRODID = "-//SRE control plane//On-call schedule//EN"
_MARGIN = timedelta(days=2)  # floating and all-day events are compared in their own wall time by the library
_FREQ_SECONDS = {
    "SECONDLY": 1,
    "MINUTELY": 60,
    "HOURLY": 3600,
    "DAILY": 86400,
    "WEEKLY": 7 * 86400,
    "MONTHLY": 28 * 86400,
    "YEARLY": 365 * 86400,
}
_EXPANDING_PARTS = ("BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH")
# What icalendar and recurring_ical_events raise on malformed content (a missing DTSTART is a KeyError).
_LIBRARY_ERRORS = (ValueError, KeyError, TypeError, AttributeError, IndexError, OverflowError)


def _error(message: str) -> ScheduleError:
    return ScheduleError(message, field="ical")


def _text_of(text: str | bytes) -> str:
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise _error(f"The calendar is larger than {MAX_BYTES // (1024 * 1024)} MB.")
        try:
            return text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise _error("The calendar is not UTF-8 text.") from None
    if not isinstance(text, str):
        raise _error(f"Expected calendar text, got {type(text).__name__}.")
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise _error(f"The calendar is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    return text


def _parse(text: str | bytes) -> Calendar:
    body = _text_of(text)
    head = body.lstrip("\ufeff \t\r\n")
    if not head:
        raise _error("The calendar is empty.")
    if head.startswith("<"):
        raise _error("This is HTML or XML, not an iCalendar file (a web page or a login page?).")
    if head[0] in "{[":
        raise _error("This is JSON, not an iCalendar file.")
    if not head[:15].upper().startswith("BEGIN:VCALENDAR"):
        raise _error("This is not an iCalendar file: it does not start with BEGIN:VCALENDAR.")
    try:
        calendar = Calendar.from_ical(body)
    except _LIBRARY_ERRORS as exc:
        raise _error(f"The calendar could not be parsed: {str(exc)[:200]}") from None
    if not isinstance(calendar, Calendar) or calendar.name != "VCALENDAR":
        raise _error("The text holds no VCALENDAR.")
    return calendar


def _instant(value: date | datetime, tz: ZoneInfo) -> datetime:
    """UTC of an iCalendar DTSTART/DTEND value: aware as is, floating and dates in the default zone."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return local_to_utc(value, tz)
        return value.astimezone(UTC)
    return local_to_utc(datetime.combine(value, time.min), tz)


def _as_list(value: object) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _check_events(calendar: Calendar, *, tz: ZoneInfo, start: datetime, end: datetime) -> None:
    """Refuse events without a start, and recurrence rules whose expansion up to ``end`` would be too long
    or would give too many instances in ``[start, end)``, before anything is expanded (upper estimates:
    every BY* value is counted as if it added instances)."""
    in_window = 0.0
    for event in calendar.walk("VEVENT"):
        uid = str(event.get("UID", "?"))
        dtstart = event.get("DTSTART")
        if dtstart is None:
            raise _error(f"Event {uid} has no DTSTART.")
        rules = _as_list(event.get("RRULE"))
        if not rules:
            continue
        try:
            first = _instant(dtstart.dt, tz)
        except _LIBRARY_ERRORS:
            raise _error(f"Event {uid} has an unreadable DTSTART.") from None
        for rule in rules:
            try:
                freq = str(rule["FREQ"][0]).upper()
                interval = int(rule.get("INTERVAL", [1])[0])
                until = rule.get("UNTIL", [None])[0]
                count = int(rule["COUNT"][0]) if "COUNT" in rule else None
            except _LIBRARY_ERRORS:
                raise _error(f"Event {uid} has an unreadable RRULE.") from None
            if freq not in _FREQ_SECONDS or interval < 1:
                raise _error(f"Event {uid} has an RRULE with FREQ={freq} and INTERVAL={interval}.")
            last = end
            if isinstance(until, date):
                last = min(last, _instant(until, tz) + timedelta(days=1))
            span = (last - first).total_seconds()
            if span <= 0:
                continue
            period = _FREQ_SECONDS[freq] * interval
            fan = math.prod(len(_as_list(rule[part])) for part in _EXPANDING_PARTS if part in rule)
            steps = span / period
            if count is not None and fan == 1:
                steps = min(steps, count)
            if steps * fan > MAX_RULE_STEPS:
                raise _error(
                    f"Event {uid} repeats too often (FREQ={freq}) to expand up to {end:%Y-%m-%d}: "
                    f"more than {MAX_RULE_STEPS} candidate instances."
                )
            in_window += min(steps, (last - max(first, start)).total_seconds() / period + 1) * fan
    if in_window > MAX_INSTANCES:
        raise _error(f"The calendar has more than {MAX_INSTANCES} events in the window.")


def _people(event: Component) -> tuple[str, ...]:
    listed = {str(p).strip() for p in _as_list(event.get(PEOPLE_PROPERTY))} - {""}
    if listed:
        return tuple(sorted(listed))
    summary = str(event.get("SUMMARY", "")).strip()
    return (summary,) if summary else ()


def ical_events(
    *, text: str | bytes, start: datetime, end: datetime, level: int, key: str, default_zone: str = "UTC"
) -> FixedLayer:
    """The events of the calendar ``text`` over ``[start, end)`` as a fixed layer (shifts clipped to the
    window, sorted, source ``key``). Raises ScheduleError(field="ical") for anything that is not a usable
    calendar, naming what is wrong; ScheduleError(field="time_zone") for an unknown ``default_zone``."""
    tz = zone(default_zone)
    start, end = window_utc(start, end)
    calendar = _parse(text)
    _check_events(calendar, tz=tz, start=start - _MARGIN, end=end + _MARGIN)
    try:
        occurrences = recurring_ical_events.of(calendar).between(start - _MARGIN, end + _MARGIN)
    except _LIBRARY_ERRORS as exc:
        raise _error(f"The calendar's events could not be expanded: {str(exc)[:200]}") from None
    if len(occurrences) > MAX_INSTANCES:
        raise _error(f"The calendar has more than {MAX_INSTANCES} events in the window.")
    shifts = []
    for event in occurrences:
        people = _people(event)
        if not people or str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        try:
            s, e = _instant(event.start, tz), _instant(event.end, tz)
        except _LIBRARY_ERRORS as exc:
            raise _error(f"Event {event.get('UID', '?')} has unreadable times: {str(exc)[:200]}") from None
        s, e = max(s, start), min(e, end)
        if s < e:
            shifts.append(Shift(start=s, end=e, people=people, source=key))
    shifts.sort(key=lambda shift: (shift.start, shift.end, shift.people))
    return FixedLayer(key=key, level=level, shifts=tuple(shifts))


def shift_uid(shift: Shift, *, uid_domain: str) -> str:
    """A UID that stays the same for the same source, start and people (so calendar apps update, not add)."""
    basis = "\n".join((shift.source, as_utc(shift.start, field="shifts").isoformat(), *shift.people))
    return f"{hashlib.sha256(basis.encode()).hexdigest()[:32]}@{uid_domain}"


def ical_export(*, name: str, shifts: Sequence[Shift], now: datetime, uid_domain: str = "sre-control-plane") -> str:
    """A VCALENDAR named ``name`` with one VEVENT per shift (times in UTC, DTSTAMP ``now``, SUMMARY
    "On call: <people>", the people also in X-SRE-ONCALL-PERSON)."""
    stamp = as_utc(now, field="now")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for shift in shifts:
        event = Event()
        event.add("uid", shift_uid(shift, uid_domain=uid_domain))
        event.add("dtstamp", stamp)
        event.add("dtstart", as_utc(shift.start, field="shifts"))
        event.add("dtend", as_utc(shift.end, field="shifts"))
        event.add("summary", "On call: " + ", ".join(shift.people))
        for person in shift.people:
            event.add(PEOPLE_PROPERTY, person)
        calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data.decode("utf-8")
