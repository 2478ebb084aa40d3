"""Budget consumption recomputed exactly, and the release-burn decision after a deployment.

Release burn: for a deployment at ``at`` and an SLO watched for ``watch`` minutes with factor ``f``, the events
counted are those in whole minutes from the deployment's minute up to ``min(now, at + watch)``::

    burn rate = (bad / total) / (1 − target)

It fires when ``burn rate > f`` (strictly, as the SLO's own thresholds) and ``bad ≥ min_bad_events``: the
minimum keeps one failed request right after a quiet deploy (a burn rate of hundreds) from rolling it back. No
traffic is no data: never a burn.

Pure: counts and times are arguments.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from slo.domain.budget import Counts, burn_rate
from slo.domain.exact import exact

# How long a watch stays open after its window ends, so minutes whose metrics arrive late are still counted.
WATCH_GRACE = dt.timedelta(minutes=5)


def consumed_percent(*, bad: object, total: object, target: object) -> Fraction | None:
    """Percent of the error budget consumed, exactly: ``100 × bad / ((1 − target) × total)``; None without
    traffic. ``bad``/``total`` as the SLO status stores them (floats of exact counts), ``target`` its decimal."""
    if bad is None or total is None or target is None:
        return None
    try:
        bad_, total_, target_ = exact(bad), exact(total), exact(target)
    except ValueError:
        return None
    if total_ <= 0 or not 0 < target_ < 1:
        return None
    return 100 * bad_ / ((1 - target_) * total_)


def watch_end(*, at: dt.datetime, watch_minutes: int) -> dt.datetime:
    return at + dt.timedelta(minutes=watch_minutes)


def watch_range(*, at: dt.datetime, watch_minutes: int, now: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
    """``(start, end)`` of the events to count now: from the deployment to ``min(now, at + watch)``; None before
    the deployment."""
    end = min(now, watch_end(at=at, watch_minutes=watch_minutes))
    return (at, end) if end > at else None


def watch_over(*, watch_until: dt.datetime, now: dt.datetime) -> bool:
    """The watch is closed (its last minutes have had ``WATCH_GRACE`` to arrive)."""
    return now >= watch_until + WATCH_GRACE


@dataclass(frozen=True)
class ReleaseBurnVerdict:
    burn_rate: Fraction | None
    fires: bool
    reason: str


def release_burn(
    *, counts: Counts | None, target: Fraction, factor: Fraction, min_bad_events: int
) -> ReleaseBurnVerdict:
    rate = burn_rate(counts, target=target)
    if rate is None or counts is None:
        return ReleaseBurnVerdict(None, False, "no data")
    if rate <= factor:
        return ReleaseBurnVerdict(rate, False, "at or under the factor")
    if counts.bad < min_bad_events:
        return ReleaseBurnVerdict(rate, False, f"fewer than {min_bad_events} bad events")
    return ReleaseBurnVerdict(rate, True, "over the factor")
