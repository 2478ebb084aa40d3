"""OpenSLO v1 indicators to the product's SLI kinds (pure); used by ``slo.domain.openslo``.

Metric sources: ``Prometheus`` (or a ``metricSourceRef`` naming a DataSource of that type) -> a PromQL
SLI; ``SRE`` -> the product's metric store; ``SRE-logs`` -> logs. ``ratioMetric`` with ``counter: true``
(the default), ``counter: false`` (a gauge holding each minute's events, Prometheus only) or ``raw``
(a query giving the ratio itself, Prometheus only: each minute weighs one); ``thresholdMetric`` on
Prometheus (a gauge compared with the objective's ``op``/``value`` once a minute) or on the store (a
histogram: ``op: lte``/``lt`` and ``value`` choose the bucket). Why anything else is refused is said in
the error; fields that change nothing are reported by path.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from slo.domain.exact import decimal_str, exact
from slo.domain.promql_query import (
    counter_query,
    gauge_query,
    ratio_timeslices_queries,
    store_selector,
    threshold_queries,
)

SOURCES = {"prometheus": "Prometheus", "sre": "SRE", "sre-logs": "SRE-logs"}
Report = Callable[[object, str, set[str]], None]  # (mapping, path, allowed keys) -> lists the others


def number_text(value: object) -> str:
    """A YAML number as exact decimal text (a float is read as the decimal it was written as). At most 40
    digits and an exponent within ±40: ``"1e-9999999"`` would take minutes to expand."""
    if isinstance(value, bool):
        raise ValueError("a number is required")
    text = repr(value) if isinstance(value, float) else value
    if isinstance(text, str | int):
        try:
            digits = Decimal(str(text).strip()).as_tuple()
        except ArithmeticError:
            raise ValueError(f"{str(text)[:40]!r} is not a number") from None
        if not isinstance(digits.exponent, int) or len(digits.digits) > 40 or abs(digits.exponent) > 40:
            raise ValueError("a finite number of at most 40 digits is required")
    return decimal_str(exact(text))


def source_of(
    node: object, path: str, *, report: Report, notes: list[str], sources: dict[str, dict[str, Any]]
) -> tuple[str, dict[str, Any]]:
    """(lower-case source type, its spec) of ``node.metricSource``."""
    if not isinstance(node, dict) or not isinstance(node.get("metricSource"), dict):
        raise ValueError(f"{path}.metricSource is required")
    report(node, path, {"metricSource"})
    source = node["metricSource"]
    spath = f"{path}.metricSource"
    report(source, spath, {"type", "spec", "metricSourceRef"})
    kind = source.get("type")
    ref = source.get("metricSourceRef")
    if ref is not None:
        named = sources.get(str(ref))
        if named is not None:
            ref_type = str(named.get("type", ""))
            if kind is None:
                kind = ref_type
            elif str(kind).lower() != ref_type.lower():
                raise ValueError(f"{spath}: type {kind} differs from DataSource {ref}'s type {ref_type}")
        elif str(kind or "").lower() == "prometheus":
            notes.append(f"{spath}.metricSourceRef ({ref}: Prometheus is read from PROMETHEUS_URL)")
        elif kind is None:
            raise ValueError(f"{spath}.metricSourceRef {ref!r} names no DataSource in these documents")
    if kind is None:
        raise ValueError(f"{spath}.type is required")
    spec = source.get("spec") if isinstance(source.get("spec"), dict) else {}
    lowered = str(kind).lower()
    if lowered not in SOURCES:
        raise ValueError(
            f"{spath}: metric source type {kind!r} is not one the product reads ({', '.join(SOURCES.values())})"
        )
    allowed = {"service", "query", "levels"} if lowered == "sre-logs" else {"query"}
    report(spec, f"{spath}.spec", allowed)
    return lowered, spec


def _query(spec: dict[str, Any], path: str) -> str:
    query = spec.get("query")
    if not isinstance(query, str) or not query.strip():
        raise ValueError(f"{path}.metricSource.spec.query is required")
    return query.strip()


def ratio_sli(ratio: object, path: str, *, report: Report, notes: list[str], sources: dict[str, Any]) -> dict[str, Any]:
    """{"sli_kind", "sli"} of a ``ratioMetric``."""
    if not isinstance(ratio, dict):
        raise ValueError(f"{path} must be a mapping")
    report(ratio, path, {"counter", "good", "bad", "total", "rawType", "raw"})
    counter = ratio.get("counter", True)
    if "raw" in ratio:
        return _raw(ratio, path, report=report, notes=notes, sources=sources)
    if ("good" in ratio) == ("bad" in ratio) or "total" not in ratio:
        raise ValueError(f"{path} needs exactly one of good or bad, and total")
    numerator = "good" if "good" in ratio else "bad"
    n_type, n_spec = source_of(ratio[numerator], f"{path}.{numerator}", report=report, notes=notes, sources=sources)
    t_type, t_spec = source_of(ratio["total"], f"{path}.total", report=report, notes=notes, sources=sources)
    if n_type != t_type:
        raise ValueError(f"{path}: {numerator} and total must use the same metric source type")
    if n_type == "sre-logs":
        if numerator != "bad":
            raise ValueError(f"{path}: a log SLI counts bad lines (use bad, not good)")
        levels = n_spec.get("levels", [])
        return {
            "sli_kind": "log",
            "sli": {
                "service": str(n_spec.get("service", "")),
                "bad_query": str(n_spec.get("query", "") or ""),
                "bad_levels": levels if isinstance(levels, list) else [],
            },
        }
    queries = {numerator: _query(n_spec, f"{path}.{numerator}"), "total": _query(t_spec, f"{path}.total")}
    if n_type == "sre":
        if counter is not True:
            raise ValueError(f"{path}.counter: the metric store holds counters; counter: false is not supported on it")
        try:
            return {"sli_kind": "ratio", "sli": {k: store_selector(q) for k, q in queries.items()}}
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
    out = {}
    for key, q in queries.items():
        qpath = f"{path}.{'total' if key == 'total' else numerator}.metricSource.spec.query"
        try:
            if counter is True:
                out[key], changes = counter_query(q)
                notes.extend(f"{qpath} ({change})" for change in changes)
            else:
                out[key] = gauge_query(q)
        except ValueError as exc:
            raise ValueError(f"{qpath}: {exc}") from None
    return {"sli_kind": "promql", "sli": out}


def _raw(
    ratio: dict[str, Any], path: str, *, report: Report, notes: list[str], sources: dict[str, Any]
) -> dict[str, Any]:
    kind, spec = source_of(ratio["raw"], f"{path}.raw", report=report, notes=notes, sources=sources)
    if kind != "prometheus":
        raise ValueError(f"{path}.raw: a raw ratio is supported on Prometheus only")
    raw_type = ratio.get("rawType", "success")
    if raw_type not in ("success", "failure"):
        raise ValueError(f"{path}.rawType must be success or failure")
    query = _query(spec, f"{path}.raw").replace("{{.window}}", "1m").replace("{{ .window }}", "1m")
    notes.append(f"{path}.raw (the ratio is taken once a minute over 1m; each minute weighs the same)")
    try:
        gauge_query(query)  # parses
    except ValueError as exc:
        raise ValueError(f"{path}.raw.metricSource.spec.query: {exc}") from None
    numerator = "good" if raw_type == "success" else "bad"
    return {
        "sli_kind": "promql",
        "sli": {numerator: f"sum_over_time(({query})[$window:1m])", "total": f"count_over_time(({query})[$window:1m])"},
    }


def threshold_sli(
    metric: object, objective: dict[str, Any], path: str, *, report: Report, notes: list[str], sources: dict[str, Any]
) -> dict[str, Any]:
    """{"sli_kind", "sli"} of a ``thresholdMetric`` with the objective's ``op`` and ``value``."""
    kind, spec = source_of(metric, path, report=report, notes=notes, sources=sources)
    if "value" not in objective:
        raise ValueError("a thresholdMetric needs spec.objectives[0].value")
    op = objective.get("op", "lte")
    value = number_text(objective["value"])
    if kind == "prometheus":
        try:
            return {"sli_kind": "promql", "sli": threshold_queries(_query(spec, path), op=op, value=value)}
        except ValueError as exc:
            raise ValueError(f"{path}.metricSource.spec.query: {exc}") from None
    if kind == "sre" and op in ("lte", "lt"):
        return {"sli_kind": "latency", "sli": {"selector": _query(spec, path), "threshold": value}}
    if kind == "sre":
        raise ValueError("a thresholdMetric on the metric store is a histogram: op must be lte or lt")
    raise ValueError(f"{path}: a thresholdMetric on logs is not supported")


def ratio_timeslices(sli: dict[str, Any]) -> dict[str, Any]:
    """A PromQL SLI's good/total as OpenSLO ``RatioTimeslices`` (the mean of the one-minute ratios)."""
    return ratio_timeslices_queries(good=sli.get("good"), bad=sli.get("bad"), total=sli["total"])
