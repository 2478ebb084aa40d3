"""Reads of the histogram buckets behind a latency SLI: the ``le`` values the product's metric store holds
for the SLI's selector (the save-time check of the threshold, and the spellings the rule export matches)."""

from __future__ import annotations

from dataclasses import dataclass

from slo.domain.buckets import bound_matches, bucket_bounds
from slo.domain.selector import labels_match, parse_selector
from sre.errors import UnprocessableError
from telemetry.models import Series


@dataclass(frozen=True)
class BucketCheck:
    """``bounds``: the finite bucket bounds of the stored series, numerically sorted (empty: no data yet).
    ``spellings``: every ``le`` text seen (``+Inf`` included). ``matches``: the threshold is a bound."""

    bounds: list[str]
    spellings: tuple[str, ...]
    matches: bool


def latency_buckets(*, selector: str, threshold: str) -> BucketCheck:
    """The buckets of the stored series that ``selector`` (a ``*_bucket`` selector without ``le``) matches,
    and whether ``threshold`` is one of their bounds (compared as numbers: ``1`` is ``1.0``)."""
    sel = parse_selector(selector)
    rows = Series.objects.filter(name=sel.metric).values_list("labels", flat=True)
    seen = sorted({labels["le"] for labels in rows if "le" in labels and labels_match(labels, sel.matchers)})
    bounds = bucket_bounds(seen)
    return BucketCheck(bounds=bounds, spellings=tuple(seen), matches=bool(bounds) and bound_matches(threshold, bounds))


def latency_threshold_check(*, kind: str, sli: dict, previous: dict | None = None) -> BucketCheck | None:
    """Refuse a latency threshold that is no bucket bound of the stored histogram (it would count no event
    as good and page with SLI 0): raises ``UnprocessableError`` on ``sli.threshold`` listing the buckets.

    Not checked: other SLI kinds; an SLI equal to ``previous`` (an edit of other fields, or disabling a
    broken SLO, must not be blocked); a histogram with no stored series yet (data may arrive later: the
    save goes through and the returned check has no ``bounds``, which the caller may show as a warning)."""
    if kind != "latency" or sli == previous:
        return None
    check = latency_buckets(selector=sli["selector"], threshold=sli["threshold"])
    if check.bounds and not check.matches:
        listed = ", ".join(check.bounds)
        message = (
            f"No bucket of {sli['selector']} has le = {sli['threshold']}: its buckets are {listed} (and +Inf). "
            "Choose one of them as the threshold."
        )
        raise UnprocessableError(f"Invalid SLO: sli.threshold: {message}", fields={"sli.threshold": [message]})
    return check


def latency_no_data_note(*, kind: str, sli: dict) -> str:
    """What to tell someone who saved a latency SLO whose histogram has no stored series yet ("" otherwise):
    its threshold could not be checked against the buckets."""
    if kind != "latency" or latency_buckets(selector=sli["selector"], threshold=sli["threshold"]).bounds:
        return ""
    return (
        f"No series of {sli['selector']} has data yet, so the threshold {sli['threshold']} could not be checked "
        "against its buckets: it must equal one of their le bounds, or the SLI will count no event as good."
    )
