"""Pyrra ``ServiceLevelObjective`` CRDs (https://github.com/pyrra-dev/pyrra) to plain SLO definitions (pure).

``spec.target`` (a percent string) and ``spec.window`` (``4w``, ``2w``, ``28d``: whole days, 1 to 90)
carry over exactly. Indicators become PromQL SLIs that count events over the window, as Pyrra's own
recording rules do:

    ratio          bad = errors.metric, total = total.metric (the product takes sum(increase(...)))
    latency        good = success.metric, total = total.metric; a whole-number ``le`` ("1" or "1.0")
                   matches both spellings (``le=~"1(?:[.]0)?"``, as Pyrra's Prometheus 3 migration does)
    latencyNative  good = histogram_fraction(0, latency, sum(increase(total[$window]))) × its count,
                   total = histogram_count(sum(increase(total[$window])))
    bool_gauge     good = sum(sum_over_time(metric[$window])), total = sum(count_over_time(...))

``grouping`` is listed: the SLO is evaluated once over all groups. The service is the
``pyrra.dev/service`` label, else the namespace, else the SLO's name (Pyrra has no services).
The alert policy is Pyrra's four burn-rate alerts with its windows scaled to the SLO window (for 28
days: 14× over 1h/5m, 7× over 6h/30m, 2× over 1d/2h, 1× over 4d/6h), critical → page and warning →
ticket (``spec.alerting.severities`` may say otherwise); ``disabled: true`` or ``burnrates: false`` means
no burn alerts. Pyrra's ``for`` durations and absent alerts have no counterpart here.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from slo.domain.exact import decimal_str
from slo.domain.foreign import mapping, percent, prom_duration_ms, slug
from slo.domain.openslo import ImportResult
from slo.domain.selector import parse_selector
from slo.domain.windows import DAY
from sre.domain.durations import format_duration

SERVICE_LABEL = "pyrra.dev/service"
PROPAGATE = "pyrra.dev/"
INDICATORS = ("ratio", "latency", "latencyNative", "bool_gauge")
# Pyrra's Windows() (slo/rules.go): (name, default severity, factor, long divisor, short divisor); a
# window is the SLO window divided by the divisor (nanoseconds, truncated) rounded to the minute.
BURN_WINDOWS = (
    ("fast-burn", "critical", 14, 28 * 24, 28 * 24 * 12, "fastBurn"),
    ("medium-burn", "critical", 7, 28 * 4, 28 * 24 * 2, "mediumBurn"),
    ("slow-burn", "warning", 2, 28, 28 * 12, "slowBurn"),
    ("long-term-burn", "warning", 1, 7, 28 * 4, "longTermBurn"),
)
_META = {"name", "namespace", "labels", "annotations", "uid", "resourceVersion", "generation", "creationTimestamp",
         "managedFields", "selfLink", "finalizers", "ownerReferences", "generateName"}  # fmt: skip
_SPEC = {"description", "target", "window", "indicator", "alerting", "partial_response_strategy",
         "performanceOverAccuracy", "ruleOutput"}  # fmt: skip
_ALERTING = {"disabled", "burnrates", "absent", "name", "absentName", "severities"}
_LE = re.compile(r"""(\ble\s*)=\s*"(\d+)(?:\.0+)?"(?=\s*[,}])""")
_NS_PER_MINUTE = 60 * 10**9


def _go_round_minutes(nanoseconds: int) -> int:
    """Go's ``Duration.Round(time.Minute)`` for a positive duration, in seconds (halves round up)."""
    whole, rest = divmod(nanoseconds, _NS_PER_MINUTE)
    return (whole + (1 if 2 * rest >= _NS_PER_MINUTE else 0)) * 60


def burn_policy(
    window_seconds: int, severities: dict[str, Any] | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """Pyrra's burn-rate conditions for an SLO window, and the names of those whose short window
    rounds to under a minute (left out)."""
    severities = severities or {}
    ns = window_seconds * 10**9
    out, dropped = [], []
    for name, severity, factor, long_div, short_div, key in BURN_WINDOWS:
        long, short = _go_round_minutes(ns // long_div), _go_round_minutes(ns // short_div)
        if short < 60:
            dropped.append(name)
            continue
        label = str(severities.get(key) or severity).lower()
        out.append({"name": name, "severity": "page" if label in ("critical", "page") else "ticket",
                    "factor": str(factor), "long_window": format_duration(long),
                    "short_window": format_duration(short)})  # fmt: skip
    return out, dropped


def pyrra_parse(docs: list[tuple[str, dict[str, Any]]]) -> ImportResult:
    """Plain SLO definitions of Pyrra ``ServiceLevelObjective`` documents given as ``(where, mapping)``."""
    result = ImportResult()
    for where, doc in docs:
        try:
            slo = _objective(doc, where, result)
        except ValueError as exc:
            result.errors.append(f"{where}: {exc}")
            continue
        if slo is not None:
            result.slos.append(slo)
    return result


def _unknown(node: dict[str, Any], allowed: set[str], path: str, where: str, result: ImportResult) -> None:
    for key in sorted(set(node) - allowed, key=str):
        result.unsupported.append(f"{where}: {path}{key} (not a Pyrra field; ignored)")


def _objective(doc: dict[str, Any], where: str, result: ImportResult) -> dict[str, Any] | None:
    document = where
    _unknown(doc, {"apiVersion", "kind", "metadata", "spec", "status"}, "", where, result)
    meta = mapping(doc.get("metadata"), "metadata")
    name = meta.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError("metadata.name is required")
    where = f"{where}, SLO {name}"
    _unknown(meta, _META, "metadata.", where, result)
    labels = mapping(meta.get("labels"), "metadata.labels")
    for key in sorted(labels, key=str):
        if str(key).startswith(PROPAGATE) and key != SERVICE_LABEL:
            result.unsupported.append(f"{where}: metadata.labels.{key} (a label Pyrra puts on its rules; "
                                      "not carried over)")  # fmt: skip
    for key in sorted(mapping(meta.get("annotations"), "metadata.annotations"), key=str):
        if str(key).startswith(PROPAGATE):
            result.unsupported.append(f"{where}: metadata.annotations.{key} (not carried over)")
    spec = mapping(doc.get("spec"), "spec")
    _unknown(spec, _SPEC, "spec.", where, result)
    for key in ("partial_response_strategy", "performanceOverAccuracy", "ruleOutput"):
        if spec.get(key):
            result.unsupported.append(f"{where}: spec.{key} (Pyrra rule generation; no counterpart here)")
    target_text = spec.get("target")
    try:
        target = percent(target_text)
        if not 0 <= target <= 1:
            raise ValueError
    except ValueError:
        raise ValueError('spec.target must be a percentage from 0 to 100, e.g. "99.5"') from None
    try:
        window_ms = prom_duration_ms(spec.get("window"))
    except ValueError as exc:
        raise ValueError(f"spec.window: {exc}") from None
    indicator = mapping(spec.get("indicator"), "spec.indicator")
    _unknown(indicator, set(INDICATORS), "spec.indicator.", where, result)
    kinds = [kind for kind in INDICATORS if indicator.get(kind) is not None]
    if len(kinds) != 1:
        raise ValueError("spec.indicator needs one of ratio, latency, latencyNative or bool_gauge")
    kind = kinds[0]
    sli = _indicator(kind, mapping(indicator[kind], f"spec.indicator.{kind}"), f"spec.indicator.{kind}", where,
                     result)  # fmt: skip
    alerting = mapping(spec.get("alerting"), "spec.alerting")
    _unknown(alerting, _ALERTING, "spec.alerting.", where, result)
    for key in ("name", "absentName"):
        if alerting.get(key):
            result.unsupported.append(f"{where}: spec.alerting.{key} (alerts here are named by the product)")
    if alerting.get("absent") is True:
        result.unsupported.append(f"{where}: spec.alerting.absent (no absent alerts here; a missing metric "
                                  "shows as no data)")  # fmt: skip
    if sli is None:
        return None
    if window_ms % (DAY * 1000) or not 1 <= window_ms // (DAY * 1000) <= 90:
        result.skipped.append(f"{where}: spec.window {spec['window']} (windows here are whole days from 1 "
                                  "to 90; SLO not imported)")  # fmt: skip
        return None
    if not 0 < target < 1:
        result.skipped.append(f"{where}: spec.target {target_text} (a target of 0 or 100% has no "
                                  "error budget to burn; SLO not imported)")  # fmt: skip
        return None
    window = window_ms // 1000
    conditions: list[dict[str, Any]] = []
    if alerting.get("disabled") is not True and alerting.get("burnrates") is not False:
        conditions, dropped = burn_policy(window, mapping(alerting.get("severities"), "spec.alerting.severities"))
        for condition in dropped:
            result.unsupported.append(f"{where}: the {condition} alert (its short window is under a minute "
                                      f"for a {spec['window']} window)")  # fmt: skip
    labels_service = labels.get(SERVICE_LABEL)
    service = labels_service or meta.get("namespace") or name
    return {
        "name": slug(name),
        "display_name": name if slug(name) != name else "",
        "description": str(spec.get("description") or ""),
        "service": slug(str(service)),
        "target": decimal_str(target),
        "window_kind": "rolling",
        "window_days": window // DAY,
        "budgeting_method": "Occurrences",
        "sli_kind": "promql",
        "sli": sli,
        "alert_policy": conditions,
        "enabled": True,
        "where": document,
    }


def _metric(node: object, path: str) -> str:
    metric = node.get("metric") if isinstance(node, dict) else None
    if not isinstance(metric, str) or not metric.strip():
        raise ValueError(f"{path}.metric is required")
    return metric.strip()


def _indicator(kind: str, node: dict[str, Any], path: str, where: str, result: ImportResult) -> dict[str, Any] | None:
    """The PromQL SLI spec, or None when the selectors are not ones the product can run (listed)."""
    allowed = {
        "ratio": {"errors", "total", "grouping"},
        "latency": {"success", "total", "grouping"},
        "latencyNative": {"total", "latency", "grouping"},
        "bool_gauge": {"metric", "grouping"},
    }[kind]
    _unknown(node, allowed, f"{path}.", where, result)
    if node.get("grouping"):
        result.unsupported.append(f"{where}: {path}.grouping (one SLO over all groups here, not one per group)")
    if kind == "ratio":
        selectors = {"bad": _metric(node.get("errors"), f"{path}.errors"), "total": _metric(node.get("total"),
                     f"{path}.total")}  # fmt: skip
    elif kind == "latency":
        success = _metric(node.get("success"), f"{path}.success")
        if not re.search(r"\ble\s*=", success):
            raise ValueError(f"{path}.success.metric must contain a le label matcher")
        selectors = {"good": _LE.sub(r'\1=~"\2(?:[.]0)?"', success), "total": _metric(node.get("total"),
                     f"{path}.total")}  # fmt: skip
    elif kind == "bool_gauge":
        selectors = {"good": _metric(node, path)}
    else:
        selectors = {"total": _metric(node.get("total"), f"{path}.total")}
    for key, text in selectors.items():
        try:
            parse_selector(text)
        except ValueError as exc:
            result.skipped.append(f"{where}: {path} {key} metric is not a series selector ({exc}); "
                                      "SLO not imported")  # fmt: skip
            return None
    if kind in ("ratio", "latency"):
        return selectors
    if kind == "bool_gauge":
        metric = selectors["good"]
        return {"good": f"sum(sum_over_time({metric}[$window]))", "total": f"sum(count_over_time({metric}[$window]))"}
    try:
        latency = decimal_str(Fraction(prom_duration_ms(node.get("latency")), 1000))
    except ValueError as exc:
        raise ValueError(f"{path}.latency: {exc}") from None
    increase = f"sum(increase({selectors['total']}[$window]))"
    return {
        "good": f"histogram_fraction(0, {latency}, {increase}) * histogram_count({increase})",
        "total": f"histogram_count({increase})",
    }
