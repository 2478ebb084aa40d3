"""Backtest a rule (saved or not) over stored history: what it would have charted and when it would have fired.

Metric rules on the stored metrics are evaluated at every step over one fetch of the range; a top-level
``<expr> <op> <number>`` charts ``<expr>`` with the number as the threshold. Rules on Prometheus use two range
queries. Log count rules count lines per minute and slide the window over them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import promql_parser

from rules.choices import RuleKind, RuleSource
from rules.domain import backtest as bt
from rules.domain.compare import holds
from rules.domain.promql import ExprError, compile_expr, evaluate
from rules.models import AlertRule
from rules.selectors import rule_series_data
from rules.services.evaluate import alert_labels
from rules.services.rules import rule_clean
from sre.errors import InvalidInputError, SourceUnavailableError
from telemetry.domain.logs import LogQuery
from telemetry.prometheus import prometheus_source
from telemetry.selectors import log_count_over_time

COMPARISONS = {">", ">=", "<", "<=", "==", "!="}
MAX_RANGE = 31 * 86400


def split_threshold(expr: str) -> tuple[str, str, float] | None:
    """``(value expression, op, number)`` when ``expr`` is ``<vector expr> <op> <number>`` (no ``bool``)."""
    try:
        node = promql_parser.parse(expr)
    except (ValueError, TypeError):
        return None
    while isinstance(node, promql_parser.ParenExpr):
        node = node.expr
    if not isinstance(node, promql_parser.BinaryExpr) or str(node.op) not in COMPARISONS:
        return None
    modifier = node.modifier
    if modifier is not None and getattr(modifier, "return_bool", False):
        return None
    if isinstance(node.rhs, promql_parser.NumberLiteral):
        return node.lhs.prettify(), str(node.op), float(node.rhs.val)
    return None


def _times(start: dt.datetime, end: dt.datetime, step: int | None) -> tuple[int, list[int]]:
    s, e = int(start.timestamp()), int(end.timestamp())
    if e <= s:
        raise InvalidInputError("end: must be after start.", fields={"end": ["Must be after start."]})
    if e - s > MAX_RANGE:
        raise InvalidInputError("start: at most 31 days back.", fields={"start": ["At most 31 days."]})
    return bt.steps(start=s, end=e, step=step)


def _metric_local(rule: AlertRule, times: list[int], out: bt.Backtest) -> tuple[list, list]:
    plan = compile_expr(rule.expr)
    split = split_threshold(rule.expr)
    value_plan = compile_expr(split[0]) if split else plan
    if split:
        out.comparison, out.threshold = split[1], split[2]
    data = rule_series_data(
        needs=[*plan.needs, *value_plan.needs], first_minute=times[0] - times[0] % 60, end=times[-1] + 60
    )
    holding, values = [], []
    for at in times:
        held = [(dict(s.labels), s.value) for s in evaluate(plan, at=at, data=data)]
        holding.append((at, held))
        shown = (
            held if value_plan is plan else [(dict(s.labels), s.value) for s in evaluate(value_plan, at=at, data=data)]
        )
        values.append((at, shown))
    return holding, values


def _metric_prometheus(rule: AlertRule, times: list[int], step: int, out: bt.Backtest) -> tuple[list, list]:
    source = prometheus_source()
    if source is None:
        raise SourceUnavailableError("PROMETHEUS_URL is not set")
    split = split_threshold(rule.expr)
    if split:
        out.comparison, out.threshold = split[1], split[2]
    start, end = (dt.datetime.fromtimestamp(t, tz=dt.UTC) for t in (times[0], times[-1]))

    def series(q: str) -> list:
        per: dict[int, list] = {t: [] for t in times}
        for s in source.range(q, start=start, end=end, step=step):
            labels = {k: v for k, v in s.labels.items() if k != "__name__"}
            for t, v in s.points:
                per.setdefault(int(t), []).append((labels, v))
        return sorted(per.items())

    holding = series(rule.expr)
    return holding, (series(split[0]) if split else holding)


def _log_count(rule: AlertRule, times: list[int], out: bt.Backtest) -> tuple[list, list]:
    out.comparison, out.threshold = rule.comparison, rule.threshold
    first = times[0] - rule.window_seconds
    query = LogQuery(
        q=rule.log_text, service=rule.log_service, levels=tuple(rule.log_levels),
        start=dt.datetime.fromtimestamp(first - first % 60, tz=dt.UTC),
        end=dt.datetime.fromtimestamp(times[-1] + 60, tz=dt.UTC),
    )  # fmt: skip
    minutes: dict[tuple, dict[int, int]] = {}
    for b in log_count_over_time(query=query, step=60).buckets:
        key = (("level", b.level),) if "level" in rule.log_group_by else ()
        per = minutes.setdefault(key, {})
        per[int(b.start.timestamp())] = per.get(int(b.start.timestamp()), 0) + b.count
    if "service" in rule.log_group_by:
        out.note = "The backtest counts the rule's service as one group."
    if not minutes and not rule.log_group_by:
        minutes[()] = {}
    holding, values = [], []
    for at in times:
        lo = at - at % 60 - rule.window_seconds + 60
        shown = []
        for key, per in minutes.items():
            labels = dict(key)
            if "service" in rule.log_group_by:
                labels["service"] = rule.log_service
            shown.append((labels, float(sum(n for m, n in per.items() if lo <= m <= at))))
        values.append((at, shown))
        holding.append((at, [(labels, v) for labels, v in shown if holds(v, rule.comparison, rule.threshold)]))
    return holding, values


def rule_backtest(
    *, data: dict[str, Any], start: dt.datetime, end: dt.datetime, step: int | None = None
) -> bt.Backtest:
    """The backtest of the rule ``data`` describes (checked as for saving; nothing is written)."""
    rule = AlertRule(**rule_clean(data))
    step, times = _times(start, end, step)
    out = bt.Backtest(start=times[0] if times else int(start.timestamp()), end=int(end.timestamp()), step=step)
    if not times:
        return out
    try:
        if rule.kind == RuleKind.METRIC and rule.source == RuleSource.LOCAL:
            holding, values = _metric_local(rule, times, out)
        elif rule.kind == RuleKind.METRIC:
            holding, values = _metric_prometheus(rule, times, step, out)
        elif rule.kind == RuleKind.LOG_COUNT:
            holding, values = _log_count(rule, times, out)
        else:
            out.note = "A log line rule fires on each matching line as it arrives; there is nothing to backtest."
            return out
    except (ExprError, SourceUnavailableError) as exc:
        out.error = str(exc)
        return out
    out.evaluations = len(times)
    out.series, out.series_total = bt.chart_series(bt.collect(values))
    named = [(at, [(alert_labels(rule, labels, v), v) for labels, v in held]) for at, held in holding]
    out.firing = bt.firing_intervals(
        holding=named, for_seconds=rule.for_seconds, keep_firing_for_seconds=rule.keep_firing_for_seconds,
        end=times[-1],
    )  # fmt: skip
    return out
