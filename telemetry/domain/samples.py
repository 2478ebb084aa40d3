"""Metric samples: validation of pushed JSON, time-range checks, and counter increases (Prometheus style).

Counter semantics follow Prometheus ``increase()`` without extrapolation: between two consecutive samples
of a cumulative counter the increase is ``v - prev`` when the value went up or stayed, and ``v`` when it
went down (a counter reset: the process restarted from zero). The first sample ever seen of a series is
the baseline and adds nothing. A sample at or before the series' last timestamp is out of order and is
rejected, so a retried cumulative batch is harmless even without a ``batch_id``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from telemetry.domain.naming import infer_kind, labels_error, metric_name_error, series_key

KINDS = ("counter", "gauge", "delta")
KIND_CODES = {"counter": 0, "gauge": 1, "delta": 2}
SAMPLE_FIELDS = frozenset({"metric", "labels", "value", "timestamp", "kind"})


class SampleError(ValueError):
    """A malformed sample: ``index`` in the batch and the ``field`` at fault."""

    def __init__(self, index: int, field: str, message: str) -> None:
        super().__init__(message)
        self.index = index
        self.field = field
        self.message = message


@dataclass(slots=True, eq=True)
class Sample:
    name: str
    labels: dict[str, str]
    key: str
    value: float
    ts: float
    kind: str


def parse_timestamp(value: object) -> float | None:
    """Unix seconds (int/float) or an RFC 3339 string to unix seconds; None when unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
        if parsed.tzinfo is None:
            return None
        return parsed.timestamp()
    return None


def validate_samples(items: object, *, now: float) -> list[Sample]:
    """Turn a JSON ``samples`` list into :class:`Sample`s, raising :class:`SampleError` at the first bad item."""
    if not isinstance(items, list):
        raise SampleError(-1, "samples", "Must be a list of samples.")
    out: list[Sample] = []
    append = out.append
    known = _valid_keys
    fields = SAMPLE_FIELDS
    isfinite = math.isfinite
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise SampleError(index, "", "Each sample must be an object.")
        if not fields.issuperset(item):
            raise SampleError(index, sorted(item.keys() - fields)[0], "Unknown field.")
        # Unchecked JSON values (Any): the checks below validate each one without an isinstance per field.
        name: Any = item.get("metric")
        labels = item.get("labels")
        labels = {} if labels is None else labels
        key = _known_key(name, labels, known)
        if key is None:
            problem = metric_name_error(name)
            if problem:
                raise SampleError(index, "metric", problem)
            bad = labels_error(labels)
            if bad:
                label, reason = bad
                raise SampleError(index, f"labels.{label}" if label else "labels", reason)
            key = _remember_key(name, labels)
        value: Any = item.get("value")
        kind_value = type(value)
        if not (kind_value is float or kind_value is int) and (
            isinstance(value, bool) or not isinstance(value, int | float)
        ):
            raise SampleError(index, "value", "Must be a finite number.")
        if not isfinite(value):
            raise SampleError(index, "value", "Must be a finite number.")
        kind: Any = item.get("kind")
        if kind is None:
            kind = infer_kind(name)
        elif kind not in KINDS:
            raise SampleError(index, "kind", f"Must be one of {', '.join(KINDS)}.")
        if value < 0 and kind != "gauge":
            raise SampleError(index, "value", f"A {kind} cannot be negative.")
        raw_ts = item.get("timestamp")
        ts: float | None
        if raw_ts is None:
            ts = now
        elif type(raw_ts) is float or type(raw_ts) is int:
            ts = float(raw_ts) if isfinite(raw_ts) else None
        else:
            ts = parse_timestamp(raw_ts)
        if ts is None:
            raise SampleError(index, "timestamp", "Must be unix seconds or an RFC 3339 time with a zone.")
        append(Sample(name, labels, key, float(value), ts, kind))
    return out


# (name, label items) already validated -> series key: producers resend the same series in every batch.
# Only valid signatures are stored (all-string values), so a lookup needs no type check of its own.
_valid_keys: dict[tuple[Any, ...], str] = {}
_VALID_KEYS_MAX = 200_000


def _known_key(name: object, labels: object, known: dict[tuple[Any, ...], str] = _valid_keys) -> str | None:
    if type(labels) is not dict:
        return None
    try:
        return known.get((name, tuple(labels.items())))
    except TypeError:  # an unhashable label value (a list, an object): validation will say so
        return None


def _remember_key(name: str, labels: dict[str, str]) -> str:
    key = series_key(name, labels)
    if type(labels) is dict and all(type(v) is str for v in labels.values()) and type(name) is str:
        if len(_valid_keys) > _VALID_KEYS_MAX:
            _valid_keys.clear()
        _valid_keys[(name, tuple(labels.items()))] = key
    return key


def time_range_reason(ts: float, *, now: float, max_future: float, retention_seconds: float) -> str | None:
    """Why a sample's time is refused (too far ahead, or older than the retention), or None."""
    if ts > now + max_future:
        return f"timestamp {ts:.0f} is more than {max_future:.0f}s in the future"
    if ts < now - retention_seconds:
        return f"timestamp {ts:.0f} is older than the retention ({retention_seconds / 86400:.0f} days)"
    return None


@dataclass(slots=True, eq=True)
class CounterPoint:
    """One counter sample prepared for storage: ``prev_ts``/``prev_value`` are the previous sample of the
    same series *in this batch* (None for its first), so the store only has to supply its saved state."""

    series_id: int
    ts: float
    value: float
    prev_ts: float | None
    prev_value: float | None


def counter_increase(*, prev: float | None, value: float) -> float:
    """Increase from ``prev`` to ``value``: a drop is a reset (the whole value counts); no prev adds 0."""
    if prev is None:
        return 0.0
    return value - prev if value >= prev else value


def chain_counters(points: list[tuple[int, float, float]]) -> tuple[list[CounterPoint], int]:
    """Sort counter samples per series by time, link each to its in-batch predecessor, drop same-time
    duplicates. Returns the points and how many duplicates were dropped."""
    points = sorted(points)
    out: list[CounterPoint] = []
    dropped = 0
    last_sid, last_ts, last_value = None, None, None
    for sid, ts, value in points:
        if sid != last_sid:
            out.append(CounterPoint(sid, ts, value, None, None))
        elif ts == last_ts:
            dropped += 1
            continue
        else:
            out.append(CounterPoint(sid, ts, value, last_ts, last_value))
        last_sid, last_ts, last_value = sid, ts, value
    return out, dropped


def apply_counter_state(point: CounterPoint, *, last_value: float | None, last_ts: float | None) -> float | None:
    """The increase this point adds given the stored state, or None when it is out of order (rejected)."""
    if last_ts is not None and point.ts <= last_ts:
        return None
    in_batch_prev_valid = point.prev_ts is not None and (last_ts is None or point.prev_ts > last_ts)
    prev = point.prev_value if in_batch_prev_valid else last_value
    return counter_increase(prev=prev, value=point.value)


def bucket(ts: float, size: int) -> int:
    """Start (unix seconds) of the ``size``-second bucket holding ``ts``."""
    return int(math.floor(ts / size) * size)
