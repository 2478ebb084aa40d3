"""Sloth specs (https://github.com/slok/sloth) to plain SLO definitions (pure).

Read: the ``prometheus/v1`` service spec (``version``, ``service``, ``slos[]``) and its Kubernetes CRD
(``apiVersion: sloth.slok.dev/v1``, ``kind: PrometheusServiceLevel``, the same fields camel-cased under
``spec``), and Sloth's ``AlertWindows`` document, which sets the SLO period and the alert windows.

Each SLO becomes a PromQL SLI over ``bad`` (``error_query``) and ``total`` (``total_query``):
``{{.window}}`` becomes ``$window`` and ``rate(...[{{.window}}])`` becomes ``increase(...)``, so the
queries count events (the ratio is the same). The window is Sloth's SLO period, 30 days unless an
``AlertWindows`` document in the same import says otherwise (Sloth's own ``--default-slo-period``
flag is not in the files). The alert policy is Sloth's multiwindow multi-burn-rate alerts: page
(quick, slow) and ticket (quick, slow), each ``error budget percent × period / long window`` as
its factor, so 14.4, 6, 3 and 1 for 30 days; a disabled page or ticket alert drops its two conditions.

Not importable, and listed in ``skipped`` with the reason: ``sli.raw`` and ``sli.plugin`` (an error ratio gives no
event counts), a query that is not PromQL (MetricsQL, other template variables), an objective of 100.
Labels, plugins and alert names, labels and annotations are listed as not carried over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from slo.domain.exact import decimal_str
from slo.domain.foreign import mapping, percent, prom_duration_ms, promql_problem, rates_to_increases, slug
from slo.domain.openslo import ImportResult
from slo.domain.spec import policy_validate
from slo.domain.windows import DAY
from sre.domain.durations import format_duration

CRD_API = "sloth.slok.dev/v1"
SPEC_VERSION = "prometheus/v1"
DEFAULT_PERIOD = 30 * DAY
# Sloth's built-in catalogue (internal/alert/windows/google-30d.yaml and google-28d.yaml, from the SRE
# Workbook): (condition, severity, error budget percent, short window, long window) for both periods.
GOOGLE_WINDOWS = (
    ("page-quick", "page", Fraction(2), 300, 3600),
    ("page-slow", "page", Fraction(5), 1800, 21600),
    ("ticket-quick", "ticket", Fraction(10), 7200, 86400),
    ("ticket-slow", "ticket", Fraction(10), 21600, 259200),
)
_WINDOW_VAR = re.compile(r"\{\{\s*\.window\s*\}\}")


@dataclass(frozen=True)
class _Keys:
    """Field names of the two spellings: the spec is snake_case, the CRD camelCase."""

    root: frozenset[str]
    plugins: str
    error_query: str
    total_query: str
    error_ratio_query: str
    page: str
    ticket: str


SPEC_KEYS = _Keys(frozenset({"version", "service", "labels", "slo_plugins", "slos"}), "slo_plugins",
                  "error_query", "total_query", "error_ratio_query", "page_alert", "ticket_alert")  # fmt: skip
CRD_KEYS = _Keys(frozenset({"service", "labels", "sloPlugins", "slos"}), "sloPlugins",
                 "errorQuery", "totalQuery", "errorRatioQuery", "pageAlert", "ticketAlert")  # fmt: skip


@dataclass(frozen=True)
class AlertWindows:
    """The SLO period (seconds) and the four (name, severity, budget percent, short, long) windows."""

    period: int
    windows: tuple[tuple[str, str, Fraction, int, int], ...] = GOOGLE_WINDOWS


def policy(windows: AlertWindows, *, page: bool = True, ticket: bool = True) -> list[dict[str, Any]]:
    """The product's alert policy for Sloth's alerts: factor = percent / 100 × period / long window."""
    out = []
    for name, severity, budget_percent, short, long in windows.windows:
        if (severity == "page" and not page) or (severity == "ticket" and not ticket):
            continue
        factor = budget_percent / 100 * windows.period / long
        out.append({"name": name, "severity": severity, "factor": decimal_str(factor),
                    "long_window": format_duration(long), "short_window": format_duration(short)})  # fmt: skip
    return out


def alert_windows_document(period: int) -> dict[str, Any]:
    """Sloth's built-in ``AlertWindows`` document for a period (what ``--default-slo-period`` picks)."""
    spec: dict[str, Any] = {"sloPeriod": format_duration(period)}
    for name, _, budget_percent, short, long in GOOGLE_WINDOWS:
        severity, speed = name.split("-")
        spec.setdefault(severity, {})[speed] = {"errorBudgetPercent": int(budget_percent),
                                                "shortWindow": format_duration(short),
                                                "longWindow": format_duration(long)}  # fmt: skip
    return {"apiVersion": CRD_API, "kind": "AlertWindows", "spec": spec}


def sloth_parse(docs: list[tuple[str, dict[str, Any]]], *, period: int = DEFAULT_PERIOD) -> ImportResult:
    """Plain SLO definitions of Sloth documents given as ``(where, mapping)`` pairs. ``period`` is the
    SLO period (Sloth's ``--default-slo-period``: 30 or 28 days) unless an ``AlertWindows`` document
    is among ``docs``."""
    result = ImportResult()
    window_docs = [(where, doc) for where, doc in docs if doc.get("kind") == "AlertWindows"]
    windows = AlertWindows(period)
    if period not in (28 * DAY, 30 * DAY) and not window_docs:
        result.errors.append(f"Sloth has built-in alert windows for 28d and 30d, not {format_duration(period)}")
    if len(window_docs) > 1:
        result.errors.append(
            f"{', '.join(w for w, _ in window_docs)}: one Sloth AlertWindows document per import (the SLO period)"
        )
    elif window_docs:
        try:
            windows = _alert_windows(window_docs[0][1])
        except ValueError as exc:
            result.errors.append(f"{window_docs[0][0]}: AlertWindows {exc}")
    if result.errors:  # no Sloth SLO is imported with a period other than the one meant
        result.errors.extend(f"{where}: not imported: the Sloth alert windows are in doubt" for where, doc in docs
                             if doc.get("kind") != "AlertWindows")  # fmt: skip
        return result
    for where, doc in docs:
        if doc.get("kind") == "AlertWindows":
            continue
        try:
            _service_level(doc, where, windows, result)
        except ValueError as exc:
            result.errors.append(f"{where}: {exc}")
    return result


def _alert_windows(doc: dict[str, Any]) -> AlertWindows:
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        raise ValueError("spec is required")
    period = prom_duration_ms(spec.get("sloPeriod")) // 1000
    out = []
    for name, severity, *_ in GOOGLE_WINDOWS:
        sev, speed = name.split("-")
        node = (spec.get(sev) or {}).get(speed) if isinstance(spec.get(sev), dict) else None
        if not isinstance(node, dict):
            raise ValueError(f"spec.{sev}.{speed} is required")
        try:
            budget = percent(node.get("errorBudgetPercent")) * 100
            short = prom_duration_ms(node.get("shortWindow")) // 1000
            long = prom_duration_ms(node.get("longWindow")) // 1000
        except ValueError as exc:
            raise ValueError(f"spec.{sev}.{speed}: {exc}") from None
        if min(period, short, long) <= 0 or not 0 < budget <= 100:
            raise ValueError(f"spec.{sev}.{speed}: windows must be positive and errorBudgetPercent in (0, 100]")
        out.append((name, severity, budget, short, long))
    windows = AlertWindows(period, tuple(out))
    policy_validate(policy(windows))  # a SpecError (a ValueError) names the condition the windows break
    return windows


def _unknown(
    node: dict[str, Any], allowed: set[str] | frozenset[str], path: str, where: str, result: ImportResult
) -> None:
    for key in sorted(set(node) - set(allowed), key=str):
        result.unsupported.append(f"{where}: {path}{key} (not a Sloth field; ignored)")


def _service_level(doc: dict[str, Any], where: str, windows: AlertWindows, result: ImportResult) -> None:
    if doc.get("apiVersion") == CRD_API:
        keys, prefix = CRD_KEYS, "spec."
        _unknown(doc, {"apiVersion", "kind", "metadata", "spec", "status"}, "", where, result)
        spec = mapping(doc.get("spec"), "spec")
    else:
        keys, prefix, spec = SPEC_KEYS, "", doc
    _unknown(spec, keys.root, prefix, where, result)
    service = spec.get("service")
    if not isinstance(service, str) or not service.strip():
        raise ValueError(f"{prefix}service is required")
    slos = spec.get("slos")
    if not isinstance(slos, list) or not slos:
        raise ValueError(f"{prefix}slos: at least one SLO is required")
    if spec.get("labels"):
        result.unsupported.append(f"{where}: {prefix}labels (Prometheus rule labels; not carried over)")
    if spec.get(keys.plugins):
        result.unsupported.append(f"{where}: {prefix}{keys.plugins} (Sloth rule generation plugins; not applied)")
    for index, item in enumerate(slos):
        path = f"{prefix}slos[{index}]"
        if not isinstance(item, dict):
            raise ValueError(f"{path} must be a mapping")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{path}.name is required")
        slo = _slo(item, f"{where}, SLO {name}", path, keys, windows, result)
        if slo is not None:
            slo.update(name=slug(name), service=slug(service.strip()), where=where)
            if slug(name) != name:
                slo["display_name"] = name
            result.slos.append(slo)


def _slo(
    item: dict[str, Any], where: str, path: str, keys: _Keys, windows: AlertWindows, result: ImportResult
) -> dict[str, Any] | None:
    """One SLO's definition, or None when it cannot be computed here (the reason listed)."""
    _unknown(item, {"name", "description", "objective", "plugins", "labels", "sli", "alerting"}, f"{path}.", where,
             result)  # fmt: skip
    objective = item.get("objective")
    try:
        target = percent(objective)
        if isinstance(objective, str) or not 0 < target <= 1:
            raise ValueError
    except ValueError:
        raise ValueError(f"{path}.objective must be a number in (0, 100], e.g. 99.9") from None
    if item.get("labels"):
        result.unsupported.append(f"{where}: {path}.labels (Prometheus rule labels; not carried over)")
    if item.get("plugins"):
        result.unsupported.append(f"{where}: {path}.plugins (Sloth rule generation plugins; not applied)")
    sli = mapping(item.get("sli"), f"{path}.sli")
    _unknown(sli, {"events", "raw", "plugin"}, f"{path}.sli.", where, result)
    kinds = [kind for kind in ("events", "raw", "plugin") if sli.get(kind) is not None]
    if len(kinds) != 1:
        raise ValueError(f"{path}.sli needs exactly one of events, raw or plugin")
    alerting = _alerting(mapping(item.get("alerting"), f"{path}.alerting"), f"{path}.alerting", keys, where, result)
    if kinds[0] == "raw":
        result.skipped.append(f"{where}: {path}.sli.raw (an error ratio query gives no event counts; "
                                  "SLO not imported)")  # fmt: skip
        return None
    if kinds[0] == "plugin":
        plugin = sli["plugin"].get("id") if isinstance(sli["plugin"], dict) else None
        result.skipped.append(f"{where}: {path}.sli.plugin {plugin!r} (an SLI plugin yields an error ratio "
                                  "query, which gives no event counts; SLO not imported)")  # fmt: skip
        return None
    if target == 1:
        result.skipped.append(f"{where}: {path}.objective 100 (no error budget; SLO not imported)")
        return None
    events = mapping(sli["events"], f"{path}.sli.events")
    _unknown(events, {keys.error_query, keys.total_query}, f"{path}.sli.events.", where, result)
    queries = {}
    for field, key in (("bad", keys.error_query), ("total", keys.total_query)):
        text = events.get(key)
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{path}.sli.events.{key} is required")
        query = rates_to_increases(_WINDOW_VAR.sub("$window", text.strip()))
        problem = "it has no {{.window}}" if "$window" not in query else None
        if "{{" in query:
            problem = "only the {{.window}} template variable is known"
        problem = problem or promql_problem(query)
        if problem:
            result.skipped.append(f"{where}: {path}.sli.events.{key} is not PromQL Prometheus can run "
                                      f"({problem}); SLO not imported")  # fmt: skip
            return None
        queries[field] = query
    return {
        "display_name": "",
        "description": str(item.get("description") or ""),
        "target": decimal_str(target),
        "window_kind": "rolling",
        "window_days": windows.period // DAY,
        "budgeting_method": "Occurrences",
        "sli_kind": "promql",
        "sli": queries,
        "alert_policy": policy(windows, page=alerting[0], ticket=alerting[1]),
        "enabled": True,
    }


def _alerting(alerting: dict[str, Any], path: str, keys: _Keys, where: str, result: ImportResult) -> tuple[bool, bool]:
    """(page enabled, ticket enabled); lists what is not carried over."""
    _unknown(alerting, {"name", "labels", "annotations", keys.page, keys.ticket}, f"{path}.", where, result)
    for key in ("name", "labels", "annotations"):
        if alerting.get(key):
            result.unsupported.append(f"{where}: {path}.{key} (burn alerts here are named and labelled by the "
                                      "product; not carried over)")  # fmt: skip
    enabled = []
    for key in (keys.page, keys.ticket):
        alert = mapping(alerting.get(key), f"{path}.{key}")
        _unknown(alert, {"disable", "labels", "annotations"}, f"{path}.{key}.", where, result)
        for sub in ("labels", "annotations"):
            if alert.get(sub):
                result.unsupported.append(f"{where}: {path}.{key}.{sub} (not carried over)")
        enabled.append(alert.get("disable") is not True)
    return enabled[0], enabled[1]
