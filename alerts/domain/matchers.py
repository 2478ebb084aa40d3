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
_MATCHER_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
# Alertmanager's pkg/labels parser: Go's ``\s`` is ASCII ``[\t\n\f\r ]`` only, and the value is lazy up to
# trailing whitespace. A matcher's name may hold ``:`` as there (no alert label has one: it sees "").
_WS = r"[\t\n\f\r ]"
_MATCHER = re.compile(rf"\A{_WS}*([a-zA-Z_:][a-zA-Z0-9_:]*){_WS}*(=~|!~|!=|=){_WS}*(.*?){_WS}*\Z", re.S)
# Go's strings.TrimSpace (unicode.IsSpace), which Python's str.strip() is not: it also strips \x1c-\x1f.
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
_GO_SPACE += "\u2028\u2029\u202f\u205f\u3000"


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
        if not _MATCHER_NAME.fullmatch(self.name):
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
        # Alertmanager compiles "^(?:" + value + ")$" with Go's defaults: anchored, and "." does not match a
        # newline (our shared RE2 options say it does, as Prometheus's (?s) does), hence the (?-s:...).
        found = regex_fullmatch(f"(?-s:{self.value})", actual)
        return found if self.op == "=~" else not found

    @property
    def is_regex(self) -> bool:
        return self.op in ("=~", "!~")

    @property
    def is_equal(self) -> bool:
        return self.op in ("=", "=~")

    def __str__(self) -> str:
        return f'{self.name}{self.op}"{escape_value(self.value)}"'


def escape_value(value: str) -> str:
    """OpenMetrics escaping, the one ``parse_matcher`` undoes: backslash, line feed and double quote."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def parse_matcher(text: str) -> Matcher:
    """One matcher, exactly as Alertmanager's ``labels.ParseMatcher``: ``severity="critical"``, ``team!=ops``,
    ``service=~"api|web"``. The value may be quoted; in it (quoted or not) ``\\"``, ``\\n`` and ``\\\\`` are
    escapes and any other backslash is literal (so ``"a\\.b"`` is the regex ``a\\.b``)."""
    found = _MATCHER.match(text or "")
    if not found:
        raise MatcherError(f"cannot parse matcher {text!r}; expected name=value, name!=value, name=~re or name!~re")
    name, op, raw = found.groups()
    return Matcher(name=name, op=op, value=_unescape(raw, text))


def _unescape(raw: str, text: str) -> str:
    quoted = raw.startswith('"')
    if quoted:
        raw = raw[1:]
    out: list[str] = []
    escaped = False
    for index, char in enumerate(raw):
        if escaped:
            escaped = False
            out.append({"n": "\n", '"': '"', "\\": "\\"}.get(char, "\\" + char))
            continue
        last = index == len(raw) - 1
        if char == "\\":
            if not last:
                escaped = True
                continue
            out.append(char)  # a backslash as the last character is literal
        elif char == '"':
            if not quoted or not last:
                raise MatcherError(f"unescaped double quote in the value of matcher {text!r}")
            quoted = False
        else:
            out.append(char)
    if quoted:
        raise MatcherError(f"missing closing double quote in matcher {text!r}")
    return "".join(out)


def parse_matchers(items: list[str] | tuple[str, ...]) -> tuple[Matcher, ...]:
    """Parse a list of matcher strings as Alertmanager's ``matchers:`` does: each item may hold several,
    comma-separated outside double quotes, optionally inside ``{…}`` (``{a="b", c=~"d"}``, ``a=b, c!=d``)."""
    out: list[Matcher] = []
    for item in items:
        out.extend(parse_matcher(part) for part in _split_selector(item))
    return tuple(out)


def parse_stored_matchers(items: list[str] | tuple[str, ...]) -> tuple[Matcher, ...] | None:
    """Matchers saved earlier, or ``None`` when they no longer parse (the parser follows Alertmanager more
    closely than it once did, e.g. a comma in an unquoted value now splits it); intake must not fail on them."""
    try:
        return parse_matchers(items)
    except MatcherError:
        return None


# A matcher list that matches no label set (an absent label reads as "", never NUL): what stored matchers
# that no longer parse stand for, so a broken route, window or inhibition rule catches nothing.
MATCH_NOTHING = (Matcher(name="__unparsable_matchers__", op="=", value="\x00"),)


def _split_selector(text: str) -> list[str]:
    """Alertmanager's ``labels.ParseMatchers`` tokenizer: a leading ``{`` and a trailing ``}`` are dropped
    (each on its own), commas outside unescaped double quotes separate, an empty last part is dropped."""
    text = text[1:] if text.startswith("{") else text
    text = text[:-1] if text.endswith("}") else text
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if char == ",":
            if not quoted:
                parts.append("".join(current))
                current = []
                continue
        elif char == '"':
            if not escaped:
                quoted = not quoted
            else:
                escaped = False
        elif char == "\\":
            escaped = not escaped
        else:
            escaped = False
        current.append(char)
    last = "".join(current).strip(_GO_SPACE)
    if last:
        parts.append(last)
    return parts


def matches_all(matchers: tuple[Matcher, ...] | list[Matcher], labels: Mapping[str, str]) -> bool:
    return all(matcher.matches(labels) for matcher in matchers)


def from_legacy(match: Mapping[str, str] | None, match_re: Mapping[str, str] | None) -> list[str]:
    """Alertmanager's deprecated ``match:`` / ``match_re:`` maps as matcher strings."""
    out = [f'{name}="{escape_value(str(value))}"' for name, value in (match or {}).items()]
    out += [f'{name}=~"{escape_value(str(value))}"' for name, value in (match_re or {}).items()]
    return out


def fingerprint(labels: Mapping[str, str]) -> str:
    """Stable hash of a label set: independent of key order, 16 hex digits (like Alertmanager's width)."""
    canonical = json.dumps(sorted(labels.items()), separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def valid_label_name(name: str) -> bool:
    return bool(_LABEL_NAME.fullmatch(name))
