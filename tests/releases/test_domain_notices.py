"""Threshold notices: once per crossing per window (calendar: per period; rolling: re-armed below 95% of the
threshold), table-driven, and a hypothesis walk that never notices twice without a re-arm in between."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from releases.domain.notices import REARM, notice_plan

T = (Fraction(80), Fraction(95), Fraction(100))
NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
MARCH = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
FEB = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
EARLIER = NOW - dt.timedelta(hours=5)


def F(x) -> Fraction:
    return Fraction(x)


@pytest.mark.parametrize(
    ("consumed", "open_", "sent", "period", "expected_open", "expected_close"),
    [
        # rolling: crossing 80 opens one notice dated now
        (F(81), {}, set(), None, [(F(80), NOW)], []),
        # rolling: all three at once when the budget is blown in one step
        (F(250), {}, set(), None, [(F(80), NOW), (F(95), NOW), (F(100), NOW)], []),
        # rolling: already open -> nothing new
        (F(85), {F(80): EARLIER}, set(), None, [], []),
        # rolling: dips under 80 but not under 76 -> stays open (no flapping)
        (F(77), {F(80): EARLIER}, set(), None, [], []),
        # rolling: exactly 76 (= 80 x 0.95) is not below it -> stays open
        (F(76), {F(80): EARLIER}, set(), None, [], []),
        # rolling: under 76 -> re-armed (closed)
        (Fraction(7599, 100), {F(80): EARLIER}, set(), None, [], [F(80)]),
        # rolling: no data changes nothing
        (None, {F(80): EARLIER}, set(), None, [], []),
        # exactly at the threshold counts as crossed
        (F(80), {}, set(), None, [(F(80), NOW)], []),
        # calendar: crossing opens one notice dated at the period start
        (F(96), {F(80): MARCH}, {F(80)}, MARCH, [(F(95), MARCH)], []),
        # calendar: a dip does not close it within the period
        (F(10), {F(80): MARCH}, {F(80)}, MARCH, [], []),
        # calendar: already sent this period (closed meanwhile) -> not again
        (F(85), {}, {F(80)}, MARCH, [], []),
        # calendar: the period rolled over -> the old notice closes; a crossing in the new period opens anew
        (F(85), {F(80): FEB}, set(), MARCH, [(F(80), MARCH)], [F(80)]),
        # calendar: rollover with no data still closes
        (None, {F(80): FEB}, set(), MARCH, [], [F(80)]),
        # a threshold taken out of the policy closes its notice
        (F(70), {F(50): EARLIER}, set(), None, [], [F(50)]),
    ],
)
def test_notice_plan(consumed, open_, sent, period, expected_open, expected_close) -> None:
    plan = notice_plan(
        consumed_percent=consumed,
        thresholds=T,
        open_notices=open_,
        sent_in_period=frozenset(sent),
        period_start=period,
        now=NOW,
    )
    assert list(plan.open) == expected_open
    assert list(plan.close) == expected_close


@given(st.lists(st.one_of(st.none(), st.fractions(min_value=0, max_value=300)), min_size=1, max_size=60))
def test_rolling_never_notices_twice_without_falling_back(series) -> None:
    """Walk any consumption series minute by minute: a threshold is noticed again only after consumption went
    under 95% of it; an open notice always has consumption at or above it at opening."""
    open_: dict[Fraction, dt.datetime] = {}
    fell_back = dict.fromkeys(T, True)
    for minute, consumed in enumerate(series):
        now = NOW + dt.timedelta(minutes=minute)
        plan = notice_plan(consumed_percent=consumed, thresholds=T, open_notices=open_, period_start=None, now=now)
        for threshold in plan.close:
            assert consumed is not None and consumed < threshold * REARM
            del open_[threshold]
            fell_back[threshold] = True
        for threshold, start in plan.open:
            assert consumed is not None and consumed >= threshold and start == now
            assert threshold not in open_ and fell_back[threshold]
            open_[threshold] = start
            fell_back[threshold] = False
        if consumed is not None:
            assert all(consumed >= t * REARM for t in open_)
            assert all(t in open_ for t in T if consumed >= t)


@given(st.lists(st.fractions(min_value=0, max_value=300), min_size=1, max_size=40))
def test_calendar_notices_once_per_period(series) -> None:
    open_: dict[Fraction, dt.datetime] = {}
    sent: set[Fraction] = set()
    for consumed in series:
        plan = notice_plan(
            consumed_percent=consumed,
            thresholds=T,
            open_notices=open_,
            sent_in_period=frozenset(sent),
            period_start=MARCH,
            now=NOW,
        )
        assert plan.close == ()
        for threshold, start in plan.open:
            assert threshold not in sent and start == MARCH
            sent.add(threshold)
            open_[threshold] = start
    assert sent == {t for t in T if max(series) >= t}
