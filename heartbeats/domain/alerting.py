"""The alerts a heartbeat check raises: their label set and annotations. Pure.

``HeartbeatMissed`` fires when no ping came by the end of the grace time, ``HeartbeatFailed`` when the job reported
a failure. Both carry ``alertname``, ``heartbeat`` (the check's slug), ``severity``, ``service`` and ``team`` when
set, and the check's own labels; every annotation says the times that made it fire.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from heartbeats.domain.state import FAILED_ALERT, MISSED

RESERVED = ("alertname", "heartbeat", "severity", "service", "team")
LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_LABELS = 20
MAX_LABEL_VALUE = 200
BODY_IN_ALERT = 1000  # characters of a failure ping's body copied into the alert


@dataclass(frozen=True)
class Subject:
    """What the alert says about the check."""

    name: str
    slug: str
    severity: str
    service: str = ""
    team: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    description: str = ""
    schedule: str = ""  # the timing in words


def labels_check(labels: object) -> dict[str, str]:
    """The check's extra labels, or ``ValueError`` saying what is wrong (names as Prometheus allows, string values,
    none of the labels the check sets itself)."""
    if not isinstance(labels, dict):
        raise ValueError("An object of label names to string values.")
    if len(labels) > MAX_LABELS:
        raise ValueError(f"At most {MAX_LABELS} labels.")
    out: dict[str, str] = {}
    for name, value in labels.items():
        if not isinstance(name, str) or not LABEL_NAME.match(name) or name.startswith("__"):
            raise ValueError(f"{name!r} is not a label name (letters, digits and _, not starting with a digit).")
        if name in RESERVED:
            raise ValueError(f"{name!r} is set by the check itself; use its own field.")
        if not isinstance(value, str) or not value or len(value) > MAX_LABEL_VALUE or "\x00" in value:
            raise ValueError(f"Label {name!r}: a non-empty string of at most {MAX_LABEL_VALUE} characters.")
        out[name] = value
    return out


def alert_labels(subject: Subject, *, alertname: str) -> dict[str, str]:
    labels = dict(subject.labels)
    labels.update(alertname=alertname, heartbeat=subject.slug, severity=subject.severity)
    if subject.service:
        labels["service"] = subject.service
    if subject.team:
        labels["team"] = subject.team
    return labels


def _when(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value is not None else "never"


def missed_annotations(
    subject: Subject,
    *,
    last_ping_at: dt.datetime | None,
    last_start_at: dt.datetime | None,
    due_at: dt.datetime | None,
    down_at: dt.datetime,
) -> dict[str, str]:
    started = last_start_at is not None and (last_ping_at is None or last_start_at > last_ping_at)
    if started:
        why = f"A run started at {_when(last_start_at)} and reported neither success nor failure by {_when(down_at)}."
    else:
        why = f"No ping since {_when(last_ping_at)}; it was due at {_when(due_at)}, grace ended at {_when(down_at)}."
    out = {
        "summary": f"Heartbeat {subject.name} missed",
        "description": f"{why} Expected: {subject.schedule}.",
        "last_ping": _when(last_ping_at),
        "due_at": _when(due_at),
        "grace_ended_at": _when(down_at),
    }
    if subject.description:
        out["check_description"] = subject.description
    return out


def failed_annotations(subject: Subject, *, failed_at: dt.datetime, body: str) -> dict[str, str]:
    out = {
        "summary": f"Heartbeat {subject.name} reported a failure",
        "description": f"The job sent a failure ping at {_when(failed_at)}. Expected: {subject.schedule}.",
        "failed_at": _when(failed_at),
    }
    if body:
        out["output"] = body[:BODY_IN_ALERT]
    if subject.description:
        out["check_description"] = subject.description
    return out


def resolved_annotations(subject: Subject, *, alertname: str, at: dt.datetime, reason: str) -> dict[str, str]:
    what = "missed" if alertname == MISSED else "failed" if alertname == FAILED_ALERT else "alerting"
    return {"summary": f"Heartbeat {subject.name} no longer {what}: {reason}", "resolved_at": _when(at)}
