"""Checks of a rule's fields that need no database: names, durations, label maps, log rule fields. Each raises
``RuleFieldError(field, message)``; the service turns it into a 400 naming the field."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from sre.domain.durations import parse_duration

METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
LOG_GROUP_LABELS = ("service", "level")
MAX_WINDOW = 7 * 86400


class RuleFieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def check_name(value: Any) -> str:
    if not isinstance(value, str) or not METRIC_NAME.fullmatch(value) or len(value) > 200:
        raise RuleFieldError(
            "name", "An alert name is a metric name: letters, digits, '_' and ':' (not first a digit)."
        )
    return value


def check_duration(field: str, value: Any, *, minimum: int = 0, whole_minutes: bool = False) -> int:
    """Seconds of ``value``: an integer of seconds or a Prometheus duration (``5m``, ``1h30m``)."""
    if isinstance(value, bool):
        raise RuleFieldError(field, "Give seconds or a duration such as 5m.")
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, str):
        try:
            seconds = parse_duration(value.strip() or "0s")
        except ValueError as exc:
            raise RuleFieldError(field, f"{exc}.") from None
    else:
        raise RuleFieldError(field, "Give seconds or a duration such as 5m.")
    if seconds < minimum:
        raise RuleFieldError(field, f"Must be at least {minimum} seconds.")
    if seconds > MAX_WINDOW * 4:
        raise RuleFieldError(field, "Must be at most 28 days.")
    if whole_minutes and seconds % 60:
        raise RuleFieldError(field, "Must be whole minutes (the metric store keeps one value per minute).")
    return seconds


def check_labels(field: str, value: Any) -> dict[str, str]:
    if value in (None, ""):
        return {}
    if not isinstance(value, Mapping):
        raise RuleFieldError(field, "Must map names to strings.")
    out: dict[str, str] = {}
    for name, text in value.items():
        if not isinstance(name, str) or not LABEL_NAME.fullmatch(name) or name.startswith("__"):
            raise RuleFieldError(field, f"Invalid name {name!r}.")
        if not isinstance(text, str):
            raise RuleFieldError(field, f"The value of {name!r} must be a string.")
        if len(text) > 10_000:
            raise RuleFieldError(field, f"The value of {name!r} is longer than 10,000 characters.")
        out[name] = text
    if field == "labels" and "alertname" in out:
        raise RuleFieldError(field, "alertname is the rule's name; it cannot be set as a label.")
    return out


def check_threshold(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise RuleFieldError("threshold", f"{value!r} is not a number.") from None
        else:
            raise RuleFieldError("threshold", "Must be a number.")
    if not math.isfinite(float(value)):
        raise RuleFieldError("threshold", "Must be a finite number.")
    return float(value)


def check_levels(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise RuleFieldError("log_levels", "Must be a list of levels.")
    unknown = [v for v in value if v not in LOG_LEVELS]
    if unknown:
        raise RuleFieldError("log_levels", f"Unknown level {unknown[0]!r}; one of {', '.join(LOG_LEVELS)}.")
    return sorted(set(value), key=LOG_LEVELS.index)


def check_group_by(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise RuleFieldError("log_group_by", "Must be a list of labels.")
    unknown = [v for v in value if v not in LOG_GROUP_LABELS]
    if unknown:
        raise RuleFieldError(
            "log_group_by", f"Log counts group by {' and '.join(LOG_GROUP_LABELS)}, not {unknown[0]!r}."
        )
    return [v for v in LOG_GROUP_LABELS if v in value]
