"""One guard for every CSV export: spreadsheet formula injection (pure)."""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A cell that a spreadsheet shows as text: a string starting with = + - @ tab or CR gets a leading quote;
    ``None`` becomes empty; other values pass unchanged."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value
