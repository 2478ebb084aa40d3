"""User-supplied regular expressions (alert and silence matchers, routes, label filters, series selectors).

They run on RE2 (``google-re2``), whose matching time is linear in the input: a pattern such as ``(a+)+$``,
which backtracks for hours on Python's ``re``, answers at once. RE2's syntax is the one Alertmanager and
Prometheus use (no look-arounds, no back-references). As they do, a matcher's pattern must match the whole value
(anchored at both ends: ``regex_fullmatch``) and ``.`` matches a newline; a pattern looked for *in* a text (a log
line rule's pattern in a message) is ``regex_search``. This is the only module that compiles a pattern a user
gave; fixed patterns written in the code stay on ``re``.
"""

from __future__ import annotations

from functools import lru_cache

import re2


class RegexError(ValueError):
    """A pattern RE2 cannot compile; the message quotes it and says why."""


def _options() -> re2.Options:
    options = re2.Options()
    options.dot_nl = True  # "." matches "\n", as in Prometheus's (?s) and the matchers before RE2
    options.log_errors = False  # a bad pattern is the user's input, reported to them, not to stderr
    return options


_OPTIONS = _options()


@lru_cache(maxsize=4096)
def regex_compile(pattern: str) -> re2._Regexp:
    """The compiled pattern; raises ``RegexError`` when RE2 refuses it."""
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else exc
        raise RegexError(f"invalid regular expression {pattern!r}: {reason}") from None


def regex_fullmatch(pattern: str, value: str) -> bool:
    """Whether ``pattern`` matches all of ``value`` (raises ``RegexError`` for an invalid pattern)."""
    return regex_compile(pattern).fullmatch(value) is not None


def regex_search(pattern: str, value: str) -> bool:
    """Whether ``pattern`` matches anywhere in ``value`` (unanchored; ``^``/``$`` anchor it at the text's ends).
    Raises ``RegexError`` for an invalid pattern."""
    return regex_compile(pattern).search(value) is not None
