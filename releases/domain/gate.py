"""The deploy gate: ``allow`` or ``deny`` for a service, with the reasons.

A service's releases are frozen while at least one of its enabled SLOs whose policy freezes on exhaustion has
consumed its whole error budget (consumption ≥ 100%, exact). An SLO without data (no traffic, a source error) is
never a reason: "no data" is neither 100% nor 0%. An active override (not revoked, not expired) lifts the freeze:
the answer is ``allow`` and still lists the reasons, so a CI log says what was overridden.

Pure: the budgets and overrides come in as values, ``now`` as an argument.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from releases.domain.policy import EXHAUSTED

ALLOW = "allow"
DENY = "deny"


@dataclass(frozen=True)
class SloBudget:
    """What the gate reads of one SLO: its exact consumption (percent, None without data), whether its policy
    freezes, and since when exhaustion has been observed (the open 100% notice; None when not yet recorded)."""

    slo_id: int
    slo: str
    consumed_percent: Fraction | None
    freeze: bool
    since: dt.datetime | None = None
    observed_at: dt.datetime | None = None  # when the consumption was evaluated


@dataclass(frozen=True)
class OverrideView:
    id: int
    reason: str
    created_by: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None = None


@dataclass(frozen=True)
class GateReason:
    slo_id: int
    slo: str
    consumed_percent: Fraction
    since: dt.datetime | None


@dataclass(frozen=True)
class Gate:
    decision: str
    reasons: tuple[GateReason, ...]
    override: OverrideView | None

    @property
    def frozen(self) -> bool:
        """The budget alone would deny (whatever an override says)."""
        return bool(self.reasons)


def override_active(overrides: Iterable[OverrideView], *, now: dt.datetime) -> OverrideView | None:
    """The active override that lasts longest (not revoked, expiring after ``now``), or None."""
    live = [o for o in overrides if o.revoked_at is None and o.expires_at > now]
    return max(live, key=lambda o: (o.expires_at, o.id)) if live else None


def gate_decide(*, budgets: Iterable[SloBudget], overrides: Iterable[OverrideView], now: dt.datetime) -> Gate:
    reasons = tuple(
        GateReason(
            slo_id=b.slo_id,
            slo=b.slo,
            consumed_percent=b.consumed_percent,
            since=b.since or b.observed_at,
        )
        for b in sorted(budgets, key=lambda b: b.slo)
        if b.freeze and b.consumed_percent is not None and b.consumed_percent >= EXHAUSTED
    )
    override = override_active(overrides, now=now)
    decision = DENY if reasons and override is None else ALLOW
    return Gate(decision=decision, reasons=reasons, override=override)
