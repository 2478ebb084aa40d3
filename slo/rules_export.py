"""Prometheus rule export of an SLO: recording rules of the error ratio per window, alerting rules per burn
condition (``GET /api/v1/slos/{id}/prometheus-rules``).

A latency SLI's bucket is chosen with an exact matcher on every spelling of the threshold (``le=~"1|1\\.0"``:
Go's client writes ``1``, the Python client and Prometheus 3 write ``1.0``), plus any other spelling of it
that the product's store holds for the histogram (``slo.domain.buckets``)."""

from __future__ import annotations

import yaml

from slo.domain.buckets import INF, le_matcher
from slo.domain.exact import exact
from slo.domain.promql import rule_groups
from slo.domain.selector import parse_selector
from slo.domain.spec import policy_validate
from slo.domain.windows import BURN_WINDOWS, DAY
from slo.models import SLO
from slo.selectors.buckets import latency_buckets
from sre.errors import UnprocessableError


def prometheus_rules_text(slo: SLO) -> str:
    """A Prometheus rule file: recording rules of the error ratio per window, alerting rules per condition."""
    sli = slo.sli
    if slo.sli_kind == "log":
        raise UnprocessableError("A log-based SLI has no Prometheus metric to write rules for.")
    if slo.sli_kind == "latency":
        sel = parse_selector(sli["selector"])
        seen = latency_buckets(selector=sli["selector"], threshold=sli["threshold"]).spellings
        good = str(sel.with_matchers(le_matcher(sli["threshold"], seen=seen)))
        total = str(sel.with_matchers(("le", "=", INF)))
        bad = None
    else:
        good, bad, total = sli.get("good"), sli.get("bad"), sli["total"]
    window = slo.window_days * DAY if slo.window_kind == "rolling" else 30 * DAY
    groups = rule_groups(
        slo=slo.name,
        service=slo.service.name,
        target=exact(slo.target),
        good=good,
        bad=bad,
        total=total,
        windows=list(BURN_WINDOWS.values()),
        conditions=policy_validate(slo.alert_policy),
        budget_window=window,
    )
    return yaml.safe_dump(groups, sort_keys=False, width=1000)
