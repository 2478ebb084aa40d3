"""Prometheus naming rules and the canonical series key."""

from __future__ import annotations

import re

METRIC_NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
MAX_METRIC_NAME = 200
MAX_LABELS = 30
MAX_LABEL_VALUE = 1000
COUNTER_SUFFIXES = ("_total", "_count", "_sum", "_bucket")


def metric_name_error(name: object) -> str | None:
    """Why ``name`` is not a valid Prometheus metric name, or None."""
    if not isinstance(name, str) or not name:
        return "Must be a non-empty string."
    if len(name) > MAX_METRIC_NAME:
        return f"At most {MAX_METRIC_NAME} characters."
    if not METRIC_NAME_RE.fullmatch(name):
        return "Not a valid Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)."
    return None


def labels_error(labels: object) -> tuple[str, str] | None:
    """``(label, reason)`` for the first invalid label, or None. ``__name__`` and other ``__`` names are reserved."""
    if not isinstance(labels, dict):
        return "", "Must be an object of label name to string value."
    if len(labels) > MAX_LABELS:
        return "", f"At most {MAX_LABELS} labels."
    for key, value in labels.items():
        if not LABEL_NAME_RE.fullmatch(key) or key.startswith("__"):
            return key, "Not a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)."
        if not isinstance(value, str):
            return key, "Label values must be strings."
        if "\x00" in value:
            return key, "Label values must not contain NUL characters."
        if len(value) > MAX_LABEL_VALUE:
            return key, f"Label values are at most {MAX_LABEL_VALUE} characters."
    return None


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def series_key(name: str, labels: dict[str, str]) -> str:
    """``name{a="1",b="2"}`` with labels sorted and empty values dropped (as Prometheus treats them)."""
    items = sorted((k, v) for k, v in labels.items() if v != "")
    return name + "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in items) + "}"


def infer_kind(name: str) -> str:
    """Counter for the Prometheus counter-like suffixes, gauge otherwise."""
    return "counter" if name.endswith(COUNTER_SUFFIXES) else "gauge"
