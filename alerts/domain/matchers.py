"""Alertmanager label matchers (``=``, ``!=``, ``=~``, ``!~``) and the stable label-set fingerprint."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from sre.domain.regex import RegexError, regex_compile, regex_fullmatch

OPERATORS = ("=~", "!~", "!=", "=")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_MATCHER = re.compile(r"^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$", re.S)


class MatcherError(ValueError):
    """A matcher that does not parse (bad operator, label name or regular expression)."""


@dataclass(frozen=True)
class Matcher:
    """One ``name op value`` condition; a missing label has the value ``""`` as in Alertmanager."""

    name: str
    op: str
    value: str

    def __post_init__(self) -> None:
        if self.op not in OPERATORS:
            raise MatcherError(f"unknown operator {self.op!r}")
        if not _LABEL_NAME.match(self.name):
            raise MatcherError(f"invalid label name {self.name!r}")
        if self.op in ("=~", "!~"):
            try:
                regex_compile(self.value)  # RE2, anchored at both ends, as in Alertmanager
            except RegexError as exc:
                raise MatcherError(str(exc)) from None

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = regex_fullmatch(self.value, actual)
        return found if self.op == "=~" else not found

    @property
    def is_regex(self) -> bool:
        return self.op in ("=~", "!~")

    @property
    def is_equal(self) -> bool:
        return self.op in ("=", "=~")

    def __str__(self) -> str:
        return f"{self.name}{self.op}{json.dumps(self.value)}"


def parse_matcher(text: str) -> Matcher:
    """``severity="critical"``, ``team!=ops``, ``service=~"api|web"`` (quotes optional, as in amtool)."""
    found = _MATCHER.match(text or "")
    if not found:
        raise MatcherError(f"cannot parse matcher {text!r}; expected name=value, name!=value, name=~re or name!~re")
    name, op, raw = found.groups()
    if len(raw) >= 2 and raw[0] == '"' and raw[-1] == '"':
        try:
            raw = json.loads(raw)
        except ValueError:
            raise MatcherError(f"badly quoted value in matcher {text!r}") from None
    return Matcher(name=name, op=op, value=raw)


def parse_matchers(items: list[str] | tuple[str, ...]) -> tuple[Matcher, ...]:
    """Parse a list of matcher strings; a ``{a="b", c=~"d"}`` selector string is accepted as one item."""
    out: list[Matcher] = []
    for item in items:
        text = item.strip()
        if text.startswith("{") and text.endswith("}"):
            out.extend(parse_matcher(part) for part in _split_selector(text[1:-1]))
        elif text:
            out.append(parse_matcher(text))
    return tuple(out)


def _split_selector(body: str) -> list[str]:
    parts, current, quoted, escaped = [], [], False, False
    for char in body:
        if escaped:
            current.append(char)
            escaped = False
            continue
        if char == "\\":
            escaped = True
            current.append(char)
            continue
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [part for part in parts if part.strip()]


def matches_all(matchers: tuple[Matcher, ...] | list[Matcher], labels: Mapping[str, str]) -> bool:
    return all(matcher.matches(labels) for matcher in matchers)


def from_legacy(match: Mapping[str, str] | None, match_re: Mapping[str, str] | None) -> list[str]:
    """Alertmanager's deprecated ``match:`` / ``match_re:`` maps as matcher strings."""
    out = [f"{name}={json.dumps(str(value))}" for name, value in (match or {}).items()]
    out += [f"{name}=~{json.dumps(str(value))}" for name, value in (match_re or {}).items()]
    return out


def fingerprint(labels: Mapping[str, str]) -> str:
    """Stable hash of a label set: independent of key order, 16 hex digits (like Alertmanager's width)."""
    canonical = json.dumps(sorted(labels.items()), separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def valid_label_name(name: str) -> bool:
    return bool(_LABEL_NAME.match(name))
