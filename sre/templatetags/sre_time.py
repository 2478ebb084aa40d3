"""``{% load sre_time %}``: times in the viewer's zone and in words, never raw ISO strings or enum values.

- ``{{ dt|when }}``: a ``<time>`` element; ``static/js/app.js`` rewrites its text into the viewer's zone
  ("6 Dec, 08:30"), the server's text (UTC) stays as the fallback and the full UTC time as the tooltip.
- ``{{ dt|ago }}``: "4 min ago" in a ``<time>`` element with the exact time as the tooltip.
- ``{{ seconds|duration_words }}``: "2 h 5 min".
- ``{{ value|words }}``: "degraded_performance" → "Degraded performance".
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.html import format_html

from sre.domain.timewords import ago_words, duration_words, enum_words

register = template.Library()


def _utc(value: dt.datetime) -> dt.datetime:
    if timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value.astimezone(dt.UTC)


@register.filter
def when(value: dt.datetime | None, style: str = "") -> str:
    """``<time datetime=… data-local="datetime|date">``: localised by app.js; "—" for no time. A calendar date
    (a due date) has no zone to convert: "4 Dec 2026", which app.js leaves as it is."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return format_html('<time datetime="{}">{} {}</time>', value.isoformat(), value.day, value.strftime("%b %Y"))
    if not isinstance(value, dt.datetime):
        return "—" if value in (None, "") else str(value)
    utc = _utc(value)
    iso = utc.isoformat().replace("+00:00", "Z")
    text = utc.strftime("%Y-%m-%d") if style == "date" else utc.strftime("%Y-%m-%d %H:%M UTC")
    return format_html(
        '<time datetime="{}" data-local="{}" title="{}">{}</time>',
        iso,
        style or "datetime",
        utc.strftime("%Y-%m-%d %H:%M:%S UTC"),
        text,
    )


@register.filter
def ago(value: dt.datetime | None) -> str:
    """``<time datetime=… title="exact">4 min ago</time>`` relative to the request's now."""
    if not isinstance(value, dt.datetime):
        return "never" if value in (None, "") else str(value)
    utc = _utc(value)
    return format_html(
        '<time datetime="{}" data-local-title title="{}">{}</time>',
        utc.isoformat().replace("+00:00", "Z"),
        utc.strftime("%Y-%m-%d %H:%M:%S UTC"),
        ago_words(utc, now=timezone.now()),
    )


@register.filter(name="duration_words")
def duration_words_filter(value: object) -> str:
    """Seconds or a timedelta in words; "—" for anything else (None, a missing variable's "")."""
    if isinstance(value, dt.timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "—"
    return duration_words(value)


@register.filter
def words(value: object) -> str:
    return enum_words(value)
