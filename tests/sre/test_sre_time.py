"""``{% load sre_time %}`` filters: the markup app.js localises, and what it leaves alone."""

from __future__ import annotations

import datetime as dt

import pytest

from sre.templatetags.sre_time import duration_words_filter, when


def test_when_a_datetime_is_a_time_element_app_js_localises() -> None:
    html = when(dt.datetime(2026, 12, 4, 8, 30, tzinfo=dt.UTC))
    assert html == (
        '<time datetime="2026-12-04T08:30:00Z" data-local="datetime" title="2026-12-04 08:30:00 UTC">'
        "2026-12-04 08:30 UTC</time>"
    )


def test_when_a_date_is_said_in_words_without_a_zone() -> None:
    # A due date is a calendar day: no "2026-12-04", and nothing for app.js to shift into the day before.
    assert when(dt.date(2026, 12, 4), "date") == '<time datetime="2026-12-04">4 Dec 2026</time>'
    assert when(None, "date") == "—"


@pytest.mark.parametrize(
    ("value", "text"),
    [(3725, "1 h 2 min"), (59.6, "1 min"), (dt.timedelta(minutes=5), "5 min"), (None, "—"), ("", "—"), (True, "—")],
)
def test_duration_words_says_seconds_or_a_timedelta_and_a_dash_for_anything_else(value, text) -> None:
    # "" is what a template gives for a missing value (the insights page's month without incidents): not a 500.
    assert duration_words_filter(value) == text
