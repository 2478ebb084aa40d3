"""Prometheus durations: the one parser and printer (pure, no database)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sre.domain.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("5m", 300),
        ("1h", 3600),
        ("1h30m", 5400),
        ("1d", 86400),
        ("3d", 259200),
        ("2w", 1209600),
        ("1y", 365 * 86400),
        ("1y2w3d4h5m6s", 31536000 + 1209600 + 259200 + 14400 + 300 + 6),
        ("1500ms", 1),  # whole seconds: the fraction is dropped
        ("500ms", 0),
        ("1m500ms", 60),
        ("30s1m", 90),  # any order, as Alertmanager routes were read before
        ("5m5m", 600),
        ("0s", 0),
        ("0", 0),  # Prometheus' one unitless duration
        (" 5m ", 300),
    ],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text", ["", " ", "5", "-5m", "5 m", "5M", "abc", "1x", "m", "1.5h", "5m ago", "١٠s", "²s", "1h 30m", "+5m"]
)
def test_parse_duration_refuses_what_is_not_one(text):
    with pytest.raises(ValueError, match="is not a duration such as 30s, 5m or 1h30m"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, ""),
        (0, "0s"),
        (1, "1s"),
        (90, "1m30s"),
        (300, "5m"),
        (3600, "1h"),
        (5400, "1h30m"),
        (86400, "1d"),
        (90061, "1d1h1m1s"),
        (7 * 86400, "7d"),  # days at most: SLO windows read "7d", "28d", "30d"
        (28 * 86400, "28d"),
        (365 * 86400, "365d"),
    ],
)
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


def test_format_duration_refuses_a_negative():
    with pytest.raises(ValueError):
        format_duration(-1)


@given(st.integers(min_value=0, max_value=10**12))
def test_parse_reads_back_what_format_wrote(seconds):
    assert parse_duration(format_duration(seconds)) == seconds


@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=10**6), st.sampled_from(["y", "w", "d", "h", "m", "s", "ms"])),
        min_size=1,
        max_size=6,
    )
)
def test_format_of_a_parse_is_canonical_and_reads_back_the_same(parts):
    text = "".join(f"{number}{unit}" for number, unit in parts)
    seconds = parse_duration(text)
    canonical = format_duration(seconds)
    assert parse_duration(canonical) == seconds
    assert format_duration(parse_duration(canonical)) == canonical
