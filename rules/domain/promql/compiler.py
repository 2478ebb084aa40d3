"""PromQL text -> ``Plan``: parse with ``promql_parser``, refuse what the minute rollups cannot answer (saying
what and why), and build the evaluation tree once."""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Callable

import promql_parser as pp

from rules.domain.promql import arith
from rules.domain.promql.binary import ScalarBinary, SetOperation, Signature, VectorBinary, VectorScalar, signature
from rules.domain.promql.model import ExprError, Labels, Need, Plan
from rules.domain.promql.nodes import (
    LOOKBACK,
    MINUTE,
    RANGE_FUNCTIONS,
    Absent,
    AbsentOverTime,
    Aggregate,
    Clamp,
    EvalTime,
    InstantSelector,
    Map,
    MapScalar,
    Negate,
    Number,
    RangeFunction,
    ScalarNode,
    Time,
    ToScalar,
    ToVector,
    VectorNode,
)

ELSEWHERE = "use source: prometheus"
COUNTER_SUFFIXES = ("_total", "_count", "_sum", "_bucket")
AGGREGATIONS = frozenset({"sum", "avg", "min", "max", "count", "group"})
_MATCH_OPS = ((pp.MatchOp.Equal, "="), (pp.MatchOp.NotEqual, "!="), (pp.MatchOp.Re, "=~"), (pp.MatchOp.NotRe, "!~"))
_CARDINALITY = (
    (pp.VectorMatchCardinality.OneToOne, "one-to-one"),
    (pp.VectorMatchCardinality.ManyToOne, "many-to-one"),
    (pp.VectorMatchCardinality.OneToMany, "one-to-many"),
)

_RAW_SAMPLES = "needs the raw samples, and the rollups keep one increase or last gauge value per minute"
REFUSED_FUNCTIONS: dict[str, str] = {
    "irate": f"{_RAW_SAMPLES}; use rate()",
    "idelta": _RAW_SAMPLES,
    "delta": f"{_RAW_SAMPLES}; for a gauge use last_over_time(), min_over_time() or max_over_time()",
    "deriv": _RAW_SAMPLES,
    "predict_linear": _RAW_SAMPLES,
    "resets": _RAW_SAMPLES,
    "changes": _RAW_SAMPLES,
    "holt_winters": _RAW_SAMPLES,
    "double_exponential_smoothing": _RAW_SAMPLES,
    "quantile_over_time": _RAW_SAMPLES,
    "stddev_over_time": _RAW_SAMPLES,
    "stdvar_over_time": _RAW_SAMPLES,
    "mad_over_time": _RAW_SAMPLES,
    "histogram_quantile": "bucket quantiles are not evaluated over minute rollups",
    "label_replace": "label rewriting is not supported over minute rollups",
    "label_join": "label rewriting is not supported over minute rollups",
    "sort": "an alert's result has no order",
    "sort_desc": "an alert's result has no order",
}
ELEMENTWISE: dict[str, Callable[[float], float]] = {"abs": abs, "ceil": arith.ceil, "floor": arith.floor}
MAX_SIZE = 500
# Tokens that can each add a level to the syntax tree; string literals, comments and braces are skipped.
_TOKENS = re.compile(
    r""""(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`|#[^\n]*|[{}(]|\b(?:and|or|unless|atan2)\b|[-+*/%^=<>!]"""
)
REFUSED_AGGREGATIONS = "only sum, avg, min, max, count and group are evaluated over minute rollups"


def expression_size(text: str) -> int:
    """Parentheses, operators and set keywords outside strings and label braces: a cheap bound on how deep
    the syntax tree can be, checked before parsing because the parser recurses on the native stack and
    takes the whole process down (a crash, not an exception) a few thousand levels deep."""
    size = braces = 0
    for match in _TOKENS.finditer(text):
        lexeme = match.group()
        if lexeme == "{":
            braces += 1
        elif lexeme == "}":
            braces -= 1
        elif braces <= 0 and lexeme[0] not in "\"'`#":
            size += 1
    return size


def _refuse_function(name: str) -> ExprError:
    reason = REFUSED_FUNCTIONS.get(name, "not evaluated over minute rollups")
    return ExprError(f"unsupported function {name}(): {reason}; {ELSEWHERE}")


def _duration(delta: dt.timedelta) -> str:
    return pp.display_duration(delta) if delta > dt.timedelta(0) else "-" + pp.display_duration(-delta)


def _whole_minutes(delta: dt.timedelta, what: str) -> int:
    """Seconds of a range or offset that is a positive whole number of minutes; ExprError naming it otherwise."""
    seconds = delta.total_seconds()
    if seconds < 0:
        raise ExprError(f"negative {what} {_duration(delta)} is not supported: it reads data after the evaluation time")
    if seconds < MINUTE or seconds % MINUTE:
        raise ExprError(
            f"{what} {_duration(delta)} is not a whole number of minutes: the rollups have one bucket per minute"
        )
    return int(seconds)


def _unparen(node: object) -> object:
    while isinstance(node, pp.ParenExpr):
        node = node.expr
    return node


def absent_labels(vs: pp.VectorSelector) -> Labels:
    """Prometheus' labels for ``absent()``: those of the equality matchers; a label matched twice, or by
    anything but ``=``, is left out."""
    labels: dict[str, str] = {}
    seen: set[str] = set()
    for m in vs.matchers.matchers:
        if m.name == "__name__":
            continue
        if m.op == pp.MatchOp.Equal and m.name not in seen:
            labels[m.name] = m.value
            seen.add(m.name)
        else:
            labels.pop(m.name, None)
    return tuple(sorted((k, v) for k, v in labels.items() if v))


class _Compiler:
    def __init__(self) -> None:
        self.needs: dict[Need, None] = {}

    # selectors

    def need(self, vs: pp.VectorSelector, *, range_seconds: int) -> Need:
        if vs.at is not None:
            raise ExprError(
                f"the @ modifier is not supported over minute rollups: a rule is evaluated at its own time; {ELSEWHERE}"
            )
        if vs.matchers.or_matchers:
            raise ExprError(f"'or' inside a selector ({vs}) is not supported; join two selectors with the or operator")
        name = vs.name
        matchers: list[tuple[str, str, str]] = []
        for m in vs.matchers.matchers:
            op = next(text for mop, text in _MATCH_OPS if m.op == mop)
            if m.name == "__name__":
                if op != "=" or name:
                    raise ExprError(f"{vs}: a selector names one metric; matching __name__ with {op} is not supported")
                name = m.value
                continue
            matchers.append((m.name, op, m.value))
        if not name:
            raise ExprError(f'{vs}: a selector must name its metric (like http_requests_total{{job="api"}})')
        offset = _whole_minutes(vs.offset, "offset") if vs.offset is not None else 0
        need = Need(name, tuple(sorted(matchers)), range_seconds, offset)
        self.needs[need] = None
        return need

    def instant(self, vs: pp.VectorSelector, *, presence: bool = False, timestamp: bool = False) -> InstantSelector:
        name = vs.name or ""
        if not presence and name.endswith(COUNTER_SUFFIXES):
            raise ExprError(
                f"{name} is used without a range: raw counter values are not stored; use rate() or increase() "
                f"(like rate({name}[5m]))"
            )
        return InstantSelector(self.need(vs, range_seconds=0), presence=presence, timestamp=timestamp)

    def matrix(self, node: object, function: str) -> tuple[Need, pp.VectorSelector]:
        node = _unparen(node)
        if isinstance(node, pp.SubqueryExpr):
            raise ExprError(f"subqueries are not supported over minute rollups; {ELSEWHERE}")
        if not isinstance(node, pp.MatrixSelector):
            raise ExprError(f"{function}() takes a range selector like x[5m]")
        vs = node.vector_selector
        return self.need(vs, range_seconds=_whole_minutes(node.range, "range")), vs

    # expressions

    def expr(self, node: object) -> VectorNode | ScalarNode:
        if isinstance(node, pp.ParenExpr):
            return self.expr(node.expr)
        if isinstance(node, pp.NumberLiteral):
            return Number(node.val)
        if isinstance(node, pp.VectorSelector):
            return self.instant(node)
        if isinstance(node, pp.UnaryExpr):
            inner = self.expr(node.expr)
            return Map(operator.neg, inner) if isinstance(inner, VectorNode) else Negate(inner)
        if isinstance(node, pp.BinaryExpr):
            return self.binary(node)
        if isinstance(node, pp.AggregateExpr):
            return self.aggregate(node)
        if isinstance(node, pp.Call):
            return self.call(node)
        if isinstance(node, pp.MatrixSelector):
            raise ExprError(
                f"{node} is a range vector: it can only be the argument of a function such as rate() or "
                "increase(), not a value by itself"
            )
        if isinstance(node, pp.SubqueryExpr):
            raise ExprError(f"subqueries are not supported over minute rollups; {ELSEWHERE}")
        if isinstance(node, pp.StringLiteral):
            raise ExprError(f'string literals ("{node.val}") are not supported: an alert needs numbers')
        raise ExprError(f"unsupported expression {node}")

    def vector(self, node: object, where: str) -> VectorNode:
        result = self.expr(node)
        if not isinstance(result, VectorNode):
            raise ExprError(f"{where} takes an instant vector, got the scalar {node}")
        return result

    def scalar(self, node: object, where: str) -> ScalarNode:
        result = self.expr(node)
        if not isinstance(result, ScalarNode):
            raise ExprError(f"{where} takes a scalar, got the instant vector {node}")
        return result

    def call(self, node: pp.Call) -> VectorNode | ScalarNode:
        name: str = node.func.name
        args: list[object] = list(node.args)
        where = f"{name}()"
        if name in RANGE_FUNCTIONS:
            return RangeFunction(name, self.matrix(args[0], name)[0])
        if name == "absent_over_time":
            need, vs = self.matrix(args[0], name)
            return AbsentOverTime(need, absent_labels(vs))
        if name == "absent":
            if isinstance(args[0], pp.VectorSelector):
                return Absent(self.instant(args[0], presence=True), absent_labels(args[0]))
            return Absent(self.vector(args[0], where), ())
        if name in ELEMENTWISE:
            return Map(ELEMENTWISE[name], self.vector(args[0], where))
        if name == "round":
            to_nearest = self.scalar(args[1], where) if len(args) > 1 else Number(1.0)
            return MapScalar(arith.round_to, self.vector(args[0], where), to_nearest)
        if name in ("clamp_min", "clamp_max"):
            fn = arith.go_max if name == "clamp_min" else arith.go_min
            return MapScalar(fn, self.vector(args[0], where), self.scalar(args[1], where))
        if name == "clamp":
            return Clamp(self.vector(args[0], where), self.scalar(args[1], where), self.scalar(args[2], where))
        if name == "vector":
            return ToVector(self.scalar(args[0], where))
        if name == "scalar":
            return ToScalar(self.vector(args[0], where))
        if name == "time":
            return Time()
        if name == "timestamp":
            arg = _unparen(args[0])
            if isinstance(arg, pp.VectorSelector):
                return self.instant(arg, timestamp=True)
            return EvalTime(self.vector(arg, where))
        raise _refuse_function(name)

    def aggregate(self, node: pp.AggregateExpr) -> VectorNode:
        op = str(node.op)
        if op not in AGGREGATIONS:
            raise ExprError(f"unsupported aggregation {op}(): {REFUSED_AGGREGATIONS}; {ELSEWHERE}")
        arg = self.vector(node.expr, f"{op}()")
        modifier = node.modifier
        if modifier is None:
            return Aggregate(op, arg, labels=frozenset(), without=False)
        without = modifier.type == pp.AggModifierType.Without
        return Aggregate(op, arg, labels=frozenset(modifier.labels), without=without)

    def binary(self, node: pp.BinaryExpr) -> VectorNode | ScalarNode:
        op = str(node.op)
        modifier = node.modifier
        fill = modifier.fill_values if modifier is not None else None
        if fill is not None and (fill.lhs is not None or fill.rhs is not None):
            raise ExprError(f"fill modifiers are not supported; {ELSEWHERE}")
        lhs, rhs = self.expr(node.lhs), self.expr(node.rhs)
        if op not in arith.ARITHMETIC and op not in arith.COMPARISON and op not in arith.SET_OPS:
            raise ExprError(f"unsupported operator {op}")
        return_bool = bool(modifier is not None and modifier.return_bool)
        if isinstance(lhs, ScalarNode) and isinstance(rhs, ScalarNode):
            return ScalarBinary(op, lhs, rhs)
        if isinstance(lhs, VectorNode) and isinstance(rhs, ScalarNode):
            return VectorScalar(op, lhs, rhs, swap=False, return_bool=return_bool)
        if isinstance(lhs, ScalarNode) and isinstance(rhs, VectorNode):
            return VectorScalar(op, rhs, lhs, swap=True, return_bool=return_bool)
        assert isinstance(lhs, VectorNode) and isinstance(rhs, VectorNode)
        sig = self.signature(modifier)
        if op in arith.SET_OPS:
            return SetOperation(op, lhs, rhs, sig=sig)
        card = "one-to-one"
        if modifier is not None:
            card = next(text for c, text in _CARDINALITY if modifier.card == c)
        include = tuple(modifier.group_labels or ()) if modifier is not None and card != "one-to-one" else ()
        return VectorBinary(op, lhs, rhs, sig=sig, card=card, include=include, return_bool=return_bool)

    @staticmethod
    def signature(modifier: pp.BinModifier | None) -> Signature:
        matching = modifier.matching if modifier is not None else None
        if matching is None:
            return signature(on=None, labels=frozenset())
        return signature(on=matching.type == pp.LabelModifierType.Include, labels=frozenset(matching.labels))


def compile_expr(text: str) -> Plan:
    """Parse ``text`` and check it is in the supported subset (see the package docstring); ExprError with the
    parser's message or naming what is unsupported and why."""
    size = expression_size(text)
    if size > MAX_SIZE:
        raise ExprError(
            f"the expression is too large: {size} parentheses and operators, at most {MAX_SIZE}; split it into rules"
        )
    try:
        ast = pp.parse(text)
    except ValueError as exc:
        raise ExprError(f"cannot parse the expression: {exc}") from None
    compiler = _Compiler()
    try:
        root = compiler.expr(ast)
    except RecursionError:
        raise ExprError("the expression is nested too deeply") from None
    if isinstance(root, ScalarNode):
        raise ExprError(
            f"{text.strip()} is a scalar: an alert expression must return an instant vector (compare a selector "
            "with a number, or wrap the scalar in vector())"
        )
    needs = tuple(sorted(compiler.needs, key=Need.sort_key))
    lookback = max(
        (n.offset_seconds + (n.range_seconds or LOOKBACK + MINUTE) for n in needs),
        default=0,
    )
    return Plan(text=text, needs=needs, lookback_seconds=lookback, root=root)
