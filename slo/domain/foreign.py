"""Helpers shared by the Sloth and Pyrra importers (pure): Prometheus durations, percent targets,
slugs, PromQL checks and the rewriting of a windowed query into one that counts events."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from slo.domain.exact import exact
from slo.domain.promql_query import promql_parse

_DURATION = re.compile(r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$")
_DURATION_MS = (365 * 86400_000, 7 * 86400_000, 86400_000, 3600_000, 60_000, 1000, 1)
_NOT_SLUG = re.compile(r"[^A-Za-z0-9_-]+")
_RATE = re.compile(r"rate\s*\(")
_IDENT = re.compile(r"[A-Za-z0-9_:]")


def prom_duration_ms(text: object) -> int:
    """Milliseconds of a Prometheus duration (``30d``, ``4w``, ``1h30m``, ``200ms``); ``ValueError`` otherwise."""
    match = _DURATION.match(str(text).strip()) if isinstance(text, str) else None
    if not match or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration like 30d, 4w or 200ms")
    total = sum(int(part) * size for part, size in zip(match.groups(), _DURATION_MS, strict=True) if part)
    if total <= 0:
        raise ValueError(f"{text!r} is not a positive duration")
    return total


def percent(value: object) -> Fraction:
    """A percentage (``99.9``, ``"99.5"``) as an exact fraction of one (0.999); ``ValueError`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{value!r} is not a number")
    return exact(repr(value) if isinstance(value, float) else value) / 100


def mapping(node: object, path: str) -> dict[str, Any]:
    """``node`` when it is a mapping, ``{}`` for a missing (null) one; ``ValueError`` naming ``path`` otherwise."""
    if node is None:
        return {}
    if not isinstance(node, dict):
        raise ValueError(f"{path} must be a mapping")
    return node


def slug(text: str) -> str:
    """``text`` as a slug the product accepts (runs of other characters become ``-``), at most 100 long."""
    return _NOT_SLUG.sub("-", text).strip("-")[:100] or "unnamed"


def promql_problem(query: str) -> str | None:
    """Why ``query`` (with ``$window``) is not PromQL Prometheus can run, or None."""
    try:
        promql_parse(query)
    except ValueError as exc:
        return str(exc).removeprefix("PromQL does not parse: ").splitlines()[0]
    return None


def _string_end(text: str, start: int) -> int:
    """Index just after the PromQL string literal opening at ``start``."""
    quote, i = text[start], start + 1
    while i < len(text):
        if text[i] == "\\" and quote != "`":
            i += 2
            continue
        if text[i] == quote:
            return i + 1
        i += 1
    return len(text)


def _closing(text: str, open_index: int) -> int | None:
    """Index of the parenthesis closing the one at ``open_index`` (string literals skipped)."""
    depth, i = 0, open_index
    while i < len(text):
        c = text[i]
        if c in "\"'`":
            i = _string_end(text, i)
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def rates_to_increases(query: str) -> str:
    """``rate(x[$window])`` becomes ``increase(x[$window])`` (same ratio, but counts of events); a rate
    over any other range, ``irate`` and everything inside string literals are left alone."""
    out: list[str] = []
    i = 0
    while i < len(query):
        c = query[i]
        if c in "\"'`":
            end = _string_end(query, i)
            out.append(query[i:end])
            i = end
            continue
        match = _RATE.match(query, i)
        if match and (i == 0 or not _IDENT.match(query[i - 1])):
            close = _closing(query, match.end() - 1)
            if close is not None and query[match.end() : close].rstrip().endswith("[$window]"):
                out.append("increase(")
                i = match.end()
                continue
        out.append(c)
        i += 1
    return "".join(out)
