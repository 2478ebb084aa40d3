"""OpenSLO v1 (https://github.com/OpenSLO/OpenSLO) to and from plain SLO definitions (pure).

Supported: kinds Service, SLI, SLO, AlertPolicy, AlertCondition; ``ratioMetric`` (good/bad over total,
metric sources ``Prometheus`` -> PromQL SLI, ``SRE`` -> the metric store, ``SRE-logs`` -> logs) and
``thresholdMetric`` (a histogram ``_bucket`` selector with ``op: lte``/``lt`` and ``value`` -> latency);
rolling (``30d``, ``4w``) and calendar (``1w``, ``1M`` with ``calendar.timeZone``) ``timeWindow``;
``Occurrences`` and ``Timeslices`` (``timeSliceWindow: 1m``); burn-rate alert conditions. Anything else
is reported by path and ignored. The short window of a condition (which OpenSLO lacks) travels in the
annotation ``sre/short-window``; without it, it is the long window / 12 (the Workbook's ratio).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from slo.domain.exact import decimal_str, exact
from slo.domain.windows import DAY, format_duration, parse_duration

API_VERSION = "openslo/v1"
SHORT_WINDOW = "sre/short-window"
ENABLED = "sre/enabled"
KINDS = ("Service", "SLI", "SLO", "AlertPolicy", "AlertCondition")


@dataclass
class ImportResult:
    services: list[dict] = field(default_factory=list)  # {"name", "description"}
    slos: list[dict] = field(default_factory=list)  # plain SLO fields, service by name
    unsupported: list[str] = field(default_factory=list)  # "SLO x: spec.foo"
    skipped: list[str] = field(default_factory=list)  # whole objects left out: "document 3: kind DataSource ..."
    errors: list[str] = field(default_factory=list)


class _Doc:
    def __init__(self, doc: dict, where: str, result: ImportResult) -> None:
        self.doc, self.where, self.result = doc, where, result

    def unsupported(self, obj: object, path: str, allowed: set[str]) -> None:
        if isinstance(obj, dict):
            for key in sorted(set(obj) - allowed, key=str):
                self.result.unsupported.append(f"{self.where}: {path}{'.' if path else ''}{key}")


def _meta(doc: dict) -> dict:
    meta = doc.get("metadata")
    return meta if isinstance(meta, dict) else {}


def openslo_parse(docs: list[object]) -> ImportResult:
    """Plain service and SLO definitions from decoded YAML documents (validation of the SLI spec and
    policy happens when they are saved; this reports structural problems and unsupported fields)."""
    result = ImportResult()
    named: dict[str, dict[str, dict]] = {kind: {} for kind in KINDS}
    for index, doc in enumerate(docs):
        if doc is None:
            continue
        where = f"document {index + 1}"
        if not isinstance(doc, dict):
            result.errors.append(f"{where}: not a mapping")
            continue
        kind, name = doc.get("kind"), _meta(doc).get("name")
        if doc.get("apiVersion") != API_VERSION:
            result.errors.append(f"{where}: apiVersion must be {API_VERSION}")
            continue
        if kind not in KINDS:
            result.errors.append(f"{where}: kind {kind!r} is not supported (expected {', '.join(KINDS)})")
            continue
        if not isinstance(name, str) or not name:
            result.errors.append(f"{where}: metadata.name is required")
            continue
        named[kind][name] = doc
    for name, doc in named["Service"].items():
        d = _Doc(doc, f"Service {name}", result)
        d.unsupported(doc, "", {"apiVersion", "kind", "metadata", "spec"})
        d.unsupported(_meta(doc), "metadata", {"name", "displayName", "labels", "annotations"})
        spec = doc.get("spec") or {}
        d.unsupported(spec, "spec", {"description"})
        result.services.append({"name": name, "description": str(spec.get("description", "") or "")})
    for name, doc in named["SLO"].items():
        try:
            result.slos.append(_slo(doc, name, named, result))
        except ValueError as exc:
            result.errors.append(f"SLO {name}: {exc}")
    return result


def _slo(doc: dict, name: str, named: dict, result: ImportResult) -> dict:
    d = _Doc(doc, f"SLO {name}", result)
    meta = _meta(doc)
    d.unsupported(doc, "", {"apiVersion", "kind", "metadata", "spec"})
    d.unsupported(meta, "metadata", {"name", "displayName", "labels", "annotations"})
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        raise ValueError("spec is required")
    d.unsupported(
        spec,
        "spec",
        {
            "description",
            "service",
            "indicator",
            "indicatorRef",
            "timeWindow",
            "budgetingMethod",
            "objectives",
            "alertPolicies",
        },
    )
    if not isinstance(spec.get("service"), str) or not spec["service"]:
        raise ValueError("spec.service is required")
    out: dict = {
        "name": name,
        "display_name": str(meta.get("displayName", "") or ""),
        "description": str(spec.get("description", "") or ""),
        "service": spec["service"],
        "enabled": str((meta.get("annotations") or {}).get(ENABLED, "true")).lower() != "false",
    }
    # indicator
    if "indicator" in spec:
        indicator, ipath, idoc = spec["indicator"], "spec.indicator", d
    elif isinstance(spec.get("indicatorRef"), str) and spec["indicatorRef"] in named["SLI"]:
        indicator = named["SLI"][spec["indicatorRef"]]
        ipath, idoc = "", _Doc(indicator, f"SLI {spec['indicatorRef']}", result)
        idoc.unsupported(indicator, "", {"apiVersion", "kind", "metadata", "spec"})
    else:
        raise ValueError("spec.indicator or an indicatorRef naming an SLI document is required")
    if not isinstance(indicator, dict) or not isinstance(indicator.get("spec"), dict):
        raise ValueError(f"{ipath or 'SLI'}.spec is required")
    p = f"{ipath}.spec" if ipath else "spec"
    ispec = indicator["spec"]
    idoc.unsupported(indicator, ipath, {"metadata", "spec", "apiVersion", "kind"})
    idoc.unsupported(ispec, p, {"ratioMetric", "thresholdMetric", "description"})
    objectives = spec.get("objectives")
    if not isinstance(objectives, list) or not objectives or not isinstance(objectives[0], dict):
        raise ValueError("spec.objectives needs one objective with a target")
    objective = objectives[0]
    for extra in range(1, len(objectives)):
        result.unsupported.append(f"SLO {name}: spec.objectives[{extra}] (one objective per SLO)")
    d.unsupported(
        objective,
        "spec.objectives[0]",
        {"displayName", "target", "op", "value", "timeSliceTarget", "timeSliceWindow", "targetPercent"},
    )
    if "target" in objective:
        out["target"] = decimal_str(
            exact(repr(objective["target"]) if isinstance(objective["target"], float) else objective["target"])
        )
    elif "targetPercent" in objective:
        out["target"] = decimal_str(exact(str(objective["targetPercent"])) / 100)
    else:
        raise ValueError("spec.objectives[0].target is required")
    if "ratioMetric" in ispec:
        out.update(_ratio(ispec["ratioMetric"], f"{p}.ratioMetric", idoc))
    elif "thresholdMetric" in ispec:
        out.update(_threshold(ispec["thresholdMetric"], objective, f"{p}.thresholdMetric", idoc))
    else:
        raise ValueError(f"{p} needs ratioMetric or thresholdMetric")
    out.update(_time_window(spec.get("timeWindow"), d))
    method = spec.get("budgetingMethod", "Occurrences")
    if method not in ("Occurrences", "Timeslices"):
        raise ValueError(f"budgetingMethod {method!r} is not supported (Occurrences or Timeslices)")
    out["budgeting_method"] = method
    if method == "Timeslices":
        ts = objective.get("timeSliceTarget")
        if ts is None:
            raise ValueError("Timeslices needs spec.objectives[0].timeSliceTarget")
        out["timeslice_target"] = decimal_str(exact(repr(ts) if isinstance(ts, float) else ts))
        if objective.get("timeSliceWindow", "1m") not in ("1m", "60s"):
            result.unsupported.append(f"SLO {name}: spec.objectives[0].timeSliceWindow (only 1m is supported)")
    out["alert_policy"] = _policies(spec.get("alertPolicies", []), named, d)
    return out


def _source(node: object, path: str, d: _Doc) -> tuple[str, dict]:
    if not isinstance(node, dict) or not isinstance(node.get("metricSource"), dict):
        raise ValueError(f"{path}.metricSource is required")
    d.unsupported(node, path, {"metricSource"})
    source = node["metricSource"]
    d.unsupported(source, f"{path}.metricSource", {"type", "spec", "metricSourceRef"})
    spec = source.get("spec") if isinstance(source.get("spec"), dict) else {}
    return str(source.get("type", "")).lower(), spec


def _ratio(ratio: object, path: str, d: _Doc) -> dict:
    if not isinstance(ratio, dict):
        raise ValueError(f"{path} must be a mapping")
    d.unsupported(ratio, path, {"counter", "good", "bad", "total", "rawType"})
    if ("good" in ratio) == ("bad" in ratio):
        raise ValueError(f"{path} needs exactly one of good or bad, and total")
    numerator = "good" if "good" in ratio else "bad"
    n_type, n_spec = _source(ratio[numerator], f"{path}.{numerator}", d)
    t_type, t_spec = _source(ratio.get("total"), f"{path}.total", d)
    if n_type != t_type:
        raise ValueError(f"{path}: {numerator} and total must use the same metric source type")
    if n_type == "prometheus":
        return {
            "sli_kind": "promql",
            "sli": {numerator: str(n_spec.get("query", "")), "total": str(t_spec.get("query", ""))},
        }
    if n_type == "sre":
        return {
            "sli_kind": "ratio",
            "sli": {numerator: str(n_spec.get("query", "")), "total": str(t_spec.get("query", ""))},
        }
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
    raise ValueError(f"{path}: metric source type {n_type!r} is not supported (Prometheus, SRE, SRE-logs)")


def _threshold(metric: object, objective: dict, path: str, d: _Doc) -> dict:
    kind, spec = _source(metric, path, d)
    if kind != "sre":
        raise ValueError(f"{path}: thresholdMetric is supported on the SRE metric source (histogram buckets)")
    if objective.get("op", "lte") not in ("lte", "lt") or "value" not in objective:
        raise ValueError("thresholdMetric needs spec.objectives[0].op lte and value (the latency threshold)")
    value = objective["value"]
    return {
        "sli_kind": "latency",
        "sli": {
            "selector": str(spec.get("query", "")),
            "threshold": decimal_str(exact(repr(value) if isinstance(value, float) else value)),
        },
    }


def _time_window(windows: object, d: _Doc) -> dict:
    if windows is None:
        return {"window_kind": "rolling", "window_days": 30}
    if not isinstance(windows, list) or len(windows) != 1 or not isinstance(windows[0], dict):
        raise ValueError("spec.timeWindow must hold exactly one window")
    w = windows[0]
    d.unsupported(w, "spec.timeWindow[0]", {"duration", "isRolling", "calendar"})
    duration = str(w.get("duration", ""))
    if w.get("isRolling", True) is True and "calendar" not in w:
        seconds = parse_duration(duration)
        if seconds % DAY:
            raise ValueError(f"a rolling timeWindow must be whole days, not {duration}")
        return {"window_kind": "rolling", "window_days": seconds // DAY}
    calendar = w.get("calendar") if isinstance(w.get("calendar"), dict) else {}
    d.unsupported(calendar, "spec.timeWindow[0].calendar", {"startTime", "timeZone"})
    unit = {"1w": "week", "7d": "week", "1M": "month"}.get(duration)
    if unit is None:
        raise ValueError(f"a calendar timeWindow must be 1w or 1M, not {duration!r}")
    return {"window_kind": "calendar", "calendar_unit": unit, "timezone": str(calendar.get("timeZone", "UTC"))}


def _policies(policies: object, named: dict, d: _Doc) -> list[dict]:
    if not isinstance(policies, list):
        raise ValueError("spec.alertPolicies must be a list")
    out = []
    for i, item in enumerate(policies):
        path = f"spec.alertPolicies[{i}]"
        if isinstance(item, dict) and "alertPolicyRef" in item:
            ref = item["alertPolicyRef"]
            if ref not in named["AlertPolicy"]:
                raise ValueError(f"{path}.alertPolicyRef {ref!r} names no AlertPolicy document")
            item, path = named["AlertPolicy"][ref], f"AlertPolicy {ref}"
        if not isinstance(item, dict) or not isinstance(item.get("spec"), dict):
            raise ValueError(f"{path}.spec is required")
        d.unsupported(item, path, {"kind", "metadata", "spec", "apiVersion"})
        d.unsupported(
            item["spec"],
            f"{path}.spec",
            {
                "conditions",
                "description",
                "alertWhenBreaching",
            },
        )
        for j, cond in enumerate(item["spec"].get("conditions") or []):
            cpath = f"{path}.spec.conditions[{j}]"
            if isinstance(cond, dict) and "conditionRef" in cond:
                ref = cond["conditionRef"]
                if ref not in named["AlertCondition"]:
                    raise ValueError(f"{cpath}.conditionRef {ref!r} names no AlertCondition document")
                cond, cpath = named["AlertCondition"][ref], f"AlertCondition {ref}"
            out.append(_condition(cond, cpath, d))
    return out


def _condition(cond: object, path: str, d: _Doc) -> dict:
    if not isinstance(cond, dict) or not isinstance(cond.get("spec"), dict):
        raise ValueError(f"{path}.spec is required")
    d.unsupported(cond, path, {"kind", "metadata", "spec", "apiVersion"})
    spec = cond["spec"]
    d.unsupported(spec, f"{path}.spec", {"severity", "condition", "description"})
    c = spec.get("condition")
    if not isinstance(c, dict) or c.get("kind", "burnrate") != "burnrate":
        raise ValueError(f"{path}.spec.condition must be a burnrate condition")
    d.unsupported(c, f"{path}.spec.condition", {"kind", "op", "threshold", "lookbackWindow", "alertAfter"})
    if c.get("op", "gte") not in ("gte", "gt"):
        raise ValueError(f"{path}.spec.condition.op must be gt or gte")
    long_window = parse_duration(str(c.get("lookbackWindow", "")))
    meta = _meta(cond)
    short = (meta.get("annotations") or {}).get(SHORT_WINDOW)
    threshold = c.get("threshold")
    return {
        "name": str(meta.get("name") or f"condition-{long_window}"),
        "severity": "ticket" if str(spec.get("severity", "page")).lower() in ("ticket", "low", "info") else "page",
        "factor": decimal_str(exact(repr(threshold) if isinstance(threshold, float) else threshold)),
        "long_window": format_duration(long_window),
        "short_window": str(short) if short else format_duration(max(60, long_window // 12 // 60 * 60)),
    }


def _num(text: str) -> int | float:
    value = exact(text)
    return int(value) if value.denominator == 1 else float(text)


def openslo_export(slo: dict) -> list[dict]:
    """OpenSLO documents (a Service and an SLO with its indicator and alert policy inline) for one plain
    SLO definition; ``openslo_parse`` of the result gives the same definition back."""
    kind, sli = slo["sli_kind"], slo["sli"]
    objective: dict = {"target": _num(slo["target"])}
    if kind == "latency":
        source = {"metricSource": {"type": "SRE", "spec": {"query": sli["selector"]}}}
        indicator_spec: dict = {"thresholdMetric": source}
        objective.update({"op": "lte", "value": _num(sli["threshold"])})
    elif kind == "log":
        bad = {"service": sli["service"], "query": sli.get("bad_query", ""), "levels": list(sli.get("bad_levels", []))}
        indicator_spec = {
            "ratioMetric": {
                "counter": True,
                "bad": {"metricSource": {"type": "SRE-logs", "spec": bad}},
                "total": {"metricSource": {"type": "SRE-logs", "spec": {"service": sli["service"]}}},
            }
        }
    else:
        source_type = "Prometheus" if kind == "promql" else "SRE"
        numerator = "good" if "good" in sli else "bad"
        indicator_spec = {
            "ratioMetric": {
                "counter": True,
                numerator: {"metricSource": {"type": source_type, "spec": {"query": sli[numerator]}}},
                "total": {"metricSource": {"type": source_type, "spec": {"query": sli["total"]}}},
            }
        }
    if slo["budgeting_method"] == "Timeslices":
        objective.update({"timeSliceTarget": _num(slo["timeslice_target"]), "timeSliceWindow": "1m"})
    if slo["window_kind"] == "rolling":
        window = {"duration": f"{slo['window_days']}d", "isRolling": True}
    else:
        window = {
            "duration": "1w" if slo["calendar_unit"] == "week" else "1M",
            "isRolling": False,
            "calendar": {"startTime": "2020-01-06 00:00:00", "timeZone": slo["timezone"]},
        }
    conditions = [
        {
            "kind": "AlertCondition",
            "metadata": {"name": c["name"], "annotations": {SHORT_WINDOW: c["short_window"]}},
            "spec": {
                "severity": c["severity"],
                "condition": {
                    "kind": "burnrate",
                    "op": "gt",
                    "threshold": _num(c["factor"]),
                    "lookbackWindow": c["long_window"],
                },
            },
        }
        for c in slo["alert_policy"]
    ]
    spec: dict = {
        "description": slo.get("description", ""),
        "service": slo["service"],
        "indicator": {"metadata": {"name": f"{slo['name']}-sli"}, "spec": indicator_spec},
        "timeWindow": [window],
        "budgetingMethod": slo["budgeting_method"],
        "objectives": [objective],
        "alertPolicies": [
            {
                "kind": "AlertPolicy",
                "metadata": {"name": f"{slo['name']}-burn-rate"},
                "spec": {"alertWhenBreaching": True, "conditions": conditions},
            }
        ]
        if conditions
        else [],
    }
    meta = {"name": slo["name"], "annotations": {ENABLED: "true" if slo.get("enabled", True) else "false"}}
    if slo.get("display_name"):
        meta["displayName"] = slo["display_name"]
    service_doc = {
        "apiVersion": API_VERSION,
        "kind": "Service",
        "metadata": {"name": slo["service"]},
        "spec": {"description": slo.get("service_description", "")},
    }
    return [service_doc, {"apiVersion": API_VERSION, "kind": "SLO", "metadata": meta, "spec": spec}]
