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
    ("seconds", "text"),
    [
        (None, "—"),
        (0.42, "0.4 s"),
        (9.94, "9.9 s"),
        (9.96, "10 s"),  # not "10.0 s": at 10 s the words take over
        (42, "42 s"),
        (59.6, "1 min"),  # to the nearest second
        (900, "15 min"),
        (5400, "1 h 30 min"),
        (14400, "4 h"),
        (61, "1 min 1 s"),
        (3605, "1 h"),
        (129600, "1 d 12 h"),
        (8760 * 3600, "365 d"),  # the demo's broken target's RPO target: was "8760 h"
    ],
)
def test_duration_words_with_tenths_below_ten_seconds(seconds, text):
    """Drill times and heartbeat runs: a 0.4 s restore is not "0 s"."""
    assert duration_words(seconds, tenths_below=10) == text


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
