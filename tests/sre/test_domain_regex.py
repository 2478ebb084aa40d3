"""User-supplied regular expressions run on RE2: anchored full matches, Alertmanager/Prometheus syntax."""

from __future__ import annotations

import pytest

from sre.domain.regex import RegexError, regex_compile, regex_fullmatch


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
