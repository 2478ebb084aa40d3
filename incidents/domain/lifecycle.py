"""The incident status machine and which timestamps each transition sets (pure).

triage → investigating → identified → monitoring → resolved → closed. Responders may skip ahead (an incident
found and fixed at once goes straight to resolved) and step back while the incident is open (the fix did
not hold: monitoring → investigating). Nothing goes back to triage. Resolved and closed incidents only move
on by closing or by a reopen, which returns them to investigating.
"""

from __future__ import annotations

from datetime import datetime

TRIAGE = "triage"
INVESTIGATING = "investigating"
IDENTIFIED = "identified"
MONITORING = "monitoring"
RESOLVED = "resolved"
CLOSED = "closed"

ORDER = (TRIAGE, INVESTIGATING, IDENTIFIED, MONITORING, RESOLVED, CLOSED)
OPEN = (TRIAGE, INVESTIGATING, IDENTIFIED, MONITORING)
TIMESTAMP_FIELDS = ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at", "closed_at")

_ALLOWED: dict[str, tuple[str, ...]] = {
    TRIAGE: (INVESTIGATING, IDENTIFIED, MONITORING, RESOLVED),
    INVESTIGATING: (IDENTIFIED, MONITORING, RESOLVED),
    IDENTIFIED: (INVESTIGATING, MONITORING, RESOLVED),
    MONITORING: (INVESTIGATING, IDENTIFIED, RESOLVED),
    RESOLVED: (CLOSED, INVESTIGATING),
    CLOSED: (INVESTIGATING,),
}


class TransitionError(ValueError):
    """An invalid transition; ``allowed`` lists the states that may follow ``current``."""

    def __init__(self, current: str, target: str, allowed: tuple[str, ...]) -> None:
        self.current, self.target, self.allowed = current, target, allowed
        nexts = ", ".join(allowed) or "none"
        super().__init__(f"Cannot move from {current} to {target}; allowed next states: {nexts}.")


def allowed_next(current: str) -> tuple[str, ...]:
    """States that may follow ``current`` (in lifecycle order)."""
    return _ALLOWED.get(current, ())


def is_open(status: str) -> bool:
    return status in OPEN


def is_reopen(*, current: str, target: str) -> bool:
    return current in (RESOLVED, CLOSED) and target in OPEN


def check_transition(*, current: str, target: str) -> None:
    """Raise ``TransitionError`` unless ``current → target`` is allowed."""
    if target not in ORDER or target not in allowed_next(current):
        raise TransitionError(current, target, allowed_next(current))


def transition_timestamps(
    *, current: str, target: str, now: datetime, stamps: dict[str, datetime | None]
) -> dict[str, datetime | None]:
    """The timestamp fields to change for ``current → target`` (only those that change).

    Leaving triage acknowledges; monitoring means the impact is mitigated; resolving also mitigates; a
    reopen clears resolved/closed (the timeline keeps the history) but keeps acknowledged/mitigated."""
    out: dict[str, datetime | None] = {}

    def first(name: str) -> None:
        if stamps.get(name) is None:
            out[name] = now

    if is_reopen(current=current, target=target):
        if stamps.get("resolved_at") is not None:
            out["resolved_at"] = None
        if stamps.get("closed_at") is not None:
            out["closed_at"] = None
        if target == MONITORING:
            first("mitigated_at")
        return out
    if target != TRIAGE:
        first("acknowledged_at")
    if target in (MONITORING, RESOLVED, CLOSED):
        first("mitigated_at")
    if target in (RESOLVED, CLOSED):
        first("resolved_at")
    if target == CLOSED:
        first("closed_at")
    return out


def check_timestamps(stamps: dict[str, datetime | None]) -> dict[str, str]:
    """Field errors for an inconsistent set of timestamps (each must not precede ``started_at``, and
    resolved ≤ closed, mitigated ≤ resolved). Empty when consistent."""
    errors: dict[str, str] = {}
    started = stamps.get("started_at")
    if started is None:
        errors["started_at"] = "An incident needs a start time."
        return errors
    for name in TIMESTAMP_FIELDS[1:]:
        value = stamps.get(name)
        if value is not None and value < started:
            errors[name] = "Cannot be before the incident started."
    pairs = (("mitigated_at", "resolved_at"), ("resolved_at", "closed_at"), ("acknowledged_at", "resolved_at"))
    for early, late in pairs:
        a, b = stamps.get(early), stamps.get(late)
        if a is not None and b is not None and a > b and late not in errors:
            errors[late] = f"Cannot be before {early.replace('_at', '')}."
    return errors


_PUBLIC = {
    TRIAGE: "investigating",
    INVESTIGATING: "investigating",
    IDENTIFIED: "identified",
    MONITORING: "monitoring",
    RESOLVED: "resolved",
    CLOSED: "resolved",
}


def public_status(status: str, *, postmortem_published: bool = False) -> str:
    """Our status as Atlassian Statuspage's incident status: investigating|identified|monitoring|resolved|
    postmortem (a finished incident whose postmortem is published shows ``postmortem``)."""
    mapped = _PUBLIC.get(status, "investigating")
    if mapped == "resolved" and postmortem_published:
        return "postmortem"
    return mapped
