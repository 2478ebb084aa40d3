"""Float arithmetic with Go's (so Prometheus') IEEE results where Python raises instead.

``1 / 0`` is +Inf, ``0 / 0`` is NaN, ``x % 0`` is NaN, ``0 ^ -1`` is +Inf, ``(-8) ^ 0.5`` is NaN, an
overflowing power is ±Inf; ``min``/``max`` of anything with NaN is NaN (Go's ``math.Min``/``math.Max``).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable

INF = math.inf
NAN = math.nan


def div(x: float, y: float) -> float:
    if y == 0.0:
        if x == 0.0 or x != x:
            return NAN
        return math.copysign(INF, x) * math.copysign(1.0, y)
    return x / y


def mod(x: float, y: float) -> float:
    """Go's ``math.Mod``: the sign of ``x``; NaN for ``y == 0`` or an infinite ``x``."""
    try:
        return math.fmod(x, y)
    except ValueError:
        return NAN


def _is_odd_int(y: float) -> bool:
    return math.isfinite(y) and y == math.floor(y) and math.fmod(y, 2.0) != 0.0


def power(x: float, y: float) -> float:
    """Go's ``math.Pow``."""
    try:
        return math.pow(x, y)
    except OverflowError:
        return -INF if x < 0 and _is_odd_int(y) else INF
    except ValueError:
        if x == 0.0:  # 0 to a negative power
            return math.copysign(INF, x) if _is_odd_int(y) else INF
        return NAN  # a negative base to a non-integer power


def go_max(x: float, y: float) -> float:
    if x != x or y != y:
        return NAN
    return x if x >= y else y


def go_min(x: float, y: float) -> float:
    if x != x or y != y:
        return NAN
    return x if x <= y else y


def floor(x: float) -> float:
    return float(math.floor(x)) if math.isfinite(x) else x


def ceil(x: float) -> float:
    return float(math.ceil(x)) if math.isfinite(x) else x


def round_to(x: float, to_nearest: float) -> float:
    """Prometheus' ``round``: half-way values round up (``round(-2.5)`` is -2), to a multiple of ``to_nearest``."""
    inverse = div(1.0, to_nearest)
    return div(floor(x * inverse + 0.5), inverse)


ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": div,
    "%": mod,
    "^": power,
    "atan2": math.atan2,
}

COMPARISON: dict[str, Callable[[float, float], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}

SET_OPS = frozenset({"and", "or", "unless"})
