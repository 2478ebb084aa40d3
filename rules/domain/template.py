"""Annotation templates as Prometheus writes them, for the subset rule files use: ``{{ $labels.name }}``,
``{{ $value }}``, ``{{ $value | humanize }}``, ``{{ $value | humanizePercentage }}``,
``{{ printf "%.2f" $value }}`` and ``{{ $labels.name | toUpper }}``. Anything else is left as written (and
reported by :func:`template_problems` when a rule is saved), never executed."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import SupportsFloat, SupportsIndex

_ACTION = re.compile(r"{{-?\s*(.*?)\s*-?}}", re.S)
_LABEL = re.compile(r"^\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)$")
_PRINTF = re.compile(r'^printf\s+"((?:[^"\\]|\\.)*)"\s+(\$value|\$labels\.[a-zA-Z_][a-zA-Z0-9_]*)$')
_FORMAT = re.compile(r"^%([-+ 0#]*)(\d*)(?:\.(\d+))?([dfegsvx])$")
_PREFIXES = ((1e24, "Y"), (1e21, "Z"), (1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))
_SMALL = ((1e-3, "m"), (1e-6, "µ"), (1e-9, "n"), (1e-12, "p"), (1e-15, "f"), (1e-18, "a"), (1e-21, "z"))


def _num(value: float) -> str:
    """Go's ``%v`` of a float64 as Prometheus prints ``$value``: shortest repr, exponent past 1e21."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


def humanize(value: float) -> str:
    """Prometheus' ``humanize``: SI prefixes with 4 significant digits."""
    if value == 0 or math.isnan(value) or math.isinf(value):
        return _num(value)
    magnitude = abs(value)
    if magnitude >= 1:
        for size, prefix in _PREFIXES:
            if magnitude >= size:
                return f"{value / size:.4g}{prefix}"
        return f"{value:.4g}"
    for size, prefix in _SMALL:
        if magnitude >= size:
            return f"{value / size:.4g}{prefix}"
    return f"{value:.4g}"


def _as_float(value: object) -> float:
    """``float(value)``; the TypeError float() raises for a value that is not a number."""
    if isinstance(value, SupportsFloat | SupportsIndex):
        return float(value)
    raise TypeError(f"must be a real number, not {type(value).__name__}")


def _printf(fmt: str, arg: object) -> str | None:
    match = _FORMAT.match(fmt)
    if match is None:
        return None
    flags, width, precision, verb = match.groups()
    try:
        if verb in "fegx" and not isinstance(arg, str):
            spec = f"{flags}{width}{'.' + precision if precision else ''}{verb}"
            return format(_as_float(arg), spec)
        if verb == "d" and not isinstance(arg, str):
            return format(int(_as_float(arg)), f"{flags}{width}d")
        return format(str(arg if not isinstance(arg, float) else _num(arg)), f"{width}s")
    except (ValueError, OverflowError):
        return None


def _eval(action: str, labels: Mapping[str, str], value: float) -> str | None:
    head, *pipes = [part.strip() for part in action.split("|")]
    if head == "$value":
        out: object = value
    elif (m := _LABEL.match(head)) is not None:
        out = labels.get(m.group(1), "")
    elif (m := _PRINTF.match(head)) is not None:
        arg_name = m.group(2)
        arg: object = value if arg_name == "$value" else labels.get(arg_name.split(".", 1)[1], "")
        fmts = re.findall(r"%[-+ 0#]*\d*(?:\.\d+)?[a-z]", m.group(1))
        if len(fmts) != 1:
            return None
        piece = _printf(fmts[0], arg)
        if piece is None:
            return None
        out = m.group(1).replace(fmts[0], piece).replace("\\n", "\n").replace('\\"', '"')
    else:
        return None
    for pipe in pipes:
        if pipe == "humanize" and isinstance(out, float):
            out = humanize(out)
        elif pipe == "humanizePercentage" and isinstance(out, float):
            out = humanize(out * 100) + "%"
        elif pipe == "toUpper":
            out = str(out if not isinstance(out, float) else _num(out)).upper()
        elif pipe == "toLower":
            out = str(out if not isinstance(out, float) else _num(out)).lower()
        else:
            return None
    return _num(out) if isinstance(out, float) else str(out)


def render(text: str, *, labels: Mapping[str, str], value: float) -> str:
    """``text`` with each supported ``{{ … }}`` action replaced; an unsupported one stays as written."""

    def one(match: re.Match[str]) -> str:
        result = _eval(match.group(1), labels, value)
        return match.group(0) if result is None else result

    return _ACTION.sub(one, text)


def template_problems(text: str) -> list[str]:
    """The actions of ``text`` that :func:`render` cannot do (to show when a rule is saved)."""
    return [m.group(0) for m in _ACTION.finditer(text) if _eval(m.group(1), {}, 1.0) is None]
