"""The SLI of an unsaved definition over the last 24 h (the form's preview before saving)."""

from __future__ import annotations

import datetime as dt

from slo.domain.budget import counts_sum
from slo.domain.budget import sli as sli_of
from slo.domain.exact import exact
from slo.domain.spec import SpecError, sli_validate, target_validate
from slo.selectors import SloQuery, slo_counts
from sre.errors import InvalidInputError

HOURS = 24


def sli_preview(*, sli_kind: str, sli: dict, target: object, now: dt.datetime) -> dict:
    """Hourly SLI and event counts for the last 24 h ending at ``now`` (reads only, nothing saved).

    Raises ``InvalidInputError`` for an invalid spec; a source failure is reported in ``error``."""
    try:
        spec = sli_validate(sli_kind, sli)
        goal = target_validate(str(target))
    except SpecError as exc:
        raise InvalidInputError(f"Invalid SLI: {exc}", fields=exc.errors) from None
    points, parts, error = [], [], ""
    for back in range(HOURS - 1, -1, -1):
        at = now - dt.timedelta(hours=back)
        result = slo_counts(queries=[SloQuery(0, sli_kind, spec, frozenset({3600}))], now=at)[0]
        if result.error:
            error = result.error
            break
        counts = result.counts.get(3600)
        parts.append(counts)
        value = sli_of(counts)
        points.append(
            {
                "end": at.isoformat(),
                "sli": None if value is None else float(value),
                "bad": None if counts is None else float(counts.bad),
                "total": None if counts is None else float(counts.total),
            }
        )
    whole = counts_sum(parts)
    overall = sli_of(whole)
    return {
        "points": points,
        "sli": None if overall is None else float(overall),
        "bad": None if whole is None else float(whole.bad),
        "total": None if whole is None else float(whole.total),
        "target": float(goal),
        "meets_target": None if overall is None else overall >= exact(goal),
        "data_state": "source_error" if error else ("ok" if overall is not None else "no_data"),
        "error": error,
    }
