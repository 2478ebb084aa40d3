"""OpenSLO v1 (https://github.com/OpenSLO/OpenSLO) to and from plain SLO definitions (pure).

Input is ``[(where, mapping), ...]`` (``slo.domain.formats`` flattens YAML lists and documents). Kinds:
Service; SLO with an inline ``indicator`` or an ``indicatorRef`` naming an SLI; AlertPolicy and
AlertCondition (burn-rate conditions become the SLO's burn policy); DataSource (a ``metricSourceRef``
naming one gives the source type; only Prometheus, SRE and SRE-logs mean something here);
AlertNotificationTarget (listed as skipped: notifications go through the alert routing tree). The SLI
mapping is in ``slo.domain.openslo_sli``. Windows: rolling whole days, calendar ``1w``/``1M`` with
``calendar.timeZone``. Budgeting: ``Occurrences``, ``Timeslices`` (one-minute slices) and, for PromQL
SLIs, ``RatioTimeslices`` (the mean of the one-minute ratios, stored as occurrences of minutes).

An object that cannot be imported is an error naming where it is and why; the others still import.
Fields that change nothing here are reported by path. The short window of a condition (which OpenSLO
lacks) travels in the annotation ``sre/short-window``; without it, it is the long window / 12 (the
Workbook's ratio).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from slo.domain.exact import decimal_str, exact
from slo.domain.openslo_sli import number_text, ratio_sli, ratio_timeslices, threshold_sli
from slo.domain.windows import DAY
from sre.domain.durations import format_duration, parse_duration

API_VERSION = "openslo/v1"
SHORT_WINDOW = "sre/short-window"
ENABLED = "sre/enabled"
MISSING_GOOD = "sre/missing-good"  # what minutes with traffic and no good series mean: no_data | bad
KINDS = ("Service", "SLI", "SLO", "AlertPolicy", "AlertCondition", "AlertNotificationTarget", "DataSource")
TOP = {"apiVersion", "kind", "metadata", "spec"}
META = {"name", "displayName", "annotations"}
TICKET_SEVERITIES = ("ticket", "low", "info", "warning", "minor")
NOTIFY = "notifications go through the alert routing tree: route burn alerts on their service and slo labels"


@dataclass
class ImportResult:
    services: list[dict[str, Any]] = field(default_factory=list)  # {"name", "description", "where"}
    slos: list[dict[str, Any]] = field(default_factory=list)  # plain SLO fields, service by name, "where"
    unsupported: list[str] = field(default_factory=list)  # "document 2: SLO x: spec.foo"
    skipped: list[str] = field(default_factory=list)  # whole objects left out: "document 3: DataSource ..."
    errors: list[str] = field(default_factory=list)  # objects that could not be read: "document 4: SLO x: ..."


class _Doc:
    """Reports unsupported fields of one object as "<where>: <Kind> <name>: <path>"."""

    def __init__(self, where: str, label: str, result: ImportResult) -> None:
        self.prefix, self.result = f"{where}: {label}", result
        self.notes: list[str] = []

    def unsupported(self, obj: object, path: str, allowed: set[str]) -> None:
        if isinstance(obj, dict):
            for key in sorted(set(obj) - allowed, key=str):
                self.notes.append(f"{path}{'.' if path else ''}{key}")

    def flush(self) -> None:
        self.result.unsupported.extend(f"{self.prefix}: {note}" for note in self.notes)


def _meta(doc: dict[str, Any]) -> dict[str, Any]:
    meta = doc.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _mapping(node: object) -> dict[str, Any]:
    """``node`` when it is a mapping, else an empty one (an optional field of the wrong type means nothing)."""
    return node if isinstance(node, dict) else {}


def _spec(doc: dict[str, Any]) -> dict[str, Any]:
    spec = doc.get("spec")
    return spec if isinstance(spec, dict) else {}


class _Refs:
    """Named SLI, AlertPolicy, AlertCondition and DataSource objects, and which of them an SLO used."""

    def __init__(self) -> None:
        self.named: dict[str, dict[str, tuple[str, dict[str, Any]]]] = {
            k: {} for k in KINDS if k not in ("SLO", "Service")
        }
        self.used: set[tuple[str, str]] = set()

    def get(self, kind: str, name: object, path: str) -> tuple[str, dict[str, Any]]:
        if not isinstance(name, str) or name not in self.named[kind]:
            raise ValueError(f"{path} {name!r} names no {kind} in these documents")
        self.used.add((kind, name))
        return self.named[kind][name]

    def sources(self) -> dict[str, dict[str, Any]]:
        return {name: _spec(doc) for name, (_, doc) in self.named["DataSource"].items()}


def openslo_parse(docs: list[tuple[str, dict[str, Any]]]) -> ImportResult:
    """Plain service and SLO definitions from OpenSLO objects (validation of the SLI spec and policy
    happens when they are saved; this reports what cannot be read, what is left out and why)."""
    result = ImportResult()
    refs = _Refs()
    services: dict[str, tuple[str, dict[str, Any]]] = {}
    slos: list[tuple[str, str, dict[str, Any]]] = []
    for where, doc in docs:
        kind, name = doc.get("kind"), _meta(doc).get("name")
        if doc.get("apiVersion") != API_VERSION:
            result.skipped.append(f"{where}: apiVersion must be {API_VERSION}")
        elif kind not in KINDS:
            result.skipped.append(f"{where}: kind {kind!r} is not an OpenSLO v1 kind ({', '.join(KINDS)})")
        elif not isinstance(name, str) or not name:
            result.errors.append(f"{where}: {kind}: metadata.name is required")
        elif kind == "SLO":
            slos.append((where, name, doc))
        else:
            table = services if kind == "Service" else refs.named[kind]
            if name in table:
                result.skipped.append(f"{table[name][0]}: {kind} {name} appears again in {where}, which is used")
            table[name] = (where, doc)
    for name, (where, doc) in services.items():
        d = _Doc(where, f"Service {name}", result)
        d.unsupported(doc, "", TOP)
        d.unsupported(_meta(doc), "metadata", {"name", "annotations"})
        d.unsupported(_spec(doc), "spec", {"description"})
        d.flush()
        description = _spec(doc).get("description", "")
        result.services.append({"name": name, "description": str(description or ""), "where": where})
    for where, name, doc in slos:
        d = _Doc(where, f"SLO {name}", result)
        try:
            slo = _slo(doc, name, refs, d)
        except ValueError as exc:
            result.errors.append(f"{where}: SLO {name}: {exc}")
            continue
        d.flush()
        result.slos.append({**slo, "where": where})
    _leftovers(refs, result)
    return result


def _leftovers(refs: _Refs, result: ImportResult) -> None:
    for name, (where, doc) in refs.named["DataSource"].items():
        kind = str(_spec(doc).get("type", ""))
        if kind.lower() not in ("prometheus", "sre", "sre-logs"):
            result.skipped.append(f"{where}: DataSource {name}: type {kind!r} is not a source the product reads")
        elif "connectionDetails" in _spec(doc):
            result.unsupported.append(
                f"{where}: DataSource {name}: spec.connectionDetails (the product reads its own configured source)"
            )
    for name, (where, _) in refs.named["AlertNotificationTarget"].items():
        result.skipped.append(f"{where}: AlertNotificationTarget {name}: {NOTIFY}")
    for kind in ("SLI", "AlertPolicy", "AlertCondition"):
        for name, (where, _) in refs.named[kind].items():
            if (kind, name) not in refs.used:
                result.skipped.append(f"{where}: {kind} {name}: used by no SLO in these documents")


def _slo(doc: dict[str, Any], name: str, refs: _Refs, d: _Doc) -> dict[str, Any]:
    meta = _meta(doc)
    d.unsupported(doc, "", TOP)
    d.unsupported(meta, "metadata", META)
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        raise ValueError("spec is required")
    allowed = {"description", "service", "indicator", "indicatorRef", "timeWindow", "budgetingMethod", "objectives",
               "alertPolicies"}  # fmt: skip
    d.unsupported(spec, "spec", allowed)
    if not isinstance(spec.get("service"), str) or not spec["service"]:
        raise ValueError("spec.service is required")
    annotations = _mapping(meta.get("annotations"))
    out: dict[str, Any] = {
        "name": name,
        "display_name": str(meta.get("displayName", "") or ""),
        "description": str(spec.get("description", "") or ""),
        "service": spec["service"],
        "enabled": str(annotations.get(ENABLED, "true")).lower() != "false",
        "missing_good": "bad" if str(annotations.get(MISSING_GOOD, "")).lower() == "bad" else "no_data",
    }
    if "indicator" in spec:
        indicator, ipath = spec["indicator"], "spec.indicator"
    elif "indicatorRef" in spec:
        indicator = refs.get("SLI", spec["indicatorRef"], "spec.indicatorRef")[1]
        ipath = f"SLI {spec['indicatorRef']}"
    else:
        raise ValueError("spec.indicator or spec.indicatorRef is required")
    if not isinstance(indicator, dict) or not isinstance(indicator.get("spec"), dict):
        raise ValueError(f"{ipath}.spec is required")
    d.unsupported(indicator, ipath, TOP)
    d.unsupported(_meta(indicator), f"{ipath}.metadata", META)
    p, ispec = f"{ipath}.spec", indicator["spec"]
    d.unsupported(ispec, p, {"ratioMetric", "thresholdMetric", "description"})
    objectives = spec.get("objectives")
    if not isinstance(objectives, list) or not objectives or not isinstance(objectives[0], dict):
        raise ValueError("spec.objectives needs one objective with a target")
    objective = objectives[0]
    d.notes.extend(
        f"spec.objectives[{i}] (one objective per SLO: the first is used)" for i in range(1, len(objectives))
    )
    keys = {"displayName", "target", "op", "value", "timeSliceTarget", "timeSliceWindow", "targetPercent"}
    d.unsupported(objective, "spec.objectives[0]", keys)
    try:
        if "target" in objective:
            out["target"] = number_text(objective["target"])
        elif "targetPercent" in objective:
            out["target"] = decimal_str(exact(number_text(objective["targetPercent"])) / 100)
        else:
            raise ValueError("spec.objectives[0].target is required")
    except ValueError as exc:
        raise ValueError(f"spec.objectives[0].target: {exc}") from None
    sources = refs.sources()
    if "ratioMetric" in ispec:
        out.update(
            ratio_sli(ispec["ratioMetric"], f"{p}.ratioMetric", report=d.unsupported, notes=d.notes, sources=sources)
        )
        if "op" in objective and "value" not in objective:
            d.notes.append("spec.objectives[0].op (a ratio is compared with the target)")
    elif "thresholdMetric" in ispec:
        out.update(
            threshold_sli(
                ispec["thresholdMetric"],
                objective,
                f"{p}.thresholdMetric",
                report=d.unsupported,
                notes=d.notes,
                sources=sources,
            )
        )
    else:
        raise ValueError(f"{p} needs ratioMetric or thresholdMetric")
    out.update(_time_window(spec.get("timeWindow"), d))
    out.update(_budgeting(spec.get("budgetingMethod", "Occurrences"), objective, out, d))
    out["alert_policy"] = _policies(spec.get("alertPolicies") or [], refs, d)
    return out


def _minute_slices(objective: dict[str, Any]) -> None:
    """The product's time slices are one minute: a ``timeSliceWindow`` of another length (1m, 60s: any way of
    writing a minute) is refused."""
    try:
        minute = parse_duration(str(objective.get("timeSliceWindow", "1m"))) == 60
    except ValueError:
        minute = False
    if not minute:
        raise ValueError("spec.objectives[0].timeSliceWindow: the product's time slices are one minute")


def _budgeting(method: object, objective: dict[str, Any], out: dict[str, Any], d: _Doc) -> dict[str, Any]:
    if method == "Occurrences":
        return {"budgeting_method": "Occurrences"}
    if method == "RatioTimeslices":
        if out["sli_kind"] != "promql":
            raise ValueError("RatioTimeslices is computed for Prometheus SLIs only")
        out["sli"] = ratio_timeslices(out["sli"])
        _minute_slices(objective)
        d.notes.append("spec.budgetingMethod (RatioTimeslices: stored as Occurrences of one-minute ratios)")
        return {"budgeting_method": "Occurrences"}
    if method != "Timeslices":
        raise ValueError(f"budgetingMethod {method!r} is not Occurrences, Timeslices or RatioTimeslices")
    ts = objective.get("timeSliceTarget")
    if ts is None:
        raise ValueError("Timeslices needs spec.objectives[0].timeSliceTarget")
    _minute_slices(objective)
    try:
        return {"budgeting_method": "Timeslices", "timeslice_target": number_text(ts)}
    except ValueError as exc:
        raise ValueError(f"spec.objectives[0].timeSliceTarget: {exc}") from None


def _period_start(value: object, unit: str) -> bool:
    """Whether a calendar ``startTime`` falls where the product's periods start (Monday / the 1st, 00:00)."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return False
    if not isinstance(value, dt.datetime):
        return False
    midnight = (value.hour, value.minute, value.second) == (0, 0, 0)
    return midnight and (value.weekday() == 0 if unit == "week" else value.day == 1)


def _time_window(windows: object, d: _Doc) -> dict[str, Any]:
    if windows is None:
        return {"window_kind": "rolling", "window_days": 30}
    if not isinstance(windows, list) or len(windows) != 1 or not isinstance(windows[0], dict):
        raise ValueError("spec.timeWindow must hold exactly one window")
    w = windows[0]
    d.unsupported(w, "spec.timeWindow[0]", {"duration", "isRolling", "calendar"})
    duration = str(w.get("duration", ""))
    if w.get("isRolling", True) is True and "calendar" not in w:
        seconds = parse_duration(duration)
        if seconds % DAY or seconds <= 0:
            raise ValueError(f"a rolling timeWindow must be whole days, not {duration}")
        return {"window_kind": "rolling", "window_days": seconds // DAY}
    calendar = _mapping(w.get("calendar"))
    d.unsupported(calendar, "spec.timeWindow[0].calendar", {"startTime", "timeZone"})
    unit = {"1w": "week", "7d": "week", "1M": "month"}.get(duration)
    if unit is None:
        raise ValueError(f"a calendar timeWindow must be 1w or 1M, not {duration!r}")
    if "startTime" in calendar and not _period_start(calendar["startTime"], unit):
        first = "Monday" if unit == "week" else "the 1st"
        d.notes.append(f"spec.timeWindow[0].calendar.startTime (periods start on {first} at 00:00 in the time zone)")
    return {"window_kind": "calendar", "calendar_unit": unit, "timezone": str(calendar.get("timeZone", "UTC"))}


def _policies(policies: object, refs: _Refs, d: _Doc) -> list[dict[str, Any]]:
    if not isinstance(policies, list):
        raise ValueError("spec.alertPolicies must be a list")
    out = []
    for i, item in enumerate(policies):
        path = f"spec.alertPolicies[{i}]"
        if isinstance(item, dict) and "alertPolicyRef" in item:
            ref = item["alertPolicyRef"]
            try:
                item, path = refs.get("AlertPolicy", ref, f"{path}.alertPolicyRef")[1], f"AlertPolicy {ref}"
            except ValueError as exc:
                d.notes.append(f"{exc}; left out")
                continue
        if not isinstance(item, dict) or not isinstance(item.get("spec"), dict):
            raise ValueError(f"{path}.spec is required")
        d.unsupported(item, path, TOP)
        spec = item["spec"]
        d.unsupported(spec, f"{path}.spec", {"conditions", "description", "alertWhenBreaching", "notificationTargets"})
        if spec.get("notificationTargets"):
            d.notes.append(f"{path}.spec.notificationTargets ({NOTIFY})")
        if spec.get("alertWhenBreaching", True) is not True:
            d.notes.append(f"{path}.spec.alertWhenBreaching (burn alerts fire when the budget burns)")
        conditions = spec.get("conditions") or []
        if not isinstance(conditions, list):
            raise ValueError(f"{path}.spec.conditions must be a list")
        for j, cond in enumerate(conditions):
            cpath = f"{path}.spec.conditions[{j}]"
            if isinstance(cond, dict) and "conditionRef" in cond:
                ref = cond["conditionRef"]
                try:
                    cond, cpath = refs.get("AlertCondition", ref, f"{cpath}.conditionRef")[1], f"AlertCondition {ref}"
                except ValueError as exc:
                    d.notes.append(f"{exc}; left out")
                    continue
            condition = _condition(cond, cpath, d)
            if condition is not None and condition not in out:  # one condition in two policies counts once
                out.append(condition)
    return out


def _condition(cond: object, path: str, d: _Doc) -> dict[str, Any] | None:
    """A burn-rate condition of the policy, or None (listed) for one that means no budget burn."""
    if not isinstance(cond, dict) or not isinstance(cond.get("spec"), dict):
        raise ValueError(f"{path}.spec is required")
    d.unsupported(cond, path, TOP)
    spec = cond["spec"]
    d.unsupported(spec, f"{path}.spec", {"severity", "condition", "description"})
    c = spec.get("condition")
    if not isinstance(c, dict) or c.get("kind", "burnrate") != "burnrate":
        raise ValueError(f"{path}.spec.condition must be a burnrate condition")
    d.unsupported(c, f"{path}.spec.condition", {"kind", "op", "threshold", "lookbackWindow", "alertAfter"})
    if c.get("op", "gte") not in ("gte", "gt"):
        d.notes.append(f"{path}.spec.condition.op ({c.get('op')}: a burn alert fires above its factor; left out)")
        return None
    if "alertAfter" in c:
        d.notes.append(f"{path}.spec.condition.alertAfter (the short window confirms a burn instead)")
    try:
        long_window = parse_duration(str(c.get("lookbackWindow", "")))
        factor = number_text(c.get("threshold"))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path}.spec.condition: lookbackWindow and threshold are required ({exc})") from None
    meta = _meta(cond)
    annotations = _mapping(meta.get("annotations"))
    short = annotations.get(SHORT_WINDOW)
    return {
        "name": str(meta.get("name") or f"condition-{long_window}"),
        "severity": "ticket" if str(spec.get("severity", "page")).lower() in TICKET_SEVERITIES else "page",
        "factor": factor,
        "long_window": format_duration(long_window),
        "short_window": str(short) if short else format_duration(max(60, long_window // 12 // 60 * 60)),
    }


def _num(text: str) -> int | float:
    value = exact(text)
    return int(value) if value.denominator == 1 else float(text)


def openslo_export(slo: dict[str, Any]) -> list[dict[str, Any]]:
    """OpenSLO documents (a Service and an SLO with its indicator and alert policy inline) for one plain
    SLO definition; ``openslo_parse`` of the result gives the same definition back."""
    kind, sli = slo["sli_kind"], slo["sli"]
    objective: dict[str, Any] = {"target": _num(slo["target"])}
    if kind == "latency":
        source = {"metricSource": {"type": "SRE", "spec": {"query": sli["selector"]}}}
        indicator_spec: dict[str, Any] = {"thresholdMetric": source}
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
            "calendar": {
                "startTime": "2020-01-06 00:00:00" if slo["calendar_unit"] == "week" else "2020-01-01 00:00:00",
                "timeZone": slo["timezone"],
            },
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
    spec: dict[str, Any] = {
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
    if slo.get("missing_good", "no_data") != "no_data":
        meta["annotations"][MISSING_GOOD] = slo["missing_good"]
    if slo.get("display_name"):
        meta["displayName"] = slo["display_name"]
    service_doc = {
        "apiVersion": API_VERSION,
        "kind": "Service",
        "metadata": {"name": slo["service"]},
        "spec": {"description": slo.get("service_description", "")},
    }
    return [service_doc, {"apiVersion": API_VERSION, "kind": "SLO", "metadata": meta, "spec": spec}]
