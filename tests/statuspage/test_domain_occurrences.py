"""Maintenance occurrences and status (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from statuspage.domain import occurrences as o

T0 = datetime(2026, 1, 31, 22, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=2)


def test_one_off() -> None:
    found = o.occurrences(starts_at=T0, ends_at=T1, recurrence="none", until=None, start=T0 - timedelta(days=1), end=T1)
    assert found == [(T0, T1)]
    assert (
        o.occurrences(starts_at=T0, ends_at=T1, recurrence="none", until=None, start=T1, end=T1 + timedelta(days=1))
        == []
    )


def test_weekly_until() -> None:
    found = o.occurrences(
        starts_at=T0,
        ends_at=T1,
        recurrence="weekly",
        until=T0 + timedelta(days=14),
        start=T0,
        end=T0 + timedelta(days=60),
    )
    assert [s for s, _ in found] == [T0, T0 + timedelta(days=7), T0 + timedelta(days=14)]


def test_monthly_clamps_the_day() -> None:
    found = o.occurrences(
        starts_at=T0, ends_at=T1, recurrence="monthly", until=None, start=T0, end=T0 + timedelta(days=40)
    )
    assert found[1][0] == datetime(2026, 2, 28, 22, 0, tzinfo=UTC)


def test_daily_far_in_the_future_is_found() -> None:
    later = T0 + timedelta(days=3000, hours=1)
    current = o.current_or_next(starts_at=T0, ends_at=T1, recurrence="daily", until=None, now=later)
    assert current == (T0 + timedelta(days=3000), T1 + timedelta(days=3000))


@pytest.mark.parametrize(
    ("now", "verifying", "finished", "expected"),
    [
        (T0 - timedelta(minutes=1), False, False, "scheduled"),
        (T0, False, False, "in_progress"),
        (T0 + timedelta(hours=1), True, False, "verifying"),
        (T1, False, False, "completed"),
        (T0 + timedelta(hours=1), False, True, "completed"),
    ],
)
def test_maintenance_status(now, verifying, finished, expected) -> None:
    assert o.maintenance_status(occurrence=(T0, T1), now=now, verifying=verifying, finished=finished) == expected
