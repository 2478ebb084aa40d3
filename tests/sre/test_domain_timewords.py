import datetime as dt

import pytest

from sre.domain.timewords import ago_words, duration_words, enum_words

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "—"), (0, "0 s"), (59, "59 s"), (60, "1 min"), (3725, "1 h 2 min"), (3605, "1 h"), (90061, "1 d 1 h")],
)
def test_duration_words(seconds, text):
    assert duration_words(seconds) == text


@pytest.mark.parametrize(
    ("delta", "text"),
    [(10, "just now"), (300, "5 min ago"), (7500, "2 h 5 min ago"), (3 * 86400 + 7200, "3 d ago"), (-600, "in 10 min")],
)
def test_ago_words(delta, text):
    assert ago_words(NOW - dt.timedelta(seconds=delta), now=NOW) == text


def test_ago_words_without_a_time_says_never():
    assert ago_words(None, now=NOW) == "never"


@pytest.mark.parametrize(
    ("value", "text"), [("degraded_performance", "Degraded performance"), ("major_outage", "Major outage"), ("", "")]
)
def test_enum_words(value, text):
    assert enum_words(value) == text
