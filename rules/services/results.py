"""What each rule's condition yields at a time: label sets with values, per rule, or the error that stopped it.

Metric rules on the stored metrics are evaluated together (one fetch of every selector's series for all rules);
rules with ``source: prometheus`` are instant queries to ``PROMETHEUS_URL``; log count rules count lines in the
log store (``rules.services.logs``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache

from rules.choices import RuleKind, RuleSource
from rules.domain.promql import ExprError, Plan, compile_expr, evaluate
from rules.models import AlertRule
from rules.selectors import rule_series_data
from rules.services.logs import log_rule_results
from sre.errors import SourceUnavailableError
from telemetry.prometheus import prometheus_source

Results = list[tuple[dict[str, str], float]]


@lru_cache(maxsize=4096)
def plan_for(expr: str) -> Plan:
    return compile_expr(expr)


def _local(rules: list[AlertRule], *, at: int) -> dict[int, Results | Exception]:
    out: dict[int, Results | Exception] = {}
    plans: dict[int, Plan] = {}
    for rule in rules:
        try:
            plans[rule.pk] = plan_for(rule.expr)
        except ExprError as exc:
            out[rule.pk] = exc
    if not plans:
        return out
    minute = at - at % 60
    data = rule_series_data(needs=[n for p in plans.values() for n in p.needs], first_minute=minute, end=minute + 60)
    for pk, plan in plans.items():
        try:
            samples = evaluate(plan, at=at, data=data)
        except ExprError as exc:
            out[pk] = exc
            continue
        out[pk] = [(dict(s.labels), s.value) for s in samples]
    return out


def _prometheus(rules: list[AlertRule], *, now: dt.datetime) -> dict[int, Results | Exception]:
    source = prometheus_source()
    out: dict[int, Results | Exception] = {}
    for rule in rules:
        if source is None:
            out[rule.pk] = SourceUnavailableError("PROMETHEUS_URL is not set")
            continue
        try:
            samples = source.instant(rule.expr, at=now)
        except SourceUnavailableError as exc:
            out[rule.pk] = exc
            continue
        out[rule.pk] = [({k: v for k, v in s.labels.items() if k != "__name__"}, s.value) for s in samples]
    return out


def rule_results(*, rules: Iterable[AlertRule], now: dt.datetime) -> dict[int, Results | Exception]:
    """Per rule pk: the label sets whose condition holds at ``now`` with their values, or the error."""
    rules = list(rules)
    at = int(now.timestamp())
    local = [r for r in rules if r.kind == RuleKind.METRIC and r.source == RuleSource.LOCAL]
    remote = [r for r in rules if r.kind == RuleKind.METRIC and r.source == RuleSource.PROMETHEUS]
    logs = [r for r in rules if r.kind == RuleKind.LOG_COUNT]
    return {**_local(local, at=at), **_prometheus(remote, now=now), **log_rule_results(rules=logs, now=now)}
