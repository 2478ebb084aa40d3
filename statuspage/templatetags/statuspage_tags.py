"""Template helpers of the public status page: percentages, day summaries, Markdown, status labels."""

from __future__ import annotations

from datetime import UTC, datetime

from django import template

from incidents.markdown import render_markdown
from sre.domain.timewords import duration_words
from statuspage.domain import status as status_domain
from statuspage.domain import uptime as uptime_domain

register = template.Library()


@register.filter
def percent(value) -> str:
    return uptime_domain.format_percent(value)


@register.filter
def parse_iso(value):
    """An ISO 8601 string (the snapshot's ``updated_at``) as a datetime for ``|when``; anything else as is."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


@register.filter
def markdown(text: str):
    return render_markdown(text or "")


@register.filter
def status_label(value: str) -> str:
    labels = {
        **status_domain.STATUS_LABELS,
        "investigating": "Investigating",
        "identified": "Identified",
        "monitoring": "Monitoring",
        "resolved": "Resolved",
        "postmortem": "Postmortem",
        "scheduled": "Scheduled",
        "in_progress": "In progress",
        "verifying": "Verifying",
        "completed": "Completed",
    }
    return labels.get(value, str(value).replace("_", " ").capitalize())


@register.filter
def day_summary(day: uptime_domain.Day) -> str:
    """One line a screen reader reads (and the tooltip shows) for a day's bar."""
    parts = [day.day.strftime("%b %-d, %Y")]
    if day.uptime is None:
        parts.append("no data")
    else:
        parts.append(f"{uptime_domain.format_percent(day.uptime)} uptime")
    if day.source == "sli" and day.total:
        parts.append(f"{int(day.good):,} of {int(day.total):,} requests good")
    for status in (status_domain.MAJOR, status_domain.PARTIAL, status_domain.DEGRADED, status_domain.MAINTENANCE):
        if day.seconds.get(status):
            minutes = max(1, round(day.seconds[status] / 60))  # to the minute; a blip is "1 min", never "0 min"
            parts.append(f"{status_domain.STATUS_LABELS[status].lower()} {duration_words(minutes * 60)}")
    if day.incidents:
        parts.append("related: " + "; ".join(day.incidents))
    elif day.uptime is not None and not day.seconds:
        parts.append("no incidents")
    return ", ".join(parts)
