"""Validation and normalisation of an SLO's SLI spec and alert policy (plain JSON values).

SLI kinds and their spec:
    ratio    {"good": <selector>, "total": <selector>}  or  {"bad": <selector>, "total": <selector>}
    promql   {"good": <PromQL>, "total": <PromQL>}      or  {"bad": ..., "total": ...}
             A query is a counter selector/expression: the window is applied as ``increase(Q[W])``, or
             where the query contains ``$window`` it is substituted there (``sum(increase(x[$window]))``).
             Queries are checked with ``promql_parser`` (its message is the error).
    log      {"service": "checkout", "bad_query": "timeout", "bad_levels": ["error", "critical"]}
             total = every log line of the service, bad = those matching the query and/or levels.
    latency  {"selector": 'http_request_duration_seconds_bucket{service="checkout"}', "threshold": "0.5"}
             good = the bucket whose ``le`` equals the threshold, total = the ``le="+Inf"`` bucket.
Policy: a list of {"name", "severity": "page"|"ticket", "factor": "14.4", "long_window": "1h",
"short_window": "5m"}.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from typing import Any

from slo.domain.budget import DEFAULT_POLICY, Condition
from slo.domain.exact import decimal_str, exact
from slo.domain.promql_query import promql_validate
from slo.domain.selector import parse_selector
from sre.domain.durations import format_duration, parse_duration

SLI_KINDS = ("ratio", "promql", "log", "latency")
SEVERITIES = ("page", "ticket")
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


class SpecError(ValueError):
    """Invalid spec: ``errors`` maps a field path to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))


def _str(spec: dict[str, Any], key: str, errors: dict[str, Any], *, required: bool = True, limit: int = 2000) -> str:
    value = spec.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        errors.setdefault(f"sli.{key}", []).append(
            f"Required text of at most {limit} characters." if required else "Must be text."
        )
        return ""
    return value.strip()


def sli_validate(kind: str, spec: object) -> dict[str, Any]:
    """The normalised spec for ``kind``; raises :class:`SpecError` with per-field messages."""
    if kind not in SLI_KINDS:
        raise SpecError({"sli_kind": [f"Unknown SLI kind {kind!r}; expected one of {', '.join(SLI_KINDS)}."]})
    if not isinstance(spec, dict):
        raise SpecError({"sli": ["Must be an object."]})
    errors: dict[str, list[str]] = {}
    allowed = {
        "ratio": {"good", "bad", "total"},
        "promql": {"good", "bad", "total"},
        "log": {"service", "bad_query", "bad_levels"},
        "latency": {"selector", "threshold"},
    }[kind]
    for key in sorted(set(spec) - allowed):
        errors[f"sli.{key}"] = [f"Unknown field for a {kind} SLI."]
    out: dict[str, Any] = {}
    if kind in ("ratio", "promql"):
        if ("good" in spec) == ("bad" in spec):
            errors.setdefault("sli.good", []).append("Give exactly one of good or bad.")
        numerator = "good" if "good" in spec else "bad"
        for key in (numerator, "total"):
            text = _str(spec, key, errors)
            if text and kind == "ratio":
                try:
                    text = str(parse_selector(text))
                except ValueError as exc:
                    errors.setdefault(f"sli.{key}", []).append(str(exc))
            if text and kind == "promql":
                if "\x00" in text:
                    errors.setdefault(f"sli.{key}", []).append("Invalid character in query.")
                else:
                    try:
                        promql_validate(text)  # promql_parser's message, or what the query lacks
                        if "$window" not in text:
                            parse_selector(text)
                    except ValueError as exc:
                        errors.setdefault(f"sli.{key}", []).append(str(exc))
            out[key] = text
    elif kind == "log":
        out["service"] = _str(spec, "service", errors, limit=100)
        out["bad_query"] = _str(spec, "bad_query", errors, required=False, limit=500)
        levels = spec.get("bad_levels", [])
        if not isinstance(levels, list) or any(level not in LOG_LEVELS for level in levels):
            errors.setdefault("sli.bad_levels", []).append(f"A list of levels among {', '.join(LOG_LEVELS)}.")
            levels = []
        out["bad_levels"] = sorted(set(levels), key=LOG_LEVELS.index)
        if not out["bad_query"] and not out["bad_levels"] and "sli.bad_levels" not in errors:
            errors.setdefault("sli.bad_levels", []).append("Give bad_query, bad_levels or both.")
    else:
        text = _str(spec, "selector", errors)
        if text:
            try:
                sel = parse_selector(text)
                if not sel.metric.endswith("_bucket"):
                    sel = parse_selector(text.replace(sel.metric, sel.metric + "_bucket", 1))
                if any(label == "le" for label, _, _ in sel.matchers):
                    errors.setdefault("sli.selector", []).append("Leave out le: the threshold chooses the bucket.")
                text = str(sel)
            except ValueError as exc:
                errors.setdefault("sli.selector", []).append(str(exc))
        out["selector"] = text
        try:
            threshold = exact(spec.get("threshold"))
            if threshold <= 0:
                raise ValueError("must be positive")
            out["threshold"] = decimal_str(threshold)
        except ValueError as exc:
            errors.setdefault("sli.threshold", []).append(f"A positive number of seconds ({exc}).")
    if errors:
        raise SpecError(errors)
    return out


def target_validate(value: object, *, field: str = "target") -> Fraction:
    """A target strictly between 0 and 1, exact."""
    try:
        target = exact(value if not isinstance(value, float) else repr(value))
    except ValueError:
        raise SpecError({field: ["A number between 0 and 1, e.g. 0.999."]}) from None
    if not 0 < target < 1:
        raise SpecError({field: ["Must be strictly between 0 and 1 (0.999 is 99.9%)."]})
    return target


def policy_default() -> list[dict[str, Any]]:
    return policy_dump(DEFAULT_POLICY)


def policy_dump(conditions: Iterable[Condition]) -> list[dict[str, Any]]:
    return [
        {
            "name": c.name,
            "severity": c.severity,
            "factor": decimal_str(c.factor),
            "long_window": format_duration(c.long_window),
            "short_window": format_duration(c.short_window),
        }
        for c in conditions
    ]


def policy_validate(policy: object) -> list[Condition]:
    """Conditions of a policy list; raises :class:`SpecError`. Names are unique; the short window is
    shorter than the long one; factors are positive."""
    if not isinstance(policy, list) or len(policy) > 20:
        raise SpecError({"alert_policy": ["A list of at most 20 conditions."]})
    errors: dict[str, list[str]] = {}
    out: list[Condition] = []
    names: set[str] = set()
    for i, item in enumerate(policy):
        where = f"alert_policy[{i}]"
        if not isinstance(item, dict):
            errors[where] = ["Must be an object."]
            continue
        for key in sorted(set(item) - {"name", "severity", "factor", "long_window", "short_window"}):
            errors[f"{where}.{key}"] = ["Unknown field."]
        name = item.get("name") or f"condition-{i + 1}"
        if not isinstance(name, str) or len(name) > 60 or name in names:
            errors[f"{where}.name"] = ["A unique name of at most 60 characters."]
        names.add(str(name))
        severity = item.get("severity", "page")
        if severity not in SEVERITIES:
            errors[f"{where}.severity"] = ["page or ticket."]
        try:
            factor = exact(item.get("factor") if not isinstance(item.get("factor"), float) else repr(item["factor"]))
            if factor <= 0 or factor > 100000:
                raise ValueError
        except ValueError:
            errors[f"{where}.factor"] = ["A positive burn-rate factor such as 14.4."]
            factor = Fraction(1)
        windows = []
        for key in ("long_window", "short_window"):
            raw = item.get(key)
            try:
                seconds = raw if isinstance(raw, int) and not isinstance(raw, bool) else parse_duration(str(raw))
                if seconds < 60 or seconds % 60 or seconds > 400 * 86400:
                    raise ValueError
                windows.append(seconds)
            except (ValueError, TypeError):
                errors[f"{where}.{key}"] = ["A whole number of minutes such as 5m, 1h or 3d (1m to 400d)."]
                windows.append(60)
        if windows[1] >= windows[0] and f"{where}.short_window" not in errors:
            errors[f"{where}.short_window"] = ["Must be shorter than the long window."]
        out.append(Condition(str(name), str(severity), factor, windows[0], windows[1]))
    if errors:
        raise SpecError(errors)
    return out
