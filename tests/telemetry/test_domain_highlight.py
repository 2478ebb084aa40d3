"""Which pieces of a log message the Logs page marks (table-driven, no database)."""

from __future__ import annotations

import pytest

from telemetry.domain.highlight import highlight_parts, query_words


@pytest.mark.parametrize(
    ("text", "q", "parts"),
    [
        ("payment timeout", "", [("payment timeout", False)]),
        ("", "x", []),
        ("Upstream TIMEOUT", "timeout", [("Upstream ", False), ("TIMEOUT", True)]),
        ("timeouts timeout", "timeout", [("timeouts ", False), ("timeout", True)]),  # whole words, as searched
        (
            "a.b a b",
            "a.b",
            [("a", True), (".", False), ("b", True), (" ", False), ("a", True), (" ", False), ("b", True)],
        ),
        ("db-1 down", "db down", [("db", True), ("-1 ", False), ("down", True)]),
        ("x (y) [z]", "(y)", [("x (", False), ("y", True), (") [z]", False)]),  # regex characters are text
    ],
)
def test_highlight_parts(text: str, q: str, parts: list[tuple[str, bool]]) -> None:
    found = highlight_parts(text, words=query_words(q))
    assert found == parts
    assert "".join(piece for piece, _ in found) == text


def test_query_words_keeps_twenty() -> None:
    assert query_words(" ".join(f"w{i}" for i in range(30))) == [f"w{i}" for i in range(20)]
