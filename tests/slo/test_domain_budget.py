"""Budget maths: the SRE Workbook's arithmetic as tables, and properties with hypothesis."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slo.domain.budget import (
    DEFAULT_POLICY,
    Counts,
    budget,
    burn_rate,
    condition_evaluate,
    counts_sum,
    error_ratio,
    evaluate,
    exhaustion_words,
    sli,
    time_to_exhaustion,
    timeslice_counts,
)
from slo.domain.exact import exact
from slo.domain.windows import BURN_WINDOWS

TARGET = exact("0.999")
FAST, SLOW, TICKET = DEFAULT_POLICY
RATE = 100  # requests per second, steady


def window_counts(*, error_share: Fraction, error_seconds: int, window: int) -> Counts:
    """Counts over the last ``window`` seconds when steady traffic has run for days and the last
    ``error_seconds`` of it failed at ``error_share``."""
    bad_seconds = min(error_seconds, window)
    return Counts(bad=int(bad_seconds * RATE * error_share), total=window * RATE)


def policy_counts(**kwargs) -> dict[int, Counts]:
    windows = {c.long_window for c in DEFAULT_POLICY} | {c.short_window for c in DEFAULT_POLICY}
    return {w: window_counts(window=w, **kwargs) for w in windows}


@pytest.mark.parametrize(
    ("share", "seconds", "condition", "fires"),
    [
        # 100% errors: 1h/14.4x needs 14.4 x 0.001 x 3600 s = 51.84 s of errors.
        (Fraction(1), 51, FAST, False),
        (Fraction(1), 52, FAST, True),
        # 10% errors: 10x longer, 518.4 s = 8.64 min.
        (Fraction(1, 10), 518, FAST, False),
        (Fraction(1, 10), 519, FAST, True),
        # 1% errors: the error ratio (0.01) never exceeds 0.0144, however long it lasts...
        (Fraction(1, 100), 3600, FAST, False),
        (Fraction(1, 100), 259200, FAST, False),
        # ... while 6h/6x (0.006) fires after 0.006 x 21600 / 0.01 s = 3.6 h.
        (Fraction(1, 100), 12960, SLOW, False),
        (Fraction(1, 100), 12961, SLOW, True),
        # the short window also has to agree: 100% for 4 s has 5m ratio 4/300 < 0.0144 (and 1h too low)
        (Fraction(1), 4, FAST, False),
        # 3d/1x ticket at 0.1% errors never fires (exactly on budget is not over it)
        (Fraction(1, 1000), 259200, TICKET, False),
        (Fraction(2, 1000), 259200, TICKET, True),
    ],
)
def test_workbook_thresholds(share, seconds, condition, fires):
    result = condition_evaluate(
        condition, counts=policy_counts(error_share=share, error_seconds=seconds), target=TARGET
    )
    assert result.firing is fires
    assert result.threshold == condition.factor * Fraction(1, 1000)


def test_thresholds_are_exact():
    assert FAST.factor * (1 - TARGET) == Fraction(144, 10000)
    assert SLOW.factor * (1 - TARGET) == Fraction(6, 1000)
    assert TICKET.factor * (1 - TARGET) == Fraction(1, 1000)


def test_fast_burn_spends_two_percent_of_a_30_day_budget():
    # The Workbook's reason for 14.4: one hour at 14.4x burns 14.4 / 720 = 2% of a 30-day budget.
    thirty_days = 30 * 86400
    hour = Counts(bad=Fraction("14.4") * Fraction(1, 1000) * 3600 * RATE, total=3600 * RATE)
    rest = Counts(bad=0, total=(thirty_days - 3600) * RATE)
    assert budget(hour + rest, target=TARGET).consumed == Fraction(2, 100)


@pytest.mark.parametrize(
    ("counts", "expected_sli", "expected_burn", "consumed", "remaining"),
    [
        (Counts(0, 1000), Fraction(1), Fraction(0), Fraction(0), Fraction(1)),
        (Counts(1, 1000), Fraction(999, 1000), Fraction(1), Fraction(1), Fraction(0)),
        (Counts(2, 4000), Fraction(1999, 2000), Fraction(1, 2), Fraction(1, 2), Fraction(1, 2)),
        (Counts(1000, 1000), Fraction(0), Fraction(1000), Fraction(1000), Fraction(-999)),
    ],
)
def test_budget_table(counts, expected_sli, expected_burn, consumed, remaining):
    assert sli(counts) == expected_sli
    assert burn_rate(counts, target=TARGET) == expected_burn
    b = budget(counts, target=TARGET)
    assert b.allowed_bad == counts.total * Fraction(1, 1000)
    assert (b.consumed, b.remaining_ratio) == (consumed, remaining)


@pytest.mark.parametrize("counts", [None, Counts(0, 0)])
def test_no_traffic_is_no_data_never_100_or_0(counts):
    assert sli(counts) is None
    assert error_ratio(counts) is None
    assert burn_rate(counts, target=TARGET) is None
    assert budget(counts, target=TARGET).remaining_ratio is None
    result = condition_evaluate(FAST, counts={3600: counts, 300: counts}, target=TARGET)
    assert result.firing is False and result.data_state == "no_data"


def test_evaluate_reports_every_window_and_exhaustion():
    counts = {w: Counts(bad=w * RATE // 100, total=w * RATE) for w in [*BURN_WINDOWS.values(), 2592000]}
    ev = evaluate(
        target=TARGET, window_seconds=2592000, period_seconds=2592000, counts=counts,
        conditions=DEFAULT_POLICY, burn_windows=BURN_WINDOWS,
    )  # fmt: skip
    assert set(ev.burn_rates) == {*BURN_WINDOWS, "slo"}
    assert all(rate == 10 for rate in ev.burn_rates.values())
    assert ev.data_state == "ok"
    assert ev.budget.remaining_ratio == -9
    assert ev.time_to_exhaustion == 0
    assert [c.condition.name for c in ev.firing] == ["slow-burn", "budget-drain"]


@pytest.mark.parametrize(
    ("remaining", "burn", "expected"),
    [
        (Fraction(1), Fraction(1), 2592000),  # a full budget at 1x lasts the whole window
        (Fraction(1, 2), Fraction(14.4), Fraction(1, 2) * 2592000 / Fraction(14.4)),
        (Fraction(1), Fraction(0), None),  # nothing burns: never
        (Fraction(0), Fraction(3), 0),  # already spent
        (None, Fraction(3), None),  # no data
    ],
)
def test_time_to_exhaustion(remaining, burn, expected):
    assert time_to_exhaustion(remaining_ratio=remaining, burn=burn, period_seconds=2592000) == expected


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "never at the current rate"),
        (0, "exhausted"),
        (Fraction(1, 3), "exhausted"),
        (-5, "exhausted"),
        (300, "5 min"),
        (3 * 3600 + 5 * 60, "3 h 5 min"),
        (2 * 86400 + 3 * 3600 + 59, "2 d 3 h"),
        (Fraction(1, 2) * 2592000 / Fraction(14.4), "1 d 1 h"),  # half a 30-day budget at 14.4x: 25 h
    ],
)
def test_exhaustion_words(seconds, text):
    """The detail page's card and its explanation say it the same way (they had two copies: '0h 5m' and '5m')."""
    assert exhaustion_words(seconds) == text


def test_timeslices_count_minutes_below_the_slice_target():
    slices = [Counts(0, 100), Counts(2, 100), Counts(0, 0), Counts(1, 100)]
    assert timeslice_counts(slices=slices, slice_target=Fraction(99, 100)) == Counts(1, 3)


counts_st = st.integers(min_value=1, max_value=10**12).flatmap(
    lambda total: st.tuples(st.integers(min_value=0, max_value=total), st.just(total))
)
targets = st.fractions(min_value=Fraction(1, 10**6), max_value=1 - Fraction(1, 10**6))


@given(counts_st, st.integers(min_value=0, max_value=10**12), targets)
def test_budget_consumed_is_monotone_in_bad_events(pair, more, target):
    bad, total = pair
    worse = min(total, bad + more)
    assert budget(Counts(worse, total), target=target).consumed >= budget(Counts(bad, total), target=target).consumed


@given(counts_st, targets)
def test_burn_rate_lies_between_zero_and_one_over_budget(pair, target):
    rate = burn_rate(Counts(*pair), target=target)
    assert 0 <= rate <= 1 / (1 - target)


@given(
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)), min_size=1, max_size=200),
    st.data(),
)
def test_splitting_a_window_and_summing_gives_the_same_counts(minutes, data):
    buckets = [Counts(min(a, b), b) for a, b in minutes]
    cut = data.draw(st.integers(0, len(buckets)))
    whole = counts_sum(buckets)
    parts = counts_sum([counts_sum(buckets[:cut]), counts_sum(buckets[cut:])])
    assert whole == parts
    assert budget(whole, target=TARGET) == budget(parts, target=TARGET)


@pytest.mark.parametrize("text", ["1e-9999999", "9" * 5000, "1e+401"])
def test_exact_refuses_numbers_with_millions_of_digits(text):
    with pytest.raises(ValueError, match="too many digits"):
        exact(text)
