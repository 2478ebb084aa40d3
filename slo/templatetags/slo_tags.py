"""Template filters of the slo pages."""

from __future__ import annotations

from django import template

from slo.domain.windows import format_duration

register = template.Library()


@register.filter
def pct(value, digits: int = 2) -> str:
    """0.99912 -> "99.91%"; None -> "no data"."""
    if value is None or value == "":
        return "no data"
    return f"{float(value) * 100:.{int(digits)}f}%"


@register.filter
def budget_pill(remaining) -> str:
    """Colour of a remaining budget: ok above 50%, warn above 0, bad when spent; none without data."""
    if remaining is None or remaining == "":
        return ""
    remaining = float(remaining)
    return "ok" if remaining > 0.5 else ("warn" if remaining > 0 else "bad")


@register.filter
def rate(value) -> str:
    if value is None:
        return "—"
    return f"{float(value):.2f}×"


@register.filter
def human_seconds(value) -> str:
    if value is None:
        return "never at this rate"
    seconds = int(float(value))
    if seconds <= 0:
        return "exhausted"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {rest // 60}m" if hours else f"{rest // 60}m"


@register.filter
def ratio(value) -> str:
    if value is None:
        return "no data"
    return f"{float(value):.6g}"


@register.filter
def window_label(seconds) -> str:
    """2592000 -> "30d" (PromQL/OpenSLO style), for window lengths."""

    return "" if seconds is None else format_duration(int(seconds))
