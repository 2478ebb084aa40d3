"""Exact numbers: counts and ratios are ``Fraction``; printing never shows float noise."""

from __future__ import annotations

from decimal import Decimal, localcontext
from fractions import Fraction
from functools import lru_cache

Number = int | Fraction
MAX_EXPONENT = 400


def exact(value: object) -> Fraction:
    """``Fraction`` of an int, a Decimal, a decimal string ("0.999") or a float (its exact binary value).

    Raises ``ValueError`` for anything else, NaN and infinities."""
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float | Decimal):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("expected a finite number")
        if isinstance(value, Decimal):
            _bounded(value, value)
        return Fraction(value)
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except (ArithmeticError, ValueError):
            raise ValueError(f"{value[:50]!r} is not a number") from None
        if not number.is_finite():
            raise ValueError("expected a finite number")
        _bounded(number, value)
        return Fraction(number)
    raise ValueError(f"expected a number, got {type(value).__name__}")


def _bounded(number: Decimal, shown: object) -> None:
    """Refuse numbers whose exact value would take millions of digits ("1e-9999999" hangs a worker)."""
    if abs(number.adjusted()) > MAX_EXPONENT or len(number.as_tuple().digits) > MAX_EXPONENT:
        raise ValueError(f"{str(shown)[:50]!r} has too many digits (at most {MAX_EXPONENT})")


@lru_cache(maxsize=4096)
def decimal_str(value: Fraction, *, max_digits: int = 30) -> str:
    """Shortest exact decimal of ``value`` when it has one (denominator of 2s and 5s): 0.0144, never
    0.014399999. Otherwise rounded to ``max_digits`` significant digits."""
    value = Fraction(value)
    den, twos, fives = value.denominator, 0, 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den == 1:
        places = max(twos, fives)
        d = Decimal(value.numerator * (10**places // value.denominator)).scaleb(-places)
        text = format(d, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text or "0"

    with localcontext() as ctx:
        ctx.prec = max_digits
        return format(Decimal(value.numerator) / Decimal(value.denominator), "f")


def to_float(value: Fraction | int | None) -> float | None:
    return None if value is None else float(value)
