"""Threshold crossings of an SLO's error budget: which notices to open and which to close, once per window.

"Once per crossing per window":

- **Calendar windows** (a week or a month): a threshold sends its notice at most once per period. The notice's
  ``window_start`` is the period's start; it stays open (its alert firing) until the period ends, even if
  consumption dips below the threshold meanwhile (spent budget stays spent for the period), and a new period
  re-arms it.
- **Rolling windows** (the last N days): there is no period, so the notice's ``window_start`` is the time of the
  crossing, and it is re-armed when consumption falls back below ``REARM`` (95%) of the threshold, e.g. under 76%
  for 80%. The margin keeps a budget hovering around a threshold from sending a notice every minute as old bad
  events leave the window and new ones enter.

No data (no traffic, a source error) changes nothing but what does not depend on data: a threshold taken out of
the policy closes its notice, and a calendar period that ended closes its notices.

Pure: consumption comes in as an exact ``Fraction`` (percent), time as arguments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

REARM = Fraction(19, 20)


@dataclass(frozen=True)
class NoticePlan:
    open: tuple[tuple[Fraction, dt.datetime], ...] = ()  # (threshold, window_start) of each notice to send
    close: tuple[Fraction, ...] = ()  # thresholds whose open notice closes (its alert resolves)


def notice_plan(
    *,
    consumed_percent: Fraction | None,
    thresholds: tuple[Fraction, ...],
    open_notices: Mapping[Fraction, dt.datetime],
    sent_in_period: frozenset[Fraction] = frozenset(),
    period_start: dt.datetime | None,
    now: dt.datetime,
) -> NoticePlan:
    """What to do for one SLO now.

    ``open_notices``: threshold → window_start of its open notice. ``period_start``: the calendar period's start,
    or None for a rolling window. ``sent_in_period``: thresholds already noticed in this calendar period (open or
    closed), so a threshold removed and added back in the same period does not notice twice."""
    close: list[Fraction] = []
    still_open: set[Fraction] = set()
    for threshold, window_start in sorted(open_notices.items()):
        if threshold not in thresholds:
            close.append(threshold)
        elif period_start is not None and window_start != period_start:
            close.append(threshold)  # the calendar period it belongs to has ended
        elif period_start is None and consumed_percent is not None and consumed_percent < threshold * REARM:
            close.append(threshold)  # rolling: fell back well below the threshold, re-armed
        else:
            still_open.add(threshold)
    opened: list[tuple[Fraction, dt.datetime]] = []
    if consumed_percent is not None:
        for threshold in thresholds:
            if consumed_percent < threshold or threshold in still_open:
                continue
            if period_start is not None:
                if threshold in sent_in_period:
                    continue
                opened.append((threshold, period_start))
            else:
                opened.append((threshold, now))
    return NoticePlan(open=tuple(opened), close=tuple(close))
