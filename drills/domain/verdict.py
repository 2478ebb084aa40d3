"""The drill verdict and the RTO/RPO arithmetic it rests on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sre.domain.timewords import duration_words

RESTORE_FAILED = "The restore did not succeed."
TENTHS_BELOW = 10  # a drill's times say a tenth of a second below 10 s: a 0.4 s restore is not "0 s"


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    passed: bool
    message: str = ""


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reasons: tuple[str, ...]

    @property
    def summary(self) -> str:
        return "All checks passed within RTO and RPO." if self.passed else "; ".join(self.reasons)


def observed_rpo(*, backup_taken_at: dt.datetime | None, restore_started_at: dt.datetime | None) -> float | None:
    """Age of the backup's data when the restore started, in seconds (never negative); None if unknown."""
    if backup_taken_at is None or restore_started_at is None:
        return None
    return max(0.0, (restore_started_at - backup_taken_at).total_seconds())


def observed_rto(*, restore_started_at: dt.datetime | None, verified_at: dt.datetime | None) -> float | None:
    """Restore start to verified, in seconds; None if the restore never got verified."""
    if restore_started_at is None or verified_at is None:
        return None
    return max(0.0, (verified_at - restore_started_at).total_seconds())


def drill_verdict(
    *,
    restore_ok: bool,
    checks: Sequence[CheckOutcome],
    rto_seconds: float | None,
    rpo_seconds: float | None,
    rto_target_seconds: float,
    rpo_target_seconds: float,
    cleanup_ok: bool = True,
) -> Verdict:
    """Passed only if the restore succeeded, every check passed (at least one ran), RTO <= target and RPO <=
    target (and the scratch resources were removed). An unknown RTO or RPO fails: what cannot be measured
    has not been proven."""
    reasons: list[str] = []
    if not restore_ok:
        reasons.append(RESTORE_FAILED)
    failed = [c for c in checks if not c.passed]
    for check in failed:
        reasons.append(f"Check '{check.name}' failed" + (f": {check.message}" if check.message else "."))
    if restore_ok and not checks:
        reasons.append("No verification check ran.")
    for what, observed, target, unknown in (
        ("RTO", rto_seconds, rto_target_seconds, "RTO could not be measured."),
        ("RPO", rpo_seconds, rpo_target_seconds, "RPO could not be measured (the backup's time is unknown)."),
    ):
        if observed is None:
            if restore_ok:
                reasons.append(unknown)
        elif observed > target:
            said = [duration_words(seconds, tenths_below=TENTHS_BELOW) for seconds in (observed, target)]
            reasons.append(f"{what} {said[0]} is over the target of {said[1]}.")
    if not cleanup_ok:
        reasons.append("Scratch resources could not be removed (see the clean-up step).")
    return Verdict(passed=not reasons, reasons=tuple(reasons))


def run_is_stale(
    *, heartbeat_at: dt.datetime | None, started_at: dt.datetime | None, now: dt.datetime, interval_seconds: float
) -> bool:
    """A running drill whose last sign of life (heartbeat, else start) is older than 1.5 heartbeat intervals.

    The reaper checks every half interval, so a dead worker's run is ended within two intervals of its last
    heartbeat."""
    last = heartbeat_at or started_at
    if last is None:
        return True
    return (now - last).total_seconds() > 1.5 * interval_seconds
