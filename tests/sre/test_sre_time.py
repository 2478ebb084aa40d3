"""``{% load sre_time %}`` filters: the markup app.js localises, and what it leaves alone."""

from __future__ import annotations

import datetime as dt

from sre.templatetags.sre_time import when


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
