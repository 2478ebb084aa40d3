"""Template filters of the Releases pages."""

from __future__ import annotations

from fractions import Fraction

from django import template

from releases.domain.policy import percent_label

register = template.Library()


@register.filter
def percent(value, digits: int = 1) -> str:
    """A percentage (already ×100, e.g. a gate reason's consumption): 2161.71 -> "2161.7%"; None -> "no data"."""
    if value is None or value == "":
        return "no data"
    return f"{float(value):.{int(digits)}f}%"


@register.filter
def thresholds(values) -> str:
    """Thresholds of a policy (Fractions, or numbers as stored): "80%, 95%, 100%"."""
    out = []
    for value in values or ():
        out.append(percent_label(value if isinstance(value, Fraction) else Fraction(str(value))))
    return ", ".join(out)
