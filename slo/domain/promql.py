"""PromQL text for SLIs: counts over a window, combined per-window queries, Prometheus rule files."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from slo.domain.budget import Condition
from slo.domain.exact import decimal_str
from sre.domain.durations import format_duration

REF_LABEL = "slo_ref"


def subquery_range(seconds: int) -> str:
    """The range of a one-minute subquery over the last ``seconds``, 1 ms short: Prometheus 2 includes a
    range's start point and Prometheus 3 does not, so ``[W:1m]`` holds W/60 + 1 points on one and W/60
    on the other; ``[W-1ms:1m]`` holds the W/60 minutes of (T-W, T] on both, as the product counts."""
    return f"{seconds - 1}s999ms" if seconds > 0 else "0s"


def count_expr(query: str, seconds: int) -> str:
    """The number of events ``query`` counts over the last ``seconds``: the query with ``$window``
    replaced (``[$window:1m]`` subqueries by :func:`subquery_range`), or ``sum(increase(<selector>[W]))``."""
    window = format_duration(seconds)
    if "$window" in query:
        return query.replace("[$window:", f"[{subquery_range(seconds)}:").replace("$window", window)
    return f"sum(increase({query}[{window}]))"


def timeslice_exprs(
    *, good: str | None, bad: str | None, total: str, seconds: int, slice_target: Fraction
) -> dict[str, Any]:
    """Bad and total one-minute slices over ``seconds`` as subqueries (minutes without traffic not counted)."""
    window = subquery_range(seconds)
    total_1m = count_expr(total, 60)
    if good is not None:
        ratio = f"({count_expr(good, 60)} / {total_1m})"
    elif bad is not None:
        ratio = f"(1 - {count_expr(bad, 60)} / {total_1m})"
    else:
        raise TypeError("good or bad is required")
    return {
        "bad": f"sum_over_time(({ratio} < bool {decimal_str(slice_target)})[{window}:1m])",
        "total": f"count_over_time(({total_1m} > 0)[{window}:1m])",
    }


def tagged(expr: str, ref: str) -> str:
    """``expr`` (one unlabelled series) with label ``slo_ref=ref``, so many SLOs share one query."""
    return f'label_replace({expr}, "{REF_LABEL}", "{ref}", "", "")'


def combine(parts: list[str]) -> str:
    return " or ".join(parts)


def error_ratio_expr(*, good: str | None, bad: str | None, total: str, window: str) -> str:
    """The error ratio over ``window`` as PromQL (rates, as recording rules usually are)."""

    def rate(q: str) -> str:
        return q.replace("$window", window) if "$window" in q else f"sum(rate({q}[{window}]))"

    if bad is not None:
        return f"{rate(bad)} / {rate(total)}"
    if good is None:
        raise TypeError("good or bad is required")
    return f"1 - ({rate(good)} / {rate(total)})"


def rule_groups(
    *,
    slo: str,
    service: str,
    target: Fraction,
    good: str | None,
    bad: str | None,
    total: str,
    windows: list[int],
    conditions: list[Condition],
    budget_window: int,
) -> dict[str, Any]:
    """A Prometheus rule file (as a dict for YAML): recording rules ``slo:sli_error:ratio_rate<W>`` per
    window and one alerting rule per policy condition, thresholds printed exactly. Recorded series carry
    ``service`` and ``slo`` and the alerts select on both (an SLO name is unique only within its service);
    group names hold both too, so the files of two services' "availability" SLOs load side by side."""
    labels = {"slo": slo, "service": service}
    selector = f'{{service="{service}", slo="{slo}"}}'
    needed = sorted(set(windows) | {c.long_window for c in conditions} | {c.short_window for c in conditions}
                    | {budget_window})  # fmt: skip
    recording = [
        {
            "record": f"slo:sli_error:ratio_rate{format_duration(w)}",
            "expr": error_ratio_expr(good=good, bad=bad, total=total, window=format_duration(w)),
            "labels": dict(labels),
        }
        for w in needed
    ]
    alerting = []
    for c in conditions:
        threshold = decimal_str(c.factor * (1 - target))
        long_w, short_w = format_duration(c.long_window), format_duration(c.short_window)
        alerting.append(
            {
                "alert": "SLOErrorBudgetBurn",
                "expr": (
                    f"slo:sli_error:ratio_rate{long_w}{selector} > {threshold}\n"
                    f"and\nslo:sli_error:ratio_rate{short_w}{selector} > {threshold}"
                ),
                "labels": {
                    **labels,
                    "severity": c.severity,
                    "condition": c.name,
                    "long_window": long_w,
                    "short_window": short_w,
                },
                "annotations": {
                    "summary": f"SLO {slo} ({service}) burns its error budget at over {decimal_str(c.factor)}x",
                    "threshold": threshold,
                    "description": (
                        f"Error ratio over {long_w} is {{{{ $value }}}} (threshold {threshold} = "
                        f"{decimal_str(c.factor)} x (1 - {decimal_str(target)}))."
                    ),
                },
            }
        )
    return {
        "groups": [
            {"name": f"slo-{service}-{slo}-recording", "rules": recording},
            {"name": f"slo-{service}-{slo}-alerts", "rules": alerting},
        ]
    }
