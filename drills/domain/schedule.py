"""Crontab expressions: split and validate the five fields (the next fire time comes from Celery's crontab)."""

from __future__ import annotations

import re
from typing import TypedDict

FIELD_NAMES = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")
_FIELD = re.compile(r"^[A-Za-z0-9*/,\-]+$")


class CrontabFields(TypedDict):
    """The five fields by the names Celery's ``crontab`` and django-celery-beat's ``CrontabSchedule`` take."""

    minute: str
    hour: str
    day_of_month: str
    month_of_year: str
    day_of_week: str


def crontab_fields(expression: str) -> CrontabFields:
    """``'0 3 * * *'`` -> ``{"minute": "0", "hour": "3", ...}``; ``ValueError`` with a helpful message."""
    parts = expression.split()
    if len(parts) != 5:
        raise ValueError(
            f"A schedule is five crontab fields (minute hour day-of-month month day-of-week), got {len(parts)}."
        )
    for name, part in zip(FIELD_NAMES, parts, strict=True):
        if not _FIELD.match(part):
            raise ValueError(f"The {name.replace('_', ' ')} field '{part}' is not valid crontab syntax.")
    minute, hour, day_of_month, month_of_year, day_of_week = parts
    return CrontabFields(
        minute=minute, hour=hour, day_of_month=day_of_month, month_of_year=month_of_year, day_of_week=day_of_week
    )
