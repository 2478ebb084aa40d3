"""The life of a rule's alerts, as Prometheus' alerting rules have it (``rules/alerting.go``), over plain values.

Each evaluation gives the label sets for which the condition holds (with their values). A new label set is
*pending*; it *fires* at the first evaluation at least ``for_seconds`` after it became active (at once when
``for_seconds`` is 0). A pending label set that stops holding is dropped silently. A firing one that stops
holding keeps firing while ``now - keep_firing_since < keep_firing_for_seconds`` (``keep_firing_since`` is the
first evaluation at which it no longer held) and then *resolves*; holding again clears ``keep_firing_since``.
Times are unix seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

PENDING = "pending"
FIRING = "firing"


@dataclass(frozen=True)
class Active:
    labels: Mapping[str, str]
    state: str
    value: float | None
    active_at: float
    fired_at: float | None
    last_true_at: float
    keep_firing_since: float | None = None


@dataclass(frozen=True)
class Change:
    """``fire`` or ``resolve`` of one label set (what goes to the intake)."""

    kind: str
    fingerprint: str
    active: Active


@dataclass(frozen=True)
class Step:
    active: dict[str, Active]  # fingerprint -> state after this evaluation
    changes: list[Change]


def step(
    *,
    active: Mapping[str, Active],
    results: Mapping[str, tuple[Mapping[str, str], float]],
    now: float,
    for_seconds: int,
    keep_firing_for_seconds: int,
) -> Step:
    """One evaluation: ``results`` maps fingerprint -> (alert labels, value) of the label sets that hold now."""
    out: dict[str, Active] = {}
    changes: list[Change] = []
    for fp, (labels, value) in results.items():
        was = active.get(fp)
        if was is None:
            now_active = Active(
                labels=labels, state=PENDING, value=value, active_at=now, fired_at=None, last_true_at=now
            )
        else:
            now_active = replace(was, labels=labels, value=value, last_true_at=now, keep_firing_since=None)
        if now_active.state == PENDING and now - now_active.active_at >= for_seconds:
            now_active = replace(now_active, state=FIRING, fired_at=now)
            changes.append(Change("fire", fp, now_active))
        out[fp] = now_active
    for fp, was in active.items():
        if fp in results:
            continue
        if was.state == PENDING:
            continue
        since = was.keep_firing_since if was.keep_firing_since is not None else now
        if keep_firing_for_seconds > 0 and now - since < keep_firing_for_seconds:
            out[fp] = replace(was, keep_firing_since=since)
            continue
        changes.append(Change("resolve", fp, was))
    return Step(active=out, changes=changes)
