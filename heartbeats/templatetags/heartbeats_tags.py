"""Template filters of the heartbeats app."""

from __future__ import annotations

from django import template

from alerts.domain.delivery import format_duration

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
    """A run's duration: ``0.4s`` under a minute (tenths), ``1h2m3s`` above; ``—`` when unknown."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f}s"
    return format_duration(round(seconds))


@register.filter
def compact_seconds(seconds: int | None) -> str:
    """``1d``, ``1h30m`` (as the form takes them)."""
    return format_duration(seconds) if seconds is not None else "—"
