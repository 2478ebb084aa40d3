"""User-supplied regular expressions run on RE2: anchored full matches, Alertmanager/Prometheus syntax."""

from __future__ import annotations

import pytest

from sre.domain.regex import RegexError, regex_compile, regex_fullmatch, regex_search


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("api|web", "api", True),
        ("api|web", "api-2", False),  # anchored at both ends, as in Alertmanager
        ("sea.*", "search", True),
        ("5..", "503", True),
        ("5..", "1503", False),
        ("a.b", "a\nb", True),  # "." matches a newline (Prometheus's (?s))
        ("", "", True),
        ("", "x", False),
        ("(a+)+$", "a" * 40 + "b", False),  # backtracks for hours on Python's re; linear on RE2
        ("(a|aa)+$", "a" * 5000 + "!", False),
        ("(x+x+)+y", "x" * 5000, False),
        ("ünï.ode", "ünïcode", True),
    ],
)
def test_full_matches(pattern: str, value: str, expected: bool) -> None:
    assert regex_fullmatch(pattern, value) is expected


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("timeout", "upstream timeout after 30s", True),  # anywhere in the text, where fullmatch says no
        ("^timeout", "upstream timeout", False),
        ("timeout$", "upstream timeout", True),
        ("OOM|out of memory", "worker killed: out of memory", True),
        ("disk (full|quota)", "disk usage 91%", False),
        ("a.b", "xa\nby", True),  # "." matches a newline here too
        ("(a+)+$", "a" * 5000 + "b", False),  # linear on RE2
        ("", "anything", True),
    ],
)
def test_searches(pattern: str, value: str, expected: bool) -> None:
    assert regex_search(pattern, value) is expected


def test_search_refuses_an_invalid_pattern() -> None:
    with pytest.raises(RegexError):
        regex_search("(", "x")


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("(", "missing )"),
        ("(?=x)", "invalid perl operator"),  # look-ahead: Python's re accepts it, RE2 and Alertmanager do not
        (r"(a)\1", "invalid escape"),  # back-reference
        ("a)|(b", "unexpected )"),  # cannot break out of the anchoring
    ],
)
def test_invalid_patterns_say_why(pattern: str, reason: str) -> None:
    with pytest.raises(RegexError, match="invalid regular expression") as error:
        regex_compile(pattern)
    assert reason in str(error.value) and repr(pattern) in str(error.value)
    assert isinstance(error.value, ValueError)  # callers that caught ValueError still do
