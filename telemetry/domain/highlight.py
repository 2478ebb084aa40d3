"""Where the words of a log search appear in a message, so the page can mark them (pure, no HTML)."""

from __future__ import annotations

import re
from collections.abc import Sequence

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 20


def query_words(q: str) -> list[str]:
    """The words of a free-text query as the log stores search them (punctuation ignored, at most 20)."""
    return _WORD.findall(q)[:MAX_WORDS]


def highlight_parts(text: str, *, words: Sequence[str]) -> list[tuple[str, bool]]:
    """``text`` cut into ``(piece, matched)`` pieces: each whole-word, case-insensitive occurrence of one of
    ``words`` is a matched piece. Joining the pieces gives ``text`` back; no words gives one unmatched piece."""
    wanted = sorted({w for w in words if w}, key=len, reverse=True)
    if not text or not wanted:
        return [(text, False)] if text else []
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in wanted) + r")(?!\w)", re.IGNORECASE)
    parts: list[tuple[str, bool]] = []
    at = 0
    for match in pattern.finditer(text):
        if match.start() > at:
            parts.append((text[at : match.start()], False))
        parts.append((match.group(0), True))
        at = match.end()
    if at < len(text):
        parts.append((text[at:], False))
    return parts
