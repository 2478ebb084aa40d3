"""Template filters of the heartbeats app."""

from __future__ import annotations

from django import template

from sre.domain.timewords import duration_words

register = template.Library()

STATE_PILL = {"up": "ok", "late": "warn", "down": "bad", "failed": "bad", "new": "", "paused": ""}
KIND_PILL = {"success": "ok", "start": "", "fail": "bad"}


@register.filter
def state_pill(state: str | None) -> str:
    return STATE_PILL.get(state or "", "")


@register.filter
def kind_pill(kind: str | None) -> str:
    return KIND_PILL.get(kind or "", "")


@register.filter
def run_time(seconds: float | None) -> str:
    """A run's duration in words, as drills say theirs: ``0.4 s`` below 10 s (tenths), ``1 h 2 min`` above;
    ``—`` when unknown."""
    return duration_words(seconds, tenths_below=10)
