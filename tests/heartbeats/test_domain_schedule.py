"""When a check is due: periods, cron expressions in a time zone across clock changes, and what is refused. No
database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from hypothesis import given, settings
from hypothesis import strategies as st

from heartbeats.domain.schedule import (
    CRON,
    PERIOD,
    HeartbeatConfigError,
    Timing,
    cron_check,
    cron_next,
    next_due,
    seconds_in_words,
    timing_check,
    timing_in_words,
)

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(UTC)


def cron_timing(expr: str, zone: str = "UTC") -> Timing:
    return Timing(kind=CRON, period_seconds=86400, cron=expr, timezone=zone, grace_seconds=3600)


@pytest.mark.parametrize(
    ("period", "after", "due"),
    [
        (60, "2026-03-02T12:00:00+00:00", "2026-03-02T12:01:00+00:00"),
        (86400, "2026-03-28T23:30:00+00:00", "2026-03-29T23:30:00+00:00"),  # a period is elapsed time, DST or not
        (3600, "2026-03-02T12:00:00.250000+00:00", "2026-03-02T13:00:00.250000+00:00"),
    ],
)
def test_a_period_is_due_that_long_after_the_last_ping(period, after, due) -> None:
    timing = Timing(kind=PERIOD, period_seconds=period, cron="", timezone="UTC", grace_seconds=60)
    assert next_due(timing=timing, after=at(after)) == at(due)


@pytest.mark.parametrize(
    ("expr", "zone", "after", "due", "why"),
    [
        ("0 3 * * *", "UTC", "2026-03-02T12:00:00+00:00", "2026-03-03T03:00:00+00:00", "next day"),
        ("0 3 * * *", "UTC", "2026-03-03T03:00:00+00:00", "2026-03-04T03:00:00+00:00", "strictly after"),
        ("0 3 * * *", "UTC", "2026-03-03T02:59:59+00:00", "2026-03-03T03:00:00+00:00", "the same day"),
        ("*/15 * * * *", "UTC", "2026-03-02T12:07:00+00:00", "2026-03-02T12:15:00+00:00", "every 15 minutes"),
        ("0 9 * * 1-5", "UTC", "2026-03-06T10:00:00+00:00", "2026-03-09T09:00:00+00:00", "Friday to Monday"),
        ("@daily", "UTC", "2026-03-02T12:00:00+00:00", "2026-03-03T00:00:00+00:00", "an alias"),
        ("0 0 29 2 *", "UTC", "2026-03-02T12:00:00+00:00", "2028-02-29T00:00:00+00:00", "leap days only"),
        ("0 0 13 * 5", "UTC", "2026-03-02T12:00:00+00:00", "2026-03-06T00:00:00+00:00", "day OR weekday, as cron"),
        ("0 3 * * *", "Europe/Berlin", "2026-03-02T12:00:00+00:00", "2026-03-03T02:00:00+00:00", "CET is UTC+1"),
        ("0 3 * * *", "Europe/Berlin", "2026-07-02T12:00:00+00:00", "2026-07-03T01:00:00+00:00", "CEST is UTC+2"),
        # Spring forward in Berlin, 2026-03-29 02:00 CET -> 03:00 CEST: no 02:30 that night; due at the jump.
        ("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00+00:00", "2026-03-29T01:00:00+00:00", "skipped: at jump"),
        ("30 2 * * *", "Europe/Berlin", "2026-03-29T01:00:00+00:00", "2026-03-30T00:30:00+00:00", "then CEST"),
        ("0 3 * * *", "Europe/Berlin", "2026-03-28T12:00:00+00:00", "2026-03-29T01:00:00+00:00", "03:00 CEST exists"),
        # Fall back in Berlin, 2026-10-25 03:00 CEST -> 02:00 CET: 02:30 happens twice; due at the first only.
        ("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00+00:00", "2026-10-25T00:30:00+00:00", "first 02:30"),
        ("30 2 * * *", "Europe/Berlin", "2026-10-25T00:31:00+00:00", "2026-10-26T01:30:00+00:00", "not the second"),
        ("0 * * * *", "Europe/Berlin", "2026-10-25T00:10:00+00:00", "2026-10-25T02:00:00+00:00", "repeated 02:00"),
        # A ping inside the repeated hour (its second pass) is not mistaken for one before it.
        ("*/30 * * * *", "Europe/Berlin", "2026-10-25T01:10:00+00:00", "2026-10-25T02:00:00+00:00", "second pass"),
        ("30 2 * * *", "America/New_York", "2026-03-07T12:00:00+00:00", "2026-03-08T07:00:00+00:00", "NY gap"),
        ("30 1 * * *", "America/New_York", "2026-10-31T12:00:00+00:00", "2026-11-01T05:30:00+00:00", "NY first 1:30"),
        # Lord Howe Island moves its clocks by half an hour (2026-10-04 02:00 -> 02:30).
        ("15 2 * * *", "Australia/Lord_Howe", "2026-10-03T12:00:00+00:00", "2026-10-03T15:30:00+00:00", "half hour"),
        ("0 5 * * *", "Asia/Kolkata", "2026-03-02T12:00:00+00:00", "2026-03-02T23:30:00+00:00", "UTC+5:30"),
    ],
)
def test_cron_is_due_at_its_next_fire_time_in_its_zone(expr, zone, after, due, why) -> None:
    assert next_due(timing=cron_timing(expr, zone), after=at(after)) == at(due), why


@pytest.mark.parametrize(
    ("expr", "zone", "field"),
    [
        ("0 0 31 2 *", "UTC", "cron"),  # never fires
        ("0 0 30 2 *", "UTC", "cron"),
        ("0 0 31 4,6,9,11 *", "UTC", "cron"),
        ("* * * *", "UTC", "cron"),  # four fields
        ("* * * * * *", "UTC", "cron"),  # six (seconds) fields
        ("61 * * * *", "UTC", "cron"),
        ("H * * * *", "UTC", "cron"),
        ("@reboot", "UTC", "cron"),
        ("", "UTC", "cron"),
        ("0 3 * * * ; rm", "UTC", "cron"),
        ("0 3 * * *", "Mars/Olympus_Mons", "timezone"),
        ("0 3 * * *", "", "timezone"),
        ("0 3 * * *", "../../etc/passwd", "timezone"),
    ],
)
def test_cron_that_cannot_work_is_refused_naming_the_field(expr, zone, field) -> None:
    with pytest.raises(HeartbeatConfigError) as caught:
        cron_check(expr, timezone=zone, now=NOW)
    assert caught.value.field == field


def test_cron_is_normalised() -> None:
    assert cron_check("  0   3 * *   * ", timezone="UTC", now=NOW) == "0 3 * * *"
    assert cron_check("@DAILY", timezone="UTC", now=NOW) == "@daily"
    assert cron_check("0 0 29 2 *", timezone="UTC", now=NOW) == "0 0 29 2 *"  # rare, but it fires


@pytest.mark.parametrize(
    ("timing", "field"),
    [
        (Timing(kind="weekly", period_seconds=60, cron="", timezone="UTC", grace_seconds=60), "schedule_kind"),
        (Timing(kind=PERIOD, period_seconds=59, cron="", timezone="UTC", grace_seconds=60), "period_seconds"),
        (Timing(kind=PERIOD, period_seconds=366 * 86400, cron="", timezone="UTC", grace_seconds=60), "period_seconds"),
        (Timing(kind=PERIOD, period_seconds=60, cron="", timezone="UTC", grace_seconds=0), "grace_seconds"),
        (Timing(kind=PERIOD, period_seconds=True, cron="", timezone="UTC", grace_seconds=60), "period_seconds"),
        (Timing(kind=PERIOD, period_seconds=60, cron="", timezone="Nowhere", grace_seconds=60), "timezone"),
        (Timing(kind=CRON, period_seconds=60, cron="0 0 31 2 *", timezone="UTC", grace_seconds=60), "cron"),
    ],
)
def test_timing_names_its_first_bad_field(timing, field) -> None:
    with pytest.raises(HeartbeatConfigError) as caught:
        timing_check(timing, now=NOW)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(60, "1 minute"), (90, "1 minute 30 seconds"), (86400, "1 day"), (93600, "1 day 2 hours"), (7200, "2 hours")],
)
def test_seconds_in_words(seconds, words) -> None:
    assert seconds_in_words(seconds) == words


def test_schedule_in_words() -> None:
    period = Timing(kind=PERIOD, period_seconds=86400, cron="", timezone="UTC", grace_seconds=3600)
    assert timing_in_words(period) == "Every 1 day, with 1 hour of grace"
    words = timing_in_words(cron_timing("30 2 * * 1-5", "Europe/Berlin"))
    assert words.startswith("At 02:30, Monday through Friday (Europe/Berlin; cron 30 2 * * 1-5)")
    assert timing_in_words(cron_timing("@weekly")).startswith("At 00:00, only on Sunday")


# --- properties -------------------------------------------------------------------------------------------------
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "America/Santiago"]
CRONS = ["*/15 * * * *", "0 * * * *", "30 2 * * *", "0 3 * * 1-5", "15 1 * * *", "45 */2 * * *", "0 0 * * *"]
# Instants in 2026, dense around the year's clock changes in those zones.
TRANSITIONS = [
    dt.datetime(2026, 3, 8, 7, tzinfo=UTC),  # New York spring
    dt.datetime(2026, 3, 29, 1, tzinfo=UTC),  # Berlin spring
    dt.datetime(2026, 4, 4, 15, tzinfo=UTC),  # Lord Howe autumn
    dt.datetime(2026, 4, 5, 3, tzinfo=UTC),  # Santiago autumn
    dt.datetime(2026, 9, 6, 4, tzinfo=UTC),  # Santiago spring
    dt.datetime(2026, 10, 3, 15, 30, tzinfo=UTC),  # Lord Howe spring
    dt.datetime(2026, 10, 25, 1, tzinfo=UTC),  # Berlin autumn
    dt.datetime(2026, 11, 1, 6, tzinfo=UTC),  # New York autumn
]
instants = st.builds(
    lambda base, offset: base + dt.timedelta(seconds=offset),
    st.sampled_from(TRANSITIONS),
    st.integers(min_value=-3 * 86400, max_value=3 * 86400),
)


@given(
    after=st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(UTC)),
    period=st.integers(min_value=60, max_value=365 * 86400),
)
def test_period_due_is_exactly_one_period_later(after, period) -> None:
    timing = Timing(kind=PERIOD, period_seconds=period, cron="", timezone="UTC", grace_seconds=60)
    assert (next_due(timing=timing, after=after) - after).total_seconds() == period


def _fires(expr: str, zone: ZoneInfo, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """Reference, minute by minute: the instants in (start, end] where cron would run the job in ``zone`` — a
    matching wall-clock minute at its first occurrence, or the jump over a skipped matching minute."""
    out = []
    minute = (start + dt.timedelta(minutes=1)).replace(second=0, microsecond=0)
    while minute <= end:
        wall = minute.astimezone(zone)
        before = (minute - dt.timedelta(minutes=1)).astimezone(zone).replace(tzinfo=None)
        naive = wall.replace(tzinfo=None)
        if wall.fold == 0 and croniter.match(expr, naive):
            out.append(minute)
        elif naive - before > dt.timedelta(minutes=1):  # the clock jumped: were matching minutes skipped?
            skipped = before + dt.timedelta(minutes=1)
            while skipped < naive:
                if croniter.match(expr, skipped):
                    out.append(minute)
                    break
                skipped += dt.timedelta(minutes=1)
        minute += dt.timedelta(minutes=1)
    return out


@settings(max_examples=60, deadline=None)
@given(after=instants, expr=st.sampled_from(CRONS), zone_name=st.sampled_from(ZONES))
def test_cron_due_is_the_first_time_cron_would_run_the_job(after, expr, zone_name) -> None:
    zone = ZoneInfo(zone_name)
    due = cron_next(expr=expr, zone=zone, after=after)
    assert due > after
    assert due.second == 0 and due.microsecond == 0
    assert (due - after) <= dt.timedelta(days=4)
    assert _fires(expr, zone, after, due) == [due]  # it is a run time, and none comes between
