"""Heartbeat age (pure)."""

import datetime as dt

from sre.domain.heartbeat import heartbeat_age_seconds

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


def test_age_none_past_and_clock_skew() -> None:
    assert heartbeat_age_seconds(last_seen_at=None, now=NOW) is None
    assert heartbeat_age_seconds(last_seen_at=NOW - dt.timedelta(seconds=42), now=NOW) == 42.0
    assert heartbeat_age_seconds(last_seen_at=NOW + dt.timedelta(seconds=5), now=NOW) == 0.0
