"""Template helpers of the incidents app: sanitised Markdown, durations, pills."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

from incidents.markdown import render_markdown
from sre.domain.timewords import duration_words

register = template.Library()

STATUS_PILL = {
    "triage": "bad",
    "investigating": "bad",
    "identified": "warn",
    "monitoring": "warn",
    "resolved": "ok",
    "closed": "ok",
}
SEVERITY_PILL = {"sev1": "bad", "sev2": "bad", "sev3": "warn", "sev4": "ok"}
COMPONENT_PILL = {
    "operational": "ok",
    "degraded_performance": "warn",
    "partial_outage": "warn",
    "major_outage": "bad",
    "under_maintenance": "warn",
}


@register.filter
def markdown(text: str) -> str:
    return render_markdown(text)


@register.filter
def status_pill(status: str) -> str:
    return STATUS_PILL.get(status, "")


@register.filter
def severity_pill(severity: str) -> str:
    return SEVERITY_PILL.get(severity, "")


@register.filter
def component_pill(status: str) -> str:
    return COMPONENT_PILL.get(status, "")


@register.simple_tag
def elapsed(start: datetime | None, end: datetime | None = None) -> str:
    """Time from ``start`` to ``end`` (or now)."""
    if start is None:
        return "—"
    return duration_words(((end or timezone.now()) - start).total_seconds())


@register.filter
def percent(fraction: float | None) -> str:
    return "—" if fraction is None else f"{fraction * 100:.1f}%"


@register.filter
def local_input(value: datetime | None) -> str:
    """A ``datetime-local`` input value in the active (viewer's) time zone."""
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@register.filter
def month_words(value: str) -> str:
    """ "2026-11" → "Nov 2026" (anything else as is)."""
    year, _, month = str(value).partition("-")
    if year.isdigit() and month.isdigit() and 1 <= int(month) <= 12:
        return f"{MONTHS[int(month) - 1]} {year}"
    return str(value)
