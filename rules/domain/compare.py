"""A threshold comparison (log count rules, and backtest charts of ``expr op number`` metric rules)."""

from __future__ import annotations

import operator
from collections.abc import Callable

OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "==": operator.eq, "!=": operator.ne,
}  # fmt: skip


def holds(value: float, op: str, threshold: float) -> bool:
    return OPS[op](value, threshold)
