"""Whole numbers typed in URLs: only ASCII digits, positive, and small enough for a database integer."""

from __future__ import annotations

import pytest

from sre.domain.ids import parse_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        (" 7 ", 7),
        ("99999999999", 99999999999),
        ("999999999999", None),  # 12 digits: past any id
        ("0", None),
        ("", None),
        (None, None),
        ("-1", None),
        ("1e3", None),
        ("²", None),  # str.isdigit() says yes, int() says no
        ("٣", None),  # Arabic-Indic three: int() would read it as 3
        ("1\x00", None),
    ],
)
def test_parse_id(text, expected) -> None:
    assert parse_id(text) == expected


def test_parse_id_max_digits() -> None:
    assert parse_id("123456", max_digits=6) == 123456
    assert parse_id("1234567", max_digits=6) is None
