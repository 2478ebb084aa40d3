"""Log records: validation of pushed lines (NDJSON or a JSON array) and the search query shape."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import orjson

from telemetry.domain.samples import SampleError, parse_timestamp

LOG_FIELDS = frozenset({"timestamp", "service", "level", "message", "attributes", "trace_id"})
LEVELS = ("debug", "info", "warning", "error", "critical")
LEVEL_ALIASES = {
    "trace": "debug", "debug": "debug", "info": "info", "information": "info", "notice": "info",
    "warn": "warning", "warning": "warning", "err": "error", "error": "error",
    "crit": "critical", "critical": "critical", "fatal": "critical", "alert": "critical", "emerg": "critical",
}  # fmt: skip
MAX_MESSAGE = 32_768
MAX_SERVICE = 100
MAX_TRACE_ID = 64
MAX_ATTRIBUTES_KEYS = 100


@dataclass(slots=True)
class LogRecord:
    timestamp: dt.datetime
    service: str
    level: str
    message: str
    attributes: dict[str, Any] = field(default_factory=dict)
    trace_id: str = ""
    # ``attributes`` as JSON when validation already encoded it (the database store writes it as is).
    attributes_json: str | None = None


@dataclass(frozen=True)
class LogQuery:
    """What to search: words in the message (``q``), exact service/level, and ``[start, end)``."""

    q: str = ""
    service: str = ""
    levels: tuple[str, ...] = ()
    start: dt.datetime | None = None
    end: dt.datetime | None = None


def normalise_level(value: object) -> str | None:
    return LEVEL_ALIASES.get(value.strip().lower()) if isinstance(value, str) else None


def validate_logs(items: list[Any], *, now: float) -> list[LogRecord]:
    """Validate decoded log lines; :class:`SampleError` names the first bad item's index and field."""
    out: list[LogRecord] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise SampleError(index, "", "Each log line must be a JSON object.")
        if not LOG_FIELDS.issuperset(item):
            raise SampleError(index, sorted(item.keys() - LOG_FIELDS)[0], "Unknown field.")
        service = item.get("service")
        if not isinstance(service, str) or not service.strip() or len(service) > MAX_SERVICE:
            raise SampleError(index, "service", f"Must be a non-empty string of at most {MAX_SERVICE} characters.")
        level = normalise_level(item.get("level", "info"))
        if level is None:
            raise SampleError(index, "level", f"Must be one of {', '.join(LEVELS)} (or a common alias).")
        message = item.get("message")
        if not isinstance(message, str) or len(message) > MAX_MESSAGE:
            raise SampleError(index, "message", f"Must be a string of at most {MAX_MESSAGE} characters.")
        attributes = item.get("attributes")
        attributes = {} if attributes is None else attributes
        if not isinstance(attributes, dict) or len(attributes) > MAX_ATTRIBUTES_KEYS:
            raise SampleError(index, "attributes", f"Must be an object with at most {MAX_ATTRIBUTES_KEYS} keys.")
        try:
            encoded = orjson.dumps(attributes, default=str)
        except (orjson.JSONEncodeError, TypeError):
            raise SampleError(index, "attributes", "Must be JSON-serialisable.") from None
        if b"\\u0000" in encoded:
            raise SampleError(index, "attributes", "Must not contain NUL characters.")
        trace_id = item.get("trace_id") or ""
        if not isinstance(trace_id, str) or len(trace_id) > MAX_TRACE_ID:
            raise SampleError(index, "trace_id", f"Must be a string of at most {MAX_TRACE_ID} characters.")
        if "\x00" in service or "\x00" in trace_id:
            raise SampleError(index, "service" if "\x00" in service else "trace_id", "Must not contain NUL characters.")
        raw_ts = item.get("timestamp")
        ts = now if raw_ts is None else parse_timestamp(raw_ts)
        if ts is None:
            raise SampleError(index, "timestamp", "Must be unix seconds or an RFC 3339 time with a zone.")
        try:
            when = dt.datetime.fromtimestamp(ts, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            raise SampleError(index, "timestamp", "Out of range.") from None
        if "\x00" in message:
            message = message.replace("\x00", "")
        out.append(LogRecord(when, service.strip(), level, message, attributes, trace_id, encoded.decode()))
    return out


def bucket_edges(*, start: dt.datetime, end: dt.datetime, max_buckets: int = 120) -> int:
    """A readable bucket width in seconds so that ``[start, end)`` has at most ``max_buckets`` buckets."""
    span = max(1.0, (end - start).total_seconds())
    for step in (60, 300, 600, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400):
        if span / step <= max_buckets:
            return step
    return 86400 * max(1, int(span // (86400 * max_buckets)) + 1)
