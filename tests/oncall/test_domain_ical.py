"""iCalendar import and export (oncall.domain.ical). No database, no network: calendars are literals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from oncall.domain import ical
from oncall.domain.ical import ical_events, ical_export
from oncall.domain.schedule import FixedLayer, Layer, ScheduleError, Shift, final_schedule


def u(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def calendar(*events: str, extra: str = "") -> str:
    body = "".join(f"BEGIN:VEVENT\r\n{event.strip()}\r\nEND:VEVENT\r\n" for event in events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//test//EN\r\n{extra}{body}END:VCALENDAR\r\n"


MARCH, APRIL = u(2026, 3, 1), u(2026, 4, 1)


def events(text: str | bytes, start: datetime = MARCH, end: datetime = APRIL, zone: str = "UTC") -> FixedLayer:
    return ical_events(text=text, start=start, end=end, level=3, key="ical:7", default_zone=zone)


def triples(layer: FixedLayer) -> list[tuple[datetime, datetime, str]]:
    return [(s.start, s.end, ",".join(s.people)) for s in layer.shifts]


WEEKLY = calendar(
    """
UID:weekly@example.com
SUMMARY: alice@example.com
DTSTART;TZID=Europe/Berlin:20260302T090000
DTEND;TZID=Europe/Berlin:20260302T170000
RRULE:FREQ=WEEKLY;BYDAY=MO
EXDATE;TZID=Europe/Berlin:20260309T090000
""",
    # the instance of 16 March moved to Tuesday 17 March, 10:00–12:00, and handed to bob
    """
UID:weekly@example.com
RECURRENCE-ID;TZID=Europe/Berlin:20260316T090000
SUMMARY:bob
DTSTART;TZID=Europe/Berlin:20260317T100000
DTEND;TZID=Europe/Berlin:20260317T120000
""",
)


def test_weekly_rule_with_exdate_and_a_moved_instance():
    layer = events(WEEKLY)
    assert (layer.key, layer.level) == ("ical:7", 3)
    assert triples(layer) == [
        (u(2026, 3, 2, 8), u(2026, 3, 2, 16), "alice@example.com"),  # CET; 9 March is excluded
        (u(2026, 3, 17, 9), u(2026, 3, 17, 11), "bob"),  # the moved instance
        (u(2026, 3, 23, 8), u(2026, 3, 23, 16), "alice@example.com"),
        (u(2026, 3, 30, 7), u(2026, 3, 30, 15), "alice@example.com"),  # CEST: still 09:00 local
    ]
    assert all(s.source == "ical:7" for s in layer.shifts)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            calendar(
                """
UID:ny@example.com
SUMMARY:carol
DTSTART;TZID=America/New_York:20260302T090000
DTEND;TZID=America/New_York:20260309T090000
RRULE:FREQ=WEEKLY;COUNT=2
"""
            ),
            [(u(2026, 3, 2, 14), u(2026, 3, 9, 13), "carol"), (u(2026, 3, 9, 13), u(2026, 3, 16, 13), "carol")],
            id="iana-tzid-167-hours",
        ),
        pytest.param(
            calendar(
                """
UID:outlook@example.com
SUMMARY:dora
DTSTART;TZID=W. Europe Standard Time:20260323T090000
DTEND;TZID=W. Europe Standard Time:20260330T090000
RRULE:FREQ=WEEKLY;COUNT=2
""",
                extra=(
                    "BEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\n"
                    "BEGIN:STANDARD\r\nDTSTART:16010101T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"
                    "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\n"
                    "BEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
                    "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
                ),
            ),
            [(u(2026, 3, 23, 8), u(2026, 3, 30, 7), "dora"), (u(2026, 3, 30, 7), u(2026, 4, 1), "dora")],
            id="outlook-vtimezone-167-hours-clipped",
        ),
        pytest.param(
            calendar("UID:day@example.com\r\nSUMMARY:erin\r\nDTSTART;VALUE=DATE:20260329\r\nDTEND;VALUE=DATE:20260330"),
            [(u(2026, 3, 28, 23), u(2026, 3, 29, 22), "erin")],  # the 23-hour local day in the default zone
            id="all-day-in-default-zone",
        ),
        pytest.param(
            calendar("UID:f@example.com\r\nSUMMARY:finn\r\nDTSTART:20260305T090000\r\nDTEND:20260305T100000"),
            [(u(2026, 3, 5, 8), u(2026, 3, 5, 9), "finn")],  # floating time read in the default zone
            id="floating-in-default-zone",
        ),
        pytest.param(
            calendar(
                "UID:a@example.com\r\nDTSTART:20260305T090000Z\r\nDTEND:20260305T100000Z",  # no summary
                "UID:b@example.com\r\nSUMMARY:  \r\nDTSTART:20260305T090000Z\r\nDTEND:20260305T100000Z",
                "UID:c@example.com\r\nSUMMARY:gus\r\nSTATUS:CANCELLED\r\nDTSTART:20260305T090000Z\r\n"
                "DTEND:20260305T100000Z",
                "UID:d@example.com\r\nSUMMARY:hal\r\nDTSTART:20260228T120000Z\r\nDTEND:20260301T060000Z",
                "UID:e@example.com\r\nSUMMARY:ida\r\nDTSTART:20260101T000000Z\r\nDTEND:20260102T000000Z",
            ),
            [(u(2026, 3, 1), u(2026, 3, 1, 6), "hal")],  # clipped to the window; nobody named is skipped
            id="skipped-and-clipped",
        ),
    ],
)
def test_events(text, expected):
    assert triples(events(text, zone="Europe/Berlin")) == expected


GARBAGE = [
    ("", "empty"),
    ("  \r\n ", "empty"),
    ("<!DOCTYPE html><html><body>Sign in</body></html>", "HTML"),
    ('{"events": []}', "JSON"),
    ("[1, 2]", "JSON"),
    ("hello, world", "does not start with BEGIN:VCALENDAR"),
    ("BEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VEVENT\r\n", "does not start with BEGIN:VCALENDAR"),
    ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\n", "could not be parsed"),
    (b"\xff\xfe\x00B\x00E", "not UTF-8"),
    (calendar("UID:n@example.com\r\nSUMMARY:x"), "no DTSTART"),
    (calendar("UID:z@example.com\r\nSUMMARY:x\r\nDTSTART:2026"), "could not be expanded"),
    (calendar("UID:r@example.com\r\nSUMMARY:x\r\nDTSTART:20260101T000000Z\r\nRRULE:FREQ=FORTNIGHTLY"), "RRULE"),
    (calendar("UID:s@example.com\r\nSUMMARY:x\r\nDTSTART:19700101T000000Z\r\nRRULE:FREQ=SECONDLY"), "too often"),
    (
        calendar(
            "UID:m@example.com\r\nSUMMARY:x\r\nDTSTART:20260301T000000Z\r\nDURATION:PT1M\r\n"
            "RRULE:FREQ=MINUTELY;BYSECOND=0,30"  # 95,000 instances in March: refused before expanding
        ),
        "more than 50000 events",
    ),
    ("BEGIN:VCALENDAR\r\n" + "X-PAD:" + "x" * (2 * 1024 * 1024) + "\r\nEND:VCALENDAR\r\n", "larger than 2 MB"),
    (b"BEGIN:VCALENDAR\r\n" + b"X" * (2 * 1024 * 1024) + b"\r\nEND:VCALENDAR\r\n", "larger than 2 MB"),
]


@pytest.mark.parametrize(("text", "fragment"), GARBAGE, ids=[f"garbage-{i}" for i in range(len(GARBAGE))])
def test_anything_that_is_not_a_calendar_is_refused_naming_what_is_wrong(text, fragment):
    with pytest.raises(ScheduleError) as caught:
        events(text)
    assert caught.value.field == "ical"
    assert fragment in caught.value.message


def test_instances_are_counted_after_expansion(monkeypatch):
    rdates = ",".join(f"202603{day:02d}T090000Z" for day in range(2, 9))  # RDATEs are not in the rule estimate
    text = calendar(f"UID:x@example.com\r\nSUMMARY:x\r\nDTSTART:20260301T090000Z\r\nDURATION:PT1H\r\nRDATE:{rdates}")
    assert len(events(text).shifts) == 8
    monkeypatch.setattr(ical, "MAX_INSTANCES", 5)
    with pytest.raises(ScheduleError, match="more than 5 events"):
        events(text)


def test_unknown_default_zone_names_the_time_zone():
    with pytest.raises(ScheduleError) as caught:
        events(WEEKLY, zone="Nowhere/Special")
    assert caught.value.field == "time_zone"


SHIFTS = (
    Shift(start=u(2026, 3, 2, 8), end=u(2026, 3, 9, 7), people=("alice",), source="layer:1"),
    Shift(start=u(2026, 3, 9, 7), end=u(2026, 3, 9, 12), people=("alice", "bob"), source="layer:1+layer:2"),
    Shift(start=u(2026, 3, 9, 12), end=u(2026, 3, 16, 7), people=("carol",), source="override:4"),
)


def test_export_is_a_calendar_with_one_event_per_shift():
    text = ical_export(name="Primary on call", shifts=SHIFTS, now=u(2026, 3, 1, 12))
    parsed = icalendar.Calendar.from_ical(text)
    assert str(parsed["VERSION"]) == "2.0"
    assert str(parsed["PRODID"]) == ical.PRODID
    assert str(parsed["X-WR-CALNAME"]) == "Primary on call"
    vevents = parsed.walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in vevents] == ["On call: alice", "On call: alice, bob", "On call: carol"]
    assert [(e["DTSTART"].dt, e["DTEND"].dt) for e in vevents] == [(s.start, s.end) for s in SHIFTS]
    assert all(e["DTSTAMP"].dt == u(2026, 3, 1, 12) for e in vevents)
    assert "DTSTART:20260302T080000Z" in text
    uids = [str(e["UID"]) for e in vevents]
    assert len(set(uids)) == 3 and all(uid.endswith("@sre-control-plane") for uid in uids)


def test_export_uids_are_stable_and_follow_source_start_and_people():
    def uids(shifts, now):
        parsed = icalendar.Calendar.from_ical(ical_export(name="x", shifts=shifts, now=now))
        return [str(e["UID"]) for e in parsed.walk("VEVENT")]

    first = uids(SHIFTS, u(2026, 3, 1))
    assert uids(SHIFTS, u(2026, 3, 5)) == first  # a later export updates the same events
    changed = (Shift(start=SHIFTS[0].start, end=SHIFTS[0].end, people=("dave",), source="layer:1"),)
    assert uids(changed, u(2026, 3, 1)) != first[:1]


def test_export_reads_back_as_the_same_shifts():
    text = ical_export(name="x", shifts=SHIFTS, now=u(2026, 3, 1))
    back = ical_events(text=text, start=u(2026, 3, 1), end=u(2026, 4, 1), level=0, key="feed")
    assert [(s.start, s.end, s.people) for s in back.shifts] == [(s.start, s.end, s.people) for s in SHIFTS]
    assert {s.source for s in back.shifts} == {"feed"}


def test_a_final_schedule_round_trips_through_a_feed():
    layers = [
        Layer(
            key="layer:1",
            level=0,
            participants=("alice", "bob"),
            rotation="weeks",
            every=1,
            start=datetime(2026, 3, 23, 9, 0),
        )
    ]
    window = {"start": u(2026, 3, 23), "end": u(2026, 4, 20)}
    final = final_schedule(time_zone="Europe/Berlin", layers=layers, **window)
    text = ical_export(name="x", shifts=final.shifts, now=u(2026, 3, 1))
    fixed = ical_events(text=text, level=0, key="feed", default_zone="Europe/Berlin", **window)
    again = final_schedule(time_zone="UTC", layers=[fixed], **window)
    assert [(s.start, s.end, s.people) for s in again.shifts] == [(s.start, s.end, s.people) for s in final.shifts]
    assert again.shifts[1].start == u(2026, 3, 30, 7)  # the 09:00 CEST handoff survived the trip
    assert again.gaps == final.gaps


def test_events_accept_bytes_with_a_bom():
    layer = events(b"\xef\xbb\xbf" + WEEKLY.encode(), end=u(2026, 3, 3))
    assert triples(layer) == [(u(2026, 3, 2, 8), u(2026, 3, 2, 16), "alice@example.com")]
    assert (layer.shifts[0].end - layer.shifts[0].start) == timedelta(hours=8)
