"""Heartbeat age (pure: the time is an argument)."""

from __future__ import annotations

import datetime as dt


def heartbeat_age_seconds(*, last_seen_at: dt.datetime | None, now: dt.datetime) -> float | None:
    """Seconds since ``last_seen_at`` (never negative), or ``None`` when there has been no heartbeat."""
    return None if last_seen_at is None else max(0.0, (now - last_seen_at).total_seconds())
