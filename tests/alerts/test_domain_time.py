"""Pure domain: time intervals, silences, maintenance recurrence, backoff, breaker, rate limit."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.domain import delivery, suppression, timeintervals
from alerts.domain.matchers import parse_matchers

UTC = dt.UTC
MON_10 = dt.datetime(2026, 1, 5, 10, 0, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize(
    ("entry", "at", "expected"),
    [
        ({"times": [{"start_time": "09:00", "end_time": "17:00"}]}, MON_10, True),
        ({"times": [{"start_time": "11:00", "end_time": "17:00"}]}, MON_10, False),
        ({"weekdays": ["monday:friday"]}, MON_10, True),
        ({"weekdays": ["saturday", "sunday"]}, MON_10, False),
        ({"days_of_month": ["1:5"]}, MON_10, True),
        ({"days_of_month": ["-1"]}, dt.datetime(2026, 1, 31, tzinfo=UTC), True),
        ({"months": ["january"], "years": ["2026"]}, MON_10, True),
        ({"months": ["2:12"]}, MON_10, False),
        # 10:00 UTC is 11:00 in Berlin (winter): outside 09:00-11:00 Berlin.
        ({"times": [{"start_time": "09:00", "end_time": "11:00"}], "location": "Europe/Berlin"}, MON_10, False),
        ({"weekdays": ["monday"], "times": [{"start_time": "00:00", "end_time": "24:00"}]}, MON_10, True),
    ],
)
def test_time_interval_entries(entry, at, expected):
    assert timeintervals.check_active(entry, at) is expected


@pytest.mark.parametrize(
    "entry",
    [
        {"times": [{"start_time": "25:00", "end_time": "26:00"}]},
        {"weekdays": ["funday"]},
        {"location": "Mars/Base"},
        {"hours": ["1"]},
        {"times": [{"start_time": "10:00", "end_time": "09:00"}]},
    ],
)
def test_bad_time_intervals(entry):
    with pytest.raises(timeintervals.IntervalError):
        timeintervals.validate(entry)


def test_route_muted_by_mute_or_outside_active():
    intervals = {
        "weekend": [{"weekdays": ["saturday:sunday"]}],
        "office": [{"times": [{"start_time": "09:00", "end_time": "17:00"}]}],
    }
    assert not timeintervals.route_muted(mute=("weekend",), active=(), intervals=intervals, at=MON_10)
    assert timeintervals.route_muted(mute=(), active=("office",), intervals=intervals, at=MON_10.replace(hour=20))
    assert not timeintervals.route_muted(mute=(), active=("office",), intervals=intervals, at=MON_10)


@pytest.mark.parametrize(
    ("offset_minutes", "state"), [(-10, "pending"), (0, "active"), (59, "active"), (60, "expired"), (120, "expired")]
)
def test_silence_states(offset_minutes, state):
    start = MON_10
    assert (
        suppression.silence_state(
            starts_at=start, ends_at=start + dt.timedelta(hours=1), now=start + dt.timedelta(minutes=offset_minutes)
        )
        == state
    )


def test_silence_matchers_api_shape():
    matchers = suppression.silence_matchers(
        [
            {"name": "a", "value": "x", "isRegex": False, "isEqual": False},
            {"name": "b", "value": "y.*", "isRegex": True},
        ]
    )
    assert [m.op for m in matchers] == ["!=", "=~"]


def test_inhibition_with_equal_labels():
    rule = suppression.InhibitRule(
        source=parse_matchers(['severity="critical"']),
        target=parse_matchers(['severity="warning"']),
        equal=("cluster",),
    )
    firing = [("src", {"severity": "critical", "cluster": "eu"})]
    target = {"severity": "warning", "cluster": "eu"}
    assert suppression.inhibited(labels=target, fingerprint="t", rules=[rule], firing=firing)
    assert not suppression.inhibited(labels={**target, "cluster": "us"}, fingerprint="t", rules=[rule], firing=firing)
    assert not suppression.inhibited(labels=target, fingerprint="t", rules=[rule], firing=[])
    # An alert never inhibits itself.
    self_rule = suppression.InhibitRule(source=parse_matchers(["a=1"]), target=parse_matchers(["a=1"]), equal=())
    assert not suppression.inhibited(labels={"a": "1"}, fingerprint="x", rules=[self_rule], firing=[("x", {"a": "1"})])


@pytest.mark.parametrize(
    ("recurrence", "at", "expected"),
    [
        ("none", MON_10 + dt.timedelta(minutes=30), True),
        ("none", MON_10 + dt.timedelta(days=1, minutes=30), False),
        ("daily", MON_10 + dt.timedelta(days=3, minutes=30), True),
        ("daily", MON_10 + dt.timedelta(days=3, hours=2), False),
        ("weekly", MON_10 + dt.timedelta(days=7, minutes=59), True),
        ("weekly", MON_10 + dt.timedelta(days=8, minutes=30), False),
        ("monthly", dt.datetime(2026, 3, 5, 10, 30, tzinfo=UTC), True),
        ("monthly", dt.datetime(2026, 3, 6, 10, 30, tzinfo=UTC), False),
        ("daily", MON_10 - dt.timedelta(minutes=1), False),
    ],
)
def test_maintenance_occurrences(recurrence, at, expected):
    found = suppression.occurrence_at(
        starts_at=MON_10, ends_at=MON_10 + dt.timedelta(hours=1), recurrence=recurrence, until=None, at=at
    )
    assert (found is not None) is expected


def test_maintenance_until_and_next():
    until = MON_10 + dt.timedelta(days=2)
    args = {"starts_at": MON_10, "ends_at": MON_10 + dt.timedelta(hours=1), "recurrence": "daily", "until": until}
    assert suppression.occurrence_at(**args, at=MON_10 + dt.timedelta(days=2, minutes=5))
    assert not suppression.occurrence_at(**args, at=MON_10 + dt.timedelta(days=3, minutes=5))
    nxt = suppression.next_occurrence(**args, after=MON_10 + dt.timedelta(hours=2))
    assert nxt[0] == MON_10 + dt.timedelta(days=1)


@settings(deadline=None)
@given(st.integers(min_value=1, max_value=40), st.floats(min_value=0, max_value=0.999))
def test_backoff_bounded_and_growing(attempt, jitter):
    value = delivery.backoff_seconds(attempt=attempt, base=2, cap=300, jitter=jitter)
    assert 0 < value <= 300
    assert value >= min(300, 2 * 2 ** (attempt - 1)) / 2


@pytest.mark.parametrize(
    ("status", "network", "expected"),
    [
        (429, False, True),
        (500, False, True),
        (503, False, True),
        (599, False, True),
        (400, False, False),
        (401, False, False),
        (404, False, False),
        (None, True, True),
        (200, False, False),
    ],
)
def test_transient(status, network, expected):
    assert delivery.is_transient(status=status, network_error=network) is expected


def test_breaker_opens_half_opens_and_closes():
    now = MON_10
    b = delivery.Breaker()
    for _ in range(2):
        b = delivery.breaker_after(b, success=False, now=now, threshold=3, cooldown=30)
        assert b.open_until is None
    b = delivery.breaker_after(b, success=False, now=now, threshold=3, cooldown=30)
    assert b.open_until == now + dt.timedelta(seconds=30)
    assert not delivery.breaker_allows(b, now=now + dt.timedelta(seconds=29))
    assert delivery.breaker_allows(b, now=now + dt.timedelta(seconds=30))
    assert delivery.breaker_after(b, success=True, now=now, threshold=3, cooldown=30) == delivery.Breaker()


def test_rate_limit_sliding_window():
    now = MON_10
    recent = [now - dt.timedelta(seconds=s / 2) for s in range(100)]  # 100 sends in the last 49.5 s
    assert delivery.rate_limit_wait(recent=recent, now=now, limit=101) == 0
    wait = delivery.rate_limit_wait(recent=recent, now=now, limit=100)
    assert wait == pytest.approx(10.5)  # the oldest (49.5 s ago) leaves the 60 s window in 10.5 s
    older = [now - dt.timedelta(seconds=61)] * 500
    assert delivery.rate_limit_wait(recent=older, now=now, limit=100) == 0


@settings(max_examples=200)
@given(
    ages=st.lists(st.floats(min_value=0, max_value=120, allow_nan=False), max_size=40),
    limit=st.integers(min_value=1, max_value=30),
)
def test_rate_limit_from_nth_most_recent_equals_full_window(ages, limit):
    """The service reads only the limit-th most recent send inside the window; same answer as the full list."""
    now = MON_10
    recent = [now - dt.timedelta(seconds=a) for a in ages]
    inside = sorted((t for t in recent if t > now - dt.timedelta(seconds=60)), reverse=True)
    nth = inside[limit - 1] if len(inside) >= limit else None
    assert delivery.rate_limit_wait_nth(nth_most_recent=nth, now=now) == pytest.approx(
        delivery.rate_limit_wait(recent=recent, now=now, limit=limit)
    )


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("critical", "critical"),
        ("page", "critical"),
        ("warning", "warning"),
        ("info", "info"),
        ("ticket", "warning"),
        ("", "critical"),
        ("weird", "critical"),
        ("ERROR", "error"),
    ],
)
def test_pagerduty_severity_mapping(label, expected):
    assert delivery.pagerduty_severity(label) == expected


RECEIVERS = [(1, "key-a"), (2, "key-b"), (3, ""), (4, "key-a"), (5, "key-b")]


@pytest.mark.parametrize(
    ("pk", "digest", "rank"),
    [
        (4, "key-a", 1),  # shares a routing key with 1: the set {1, 4}
        (1, "key-a", 1),
        (5, "key-b", 2),
        (3, "", 3),  # a webhook or email receiver is a set of its own
        (6, "key-c", 6),  # a key nobody else has
    ],
)
def test_lock_rank_is_the_lowest_pk_of_the_receivers_lock_set(pk, digest, rank):
    assert delivery.lock_rank(pk=pk, digest=digest, receivers=RECEIVERS) == rank


@pytest.mark.parametrize(
    ("limit", "concurrency", "depth"),
    [
        (100, 100, None),  # the default limit with PostgreSQL's default connections: always lock
        (100, 150, None),
        (101, 100, 1),  # one send in the window is already too close
        (1000, 100, 900),
        (1_000_000, 100, 999_900),
    ],
)
def test_shared_rate_depth_leaves_room_for_every_connection(limit, concurrency, depth):
    assert delivery.shared_rate_depth(limit=limit, concurrency=concurrency) == depth
    if depth is not None:
        # At most depth - 1 sends seen, plus every connection (this one included) sending at once: within the limit.
        assert (depth - 1) + concurrency <= limit
