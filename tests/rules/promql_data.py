"""Rollup data for the PromQL evaluator's tests: series built from minute offsets, and a run helper that
filters series by a plan's needs the way the caller does."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from rules.domain.promql import Minute, SeriesData, compile_expr, evaluate

M = 1_700_000_040  # a minute start (the bucket of AT)
AT = M + 30  # mid-minute

Labels = tuple[tuple[str, str], ...]


def L(**labels: str) -> Labels:
    return tuple(sorted(labels.items()))


def counter(labels: Mapping[str, str], increases: Mapping[int, float], *, kind: str = "counter") -> SeriesData:
    """A counter (or delta) series: ``increases`` by minute offset from M (0 is M's bucket, -1 the one before)."""
    minutes = {M + 60 * k: Minute(increase=v, gauge=None, gauge_ts=None, samples=2) for k, v in increases.items()}
    return SeriesData(labels=dict(labels), kind=kind, minutes=minutes)


def gauge(labels: Mapping[str, str], values: Mapping[int, float], *, second: float = 30.0) -> SeriesData:
    """A gauge series: last value per minute offset from M, its sample at ``second`` into the minute."""
    minutes = {
        M + 60 * k: Minute(increase=0.0, gauge=v, gauge_ts=M + 60 * k + second, samples=3) for k, v in values.items()
    }
    return SeriesData(labels=dict(labels), kind="gauge", minutes=minutes)


def _matches(labels: Mapping[str, str], matchers: tuple[tuple[str, str, str], ...]) -> bool:
    for name, op, value in matchers:
        actual = labels.get(name, "")
        ok = {
            "=": actual == value,
            "!=": actual != value,
            "=~": re.fullmatch(value, actual) is not None,
            "!~": re.fullmatch(value, actual) is None,
        }[op]
        if not ok:
            return False
    return True


def run(text: str, series: Mapping[str, list[SeriesData]], *, at: int = AT) -> dict[Labels, float]:
    """``text`` evaluated at ``at`` over ``series`` (by metric name), as {labels: value}."""
    plan = compile_expr(text)
    data = {need: [s for s in series.get(need.name, []) if _matches(s.labels, need.matchers)] for need in plan.needs}
    samples = evaluate(plan, at=at, data=data)
    result = {s.labels: s.value for s in samples}
    assert len(result) == len(samples), "duplicate label sets in a result"
    return result


def same(a: Mapping[Labels, float], b: Mapping[Labels, float]) -> bool:
    """Equal results, NaN equal to NaN."""
    if a.keys() != b.keys():
        return False
    return all(
        (math.isnan(a[k]) and math.isnan(b[k])) or a[k] == b[k] or math.isclose(a[k], b[k], rel_tol=1e-12) for k in a
    )
