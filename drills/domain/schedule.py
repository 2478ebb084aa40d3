"""Crontab expressions: split and validate the five fields (the next fire time comes from Celery's crontab)."""

from __future__ import annotations

import re

FIELD_NAMES = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")
_FIELD = re.compile(r"^[A-Za-z0-9*/,\-]+$")


def crontab_fields(expression: str) -> dict[str, str]:
    """``'0 3 * * *'`` -> ``{"minute": "0", "hour": "3", ...}``; ``ValueError`` with a helpful message."""
    parts = expression.split()
    if len(parts) != 5:
        raise ValueError(
            f"A schedule is five crontab fields (minute hour day-of-month month day-of-week), got {len(parts)}."
        )
    for name, part in zip(FIELD_NAMES, parts, strict=True):
        if not _FIELD.match(part):
            raise ValueError(f"The {name.replace('_', ' ')} field '{part}' is not valid crontab syntax.")
    return dict(zip(FIELD_NAMES, parts, strict=True))
