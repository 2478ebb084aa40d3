"""Histogram bucket bounds (``le``) as exporters spell them, and exact PromQL matchers for one bound.

The same bound is written differently by different clients: Go's client writes ``1``, ``0.5``, ``1e+06``
(``strconv.FormatFloat(f, 'g', -1, 64)``); the Python client and Prometheus 3 (which normalises
classic-histogram ``le`` on scrape) write ``1.0``, ``100.0``, ``1e+06``; the Java client ``1.0``,
``1000000.0``, ``1.0E7``. The product's own evaluation compares ``le`` numerically; a Prometheus label
matcher compares text, so a rule that must match every exporter lists every spelling in an anchored
regular expression (only spellings of the same number: no false matches)."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

INF = "+Inf"


def _digits(value: float) -> tuple[str, int]:
    """The shortest round-trip digits of ``value`` (no leading or trailing zeros) and the decimal exponent
    of the first digit (1.5e6 → ("15", 6))."""
    _sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    text = "".join(map(str, digits)) or "0"
    if not isinstance(exponent, int):  # "n", "N" or "F": NaN or an infinity has no digits
        raise TypeError(f"not a finite number: {value!r}")
    return text, exponent + len(text) - 1


def go_format(value: float) -> str:
    """``strconv.FormatFloat(value, 'g', -1, 64)``: shortest digits, exponent form below 1e-4 or from 1e6
    (shortest 'g' decides with a precision of 6)."""
    if math.isinf(value):
        return INF if value > 0 else "-Inf"
    if value == 0:
        return "0"
    digits, exp = _digits(abs(value))
    sign = "-" if value < 0 else ""
    if exp < -4 or exp >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if exp < 0:
        return f"{sign}0.{'0' * (-exp - 1)}{digits}"
    if len(digits) <= exp + 1:
        return sign + digits + "0" * (exp + 1 - len(digits))
    return f"{sign}{digits[: exp + 1]}.{digits[exp + 1 :]}"


def openmetrics_format(value: float) -> str:
    """Prometheus 3's normalised ``le`` (and OpenMetrics' canonical float): Go's form, with ``.0`` added
    when it has neither a point nor an exponent (``1`` → ``1.0``)."""
    text = go_format(value)
    return text if any(ch in text for ch in ".eI") else text + ".0"


def python_format(value: float) -> str:
    """``prometheus_client.utils.floatToGoString``: Python's ``repr``, switching to Go's exponent form from
    1e6 (``1000000.0`` → ``1e+06``)."""
    if math.isinf(value):
        return INF if value > 0 else "-Inf"
    text = repr(value)
    dot = text.find(".")
    if value > 0 and dot > 6:
        mantissa = f"{text[0]}.{text[1:dot]}{text[dot + 1 :]}".rstrip("0.")
        return f"{mantissa}e+0{dot - 1}"
    return text


def java_format(value: float) -> str:
    """Java's ``Double.toString`` (the Java client): ``1.0``, ``1000000.0``; from 1e7 and below 1e-3
    ``1.0E7``, ``2.5E-4``."""
    if math.isinf(value):
        return INF if value > 0 else "-Inf"
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        return repr(value)  # no exponent in this range
    digits, exp = _digits(abs(value))
    mantissa = digits[0] + "." + (digits[1:] or "0")
    return f"{'-' if value < 0 else ''}{mantissa}E{exp}"


def le_spellings(threshold: str, *, seen: tuple[str, ...] = ()) -> list[str]:
    """Every spelling of the bound ``threshold`` (a decimal string): as typed, Go's, Prometheus 3's, the
    Python client's and the Java client's, plus the ``seen`` label values (from stored series) that equal it
    numerically. Sorted, no duplicates."""
    value = float(threshold)
    out = {threshold, go_format(value), openmetrics_format(value), python_format(value), java_format(value)}
    out |= {s for s in seen if _equal(s, value)}
    return sorted(out, key=lambda s: (len(s), s))


def _equal(text: str, value: float) -> bool:
    try:
        return float(text) == value
    except ValueError:
        return False


def _re2_escape(text: str) -> str:
    return "".join("\\" + ch if ch in r".+*?()[]{}|^$\\" else ch for ch in text)


def le_matcher(threshold: str, *, seen: tuple[str, ...] = ()) -> tuple[str, str, str]:
    """The label matcher choosing the bucket ``le == threshold`` whatever its spelling: ``le="1"`` when only
    one spelling exists, else ``le=~"1|1\\.0"`` (anchored by Prometheus, so exact)."""
    spellings = le_spellings(threshold, seen=seen)
    if len(spellings) == 1:
        return ("le", "=", spellings[0])
    return ("le", "=~", "|".join(_re2_escape(s) for s in spellings))


def bucket_bounds(values: list[str]) -> list[str]:
    """The distinct finite ``le`` values among ``values``, sorted numerically (spelled as first seen)."""
    bounds: dict[float, str] = {}
    for text in values:
        try:
            number = float(text)
        except ValueError:
            continue
        if math.isfinite(number):
            bounds.setdefault(number, text)
    return [bounds[k] for k in sorted(bounds)]


def bound_matches(threshold: str, bounds: list[str]) -> bool:
    """Whether ``threshold`` (exact decimal) is one of ``bounds``, compared as numbers."""
    value = Fraction(threshold)
    return any(_equal(b, float(value)) for b in bounds)
