"""Window arithmetic: which rollup minutes a window (start, T] counts, and where a calendar window starts."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slo.domain.windows import calendar_start, slo_window_seconds, window_minutes

UTC = dt.UTC
BERLIN_EVAL = dt.datetime(2026, 12, 1, 21, 23, 22, tzinfo=UTC)  # 22:23:22 in Berlin on 1 December


def ts(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


@pytest.mark.parametrize(
    ("end", "seconds", "first", "stop"),
    [
        # "5m" at 21:23:22: (21:18:22, 21:23:22] holds the minutes 21:19 ... 21:23 (the current one included).
        ("2026-12-01T21:23:22", 300, "2026-12-01T21:19:00", "2026-12-01T21:24:00"),
        # At a minute boundary: (21:18:00, 21:23:00] holds the same five minutes.
        ("2026-12-01T21:23:00", 300, "2026-12-01T21:19:00", "2026-12-01T21:24:00"),
        # 90 s at 21:23:22: (21:21:52, 21:23:22] holds 21:22 and 21:23.
        ("2026-12-01T21:23:22", 90, "2026-12-01T21:22:00", "2026-12-01T21:24:00"),
        # 30 s at 21:23:22: (21:22:52, 21:23:22] holds 21:23 only.
        ("2026-12-01T21:23:22", 30, "2026-12-01T21:23:00", "2026-12-01T21:24:00"),
        # 30 s at 21:23:40: (21:23:10, 21:23:40] holds no minute start: empty.
        ("2026-12-01T21:23:40", 30, "2026-12-01T21:24:00", "2026-12-01T21:24:00"),
        # The calendar month from 23:00:00Z: minute 23:00 (the previous month's last minute) is left out.
        ("2026-12-01T21:23:22", 80602, "2026-11-30T23:01:00", "2026-12-01T21:24:00"),
        ("2026-12-01T21:23:22", 0, "2026-12-01T21:24:00", "2026-12-01T21:24:00"),
    ],
)
def test_window_minutes(end, seconds, first, stop):
    assert window_minutes(end=ts(end), seconds=seconds) == (ts(first), ts(stop))


@given(end=st.integers(min_value=0, max_value=4_000_000_000), seconds=st.integers(min_value=0, max_value=100 * 86400))
def test_a_minute_counts_when_its_start_is_in_the_window(end, seconds):
    first, stop = window_minutes(end=end, seconds=seconds)
    assert first % 60 == 0 and stop % 60 == 0 and first <= stop
    for m in (first - 60, first, stop - 60, stop):
        inside = end - seconds < m <= end
        assert (first <= m < stop) == inside, m


def test_a_calendar_window_starts_exactly_at_the_period_start():
    start = calendar_start(unit="month", tz="Europe/Berlin", now=BERLIN_EVAL)
    assert start == dt.datetime(2026, 11, 30, 23, 0, 0, tzinfo=UTC)
    seconds = slo_window_seconds(kind="calendar", days=30, unit="month", tz="Europe/Berlin", now=BERLIN_EVAL)
    assert BERLIN_EVAL - dt.timedelta(seconds=seconds) == start  # not 22:59:22Z (rounded up to a minute)
    assert seconds == 22 * 3600 + 23 * 60 + 22
    # At the period's first second the window is empty (no data), not a minute long.
    assert slo_window_seconds(kind="calendar", days=30, unit="month", tz="Europe/Berlin", now=start) == 0
    summer = dt.datetime(2026, 7, 1, 0, 0, 30, tzinfo=UTC)  # CEST: the month began at 22:00Z
    assert slo_window_seconds(kind="calendar", days=30, unit="month", tz="Europe/Berlin", now=summer) == 7230
