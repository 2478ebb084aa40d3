"""Template filters of the drills app."""

from __future__ import annotations

from django import template

from drills.domain.verdict import TENTHS_BELOW
from sre.domain.timewords import duration_words

register = template.Library()

PILL = {"passed": "ok", "failed": "bad", "error": "bad", "running": "warn", "queued": "warn", "cancelled": ""}
STEP_PILL = {"ok": "ok", "failed": "bad", "running": "warn", "pending": "", "skipped": ""}


@register.filter
def duration(seconds: float | None) -> str:
    """A drill's time (an RTO, a target): ``sre.domain.timewords`` words, a tenth of a second below 10 s."""
    return duration_words(seconds, tenths_below=TENTHS_BELOW)


@register.filter
def status_pill(status: str | None) -> str:
    return PILL.get(status or "", "")


@register.filter
def step_pill(status: str | None) -> str:
    return STEP_PILL.get(status or "", "")


@register.filter
def filesize(value: int | None) -> str:
    if value is None:
        return "—"
    size = float(value)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(value)


@register.filter
def over(observed: float | None, target: float | None) -> bool:
    return observed is not None and target is not None and observed > target
