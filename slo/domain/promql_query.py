"""PromQL SLI queries: validation with ``promql_parser`` and the mapping of OpenSLO query styles onto the
product's form (pure).

The product stores a PromQL SLI query either as a series selector (counted as ``sum(increase(S[W]))``)
or as an expression holding ``$window`` (the window is put there). OpenSLO files carry other styles:
  * a counter (``counter: true``) under an aggregation, ``sum(x{...})``, ``sum by (l) (x)`` or
    ``sum(rate(x[5m]))``: the product takes the increases itself, ``sum(increase(x{...}[$window]))``
    (a grouping is summed over: one SLO counts every series);
  * a gauge (``counter: false``) whose value is the number of events of each minute:
    ``sum(sum_over_time((Q)[$window:1m]))``;
  * a threshold on a gauge (``thresholdMetric``): each minute where ``Q op value`` holds is good,
    ``sum(sum_over_time((Q > bool V)[$window:1m]))`` over ``sum(count_over_time((Q)[$window:1m]))``.
"""

from __future__ import annotations

import promql_parser as pp

from slo.domain.selector import Selector

WINDOW = "$window"
PROBE = "5m"  # what ``$window`` stands for while a query is parsed
COMPARISONS = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
_INCREASING = ("rate", "increase")
_MATCH_OPS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}
_SELECTOR_HINT = (
    "Give a series selector, or an expression containing $window, "
    'e.g. sum(increase(http_requests_total{code!~"5.."}[$window])).'
)


def promql_parse(text: str) -> pp.Expr:
    """The parsed query (``$window`` read as 5m). Raises ``ValueError`` with the parser's message."""
    try:
        return pp.parse(text.replace(WINDOW, PROBE))
    except ValueError as exc:
        raise ValueError(f"PromQL does not parse: {exc}") from None
    except BaseException as exc:  # the Rust binding raises PanicException on some inputs
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        raise ValueError(f"PromQL does not parse: {exc}") from None


def promql_validate(text: str) -> None:
    """A stored PromQL SLI query: a selector, or an instant-vector expression holding ``$window``.
    Raises ``ValueError`` (the parser's message, or what the query lacks)."""
    node = promql_parse(text)
    if WINDOW not in text:
        if not isinstance(node, pp.VectorSelector) or node.offset is not None or node.at is not None:
            raise ValueError(_SELECTOR_HINT)
        return
    if isinstance(node, pp.MatrixSelector | pp.StringLiteral):
        raise ValueError("The query must give an instant value (a number or vector), not a range or a string.")


def _selector(node: object) -> str:
    """The selector printed by :class:`Selector` (the parser's own printing leaves quotes unescaped)."""
    if not isinstance(node, pp.VectorSelector):
        raise ValueError("not a series selector")
    if node.offset is not None or node.at is not None:
        raise ValueError("offset and @ modifiers are not supported in an SLI")
    if node.matchers.or_matchers:
        raise ValueError("'or' inside a selector's braces is not supported in an SLI")
    matchers = tuple((m.name, _MATCH_OPS[str(m.op)], m.value) for m in node.matchers.matchers)
    name = node.name or next((v for label, op, v in matchers if label == "__name__" and op == "="), "")
    return str(Selector(name, tuple(m for m in matchers if m[0] != "__name__")))


def _events(node: object) -> str:
    """Per-series increases over ``$window`` of a counter expression."""
    if isinstance(node, pp.VectorSelector):
        return f"increase({_selector(node)}[{WINDOW}])"
    if isinstance(node, pp.Call) and node.func.name in _INCREASING and len(node.args) == 1:
        arg = node.args[0]
        if isinstance(arg, pp.MatrixSelector):
            return f"increase({_selector(arg.vector_selector)}[{WINDOW}])"
    if isinstance(node, pp.AggregateExpr) and str(node.op) == "sum":
        return f"sum({_events(node.expr)})"
    if isinstance(node, pp.ParenExpr):
        return _events(node.expr)
    if isinstance(node, pp.Call):
        name = f"{node.func.name}()"
    elif isinstance(node, pp.AggregateExpr):
        name = f"{node.op}()"
    else:
        name = type(node).__name__
    raise ValueError(f"{name} is not a count of events: use a counter selector under sum(), rate() or increase()")


def _count(node: object) -> str:
    """One series: the events of a counter expression over ``$window``."""
    if isinstance(node, pp.AggregateExpr) and str(node.op) == "sum":
        return f"sum({_events(node.expr)})"
    if isinstance(node, pp.ParenExpr):
        return f"({_count(node.expr)})"
    if isinstance(node, pp.BinaryExpr) and str(node.op) in ("+", "-") and node.modifier is None:
        return f"{_count(node.lhs)} {node.op} {_count(node.rhs)}"
    return f"sum({_events(node)})"


def counter_query(text: str) -> tuple[str, list[str]]:
    """An OpenSLO counter query in the product's form, and notes on what was changed. A selector or a
    query already holding ``$window`` is kept. Raises ``ValueError`` saying why it cannot be counted."""
    node = promql_parse(text)
    if WINDOW in text or (isinstance(node, pp.VectorSelector) and node.offset is None and node.at is None):
        return text.strip(), []
    notes = []
    grouped: list[bool] = []
    pp.walk(node, pre_visit=lambda n: grouped.append(isinstance(n, pp.AggregateExpr) and n.modifier is not None))
    if any(grouped):
        notes.append("the grouping is summed over (one SLO counts every series)")
    if any(f"{f}(" in text for f in _INCREASING):
        notes.append("rate()/increase() ranges are replaced by the SLO's own windows")
    return _count(node), notes


def gauge_query(text: str) -> str:
    """A gauge whose value is the number of events of each minute, summed over ``$window``."""
    node = promql_parse(text)
    if isinstance(node, pp.MatrixSelector | pp.StringLiteral):
        raise ValueError("the query must give an instant value, not a range or a string")
    return f"sum(sum_over_time(({text.strip()})[{WINDOW}:1m]))"


def threshold_queries(text: str, *, op: str, value: str) -> dict[str, str]:
    """Good and total minutes of a gauge compared with a threshold (``op`` is OpenSLO's lt/lte/gt/gte)."""
    node = promql_parse(text)
    if isinstance(node, pp.MatrixSelector | pp.StringLiteral):
        raise ValueError("the query must give an instant value, not a range or a string")
    if op not in COMPARISONS:
        raise ValueError(f"op must be one of {', '.join(COMPARISONS)}")
    q = text.strip()
    return {
        "good": f"sum(sum_over_time(({q} {COMPARISONS[op]} bool {value})[{WINDOW}:1m]))",
        "total": f"sum(count_over_time(({q})[{WINDOW}:1m]))",
    }


def ratio_timeslices_queries(*, good: str | None, bad: str | None, total: str) -> dict[str, str]:
    """OpenSLO ``RatioTimeslices`` (the mean of the one-minute ratios) as good and total counts: each
    minute with traffic is one event, worth its good ratio. ``good``/``bad``/``total`` are in the product's
    form (a selector or an expression with ``$window``)."""

    def minute(q: str) -> str:
        return q.replace(WINDOW, "1m") if WINDOW in q else f"sum(increase({q}[1m]))"

    if good is not None:
        ratio = f"{minute(good)} / {minute(total)}"
    elif bad is not None:
        ratio = f"1 - {minute(bad)} / {minute(total)}"
    else:
        raise TypeError("good or bad is required")
    return {
        "good": f"sum_over_time(({ratio})[{WINDOW}:1m])",
        "total": f"count_over_time(({minute(total)} > 0)[{WINDOW}:1m])",
    }


def store_selector(text: str) -> str:
    """The series selector of a counter query on the product's own store: a selector, or one selector
    under ``sum()``, ``rate()`` or ``increase()`` (the store sums the matching series' increases)."""
    node = promql_parse(text)
    while True:
        if isinstance(node, pp.VectorSelector):
            return _selector(node)
        if (isinstance(node, pp.AggregateExpr) and str(node.op) == "sum") or isinstance(node, pp.ParenExpr):
            node = node.expr
        elif (
            isinstance(node, pp.Call) and node.func.name in _INCREASING and isinstance(node.args[0], pp.MatrixSelector)
        ):
            node = node.args[0].vector_selector
        else:
            raise ValueError("the metric store counts one counter selector (under sum(), rate() or increase() at most)")
