"""Prometheus series selectors, ``name{label="v", code=~"5..", path!~"/health.*"}``: parse and print.

Used by ratio and latency SLIs on the metric store (the same text is valid PromQL, so the rule export
can reuse it)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from sre.domain.regex import RegexError, regex_compile, regex_fullmatch

OPS = ("=~", "!~", "!=", "=")
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


@dataclass(frozen=True)
class Selector:
    metric: str
    matchers: tuple[tuple[str, str, str], ...] = ()

    def __str__(self) -> str:
        if not self.matchers:
            return self.metric
        inner = ", ".join(f"{label}{op}{_quote(value)}" for label, op, value in self.matchers)
        return f"{self.metric}{{{inner}}}"

    def with_matchers(self, *extra: tuple[str, str, str]) -> Selector:
        return Selector(self.metric, (*self.matchers, *extra))


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


@lru_cache(maxsize=8192)
def parse_selector(text: str) -> Selector:
    """Parse one selector. Raises ``ValueError`` naming the position of the problem."""
    text = str(text).strip()
    pos = 0
    metric = ""
    match = _NAME.match(text, pos)
    if match:
        metric, pos = match.group(0), match.end()
    matchers: list[tuple[str, str, str]] = []
    if pos < len(text):
        if text[pos] != "{":
            raise ValueError(f"expected '{{' at position {pos} in {text!r}")
        pos += 1
        while True:
            pos = _skip(text, pos)
            if pos < len(text) and text[pos] == "}":
                pos += 1
                break
            label = _LABEL.match(text, pos)
            if not label:
                raise ValueError(f"expected a label name at position {pos} in {text!r}")
            pos = _skip(text, label.end())
            op = next((o for o in OPS if text.startswith(o, pos)), None)
            if op is None:
                raise ValueError(f"expected one of = != =~ !~ at position {pos} in {text!r}")
            pos = _skip(text, pos + len(op))
            value, pos = _string(text, pos)
            if op in ("=~", "!~"):
                try:
                    regex_compile(value)
                except RegexError as exc:
                    raise ValueError(str(exc)) from None
            matchers.append((label.group(0), op, value))
            pos = _skip(text, pos)
            if pos < len(text) and text[pos] == ",":
                pos += 1
                continue
            if pos < len(text) and text[pos] == "}":
                pos += 1
                break
            raise ValueError(f"expected ',' or '}}' at position {pos} in {text!r}")
        if _skip(text, pos) != len(text):
            raise ValueError(f"unexpected text after the selector at position {pos} in {text!r}")
    named = [m for m in matchers if m[0] == "__name__"]
    if named:
        if metric or len(named) != 1 or named[0][1] != "=":
            raise ValueError('give the metric name once, before the braces or as __name__="…"')
        metric = named[0][2]
        matchers = [m for m in matchers if m[0] != "__name__"]
    if not metric:
        raise ValueError(f"a selector needs a metric name: {text!r}")
    return Selector(metric, tuple(matchers))


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\n":
        pos += 1
    return pos


def _string(text: str, pos: int) -> tuple[str, int]:
    if pos >= len(text) or text[pos] not in "\"'":
        raise ValueError(f"expected a quoted value at position {pos} in {text!r}")
    quote, pos, out = text[pos], pos + 1, []
    while pos < len(text):
        ch = text[pos]
        if ch == "\\" and pos + 1 < len(text):
            nxt = text[pos + 1]
            out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
            pos += 2
            continue
        if ch == quote:
            return "".join(out), pos + 1
        out.append(ch)
        pos += 1
    raise ValueError(f"unterminated string in {text!r}")


def labels_match(labels: dict[str, str], matchers: Iterable[tuple[str, str, str]]) -> bool:
    """Prometheus matcher semantics: a missing label is "", regular expressions (RE2) are fully anchored."""
    for label, op, value in matchers:
        have = labels.get(label, "")
        if op == "=" and have != value:
            return False
        if op == "!=" and have == value:
            return False
        if op == "=~" and not regex_fullmatch(value, have):
            return False
        if op == "!~" and regex_fullmatch(value, have):
            return False
    return True


def le_equals(le: str, threshold: str) -> bool:
    """Whether a histogram bucket's ``le`` label is the threshold ("0.5" == "0.50" == "5e-1")."""
    try:
        return float(le) == float(threshold)
    except ValueError:
        return False
