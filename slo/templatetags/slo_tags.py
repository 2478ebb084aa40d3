"""Template filters of the slo pages."""

from __future__ import annotations

from django import template

from slo.domain.budget import exhaustion_words

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
def ratio(value) -> str:
    if value is None:
        return "no data"
    return f"{float(value):.6g}"


@register.filter(name="exhaustion_words")
def exhaustion_words_filter(value) -> str:
    """A status document's ``time_to_exhaustion_seconds`` in words (``slo.domain.budget.exhaustion_words``)."""
    return exhaustion_words(None if value in (None, "") else float(value))
