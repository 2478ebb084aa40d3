"""The Prometheus text exposition format (as pushed to a Pushgateway) to samples."""

from __future__ import annotations

import math

from prometheus_client.parser import text_string_to_metric_families

from telemetry.domain.naming import labels_error, metric_name_error, series_key
from telemetry.domain.samples import Sample

_COUNTER_FAMILIES = {"counter", "histogram", "summary", "gaugehistogram"}


class ExpositionError(ValueError):
    """The text does not parse, or names/labels break Prometheus rules; ``line`` is 1-based when known."""


def parse(text: str, *, extra_labels: dict[str, str], now: float) -> tuple[list[Sample], list[str]]:
    """Samples (kinds from ``# TYPE``; histogram/summary buckets, counts and sums are counters) plus the
    reasons for skipped values (NaN/Inf). Samples without a timestamp get ``now``."""
    samples: list[Sample] = []
    rejected: list[str] = []
    try:
        families = list(text_string_to_metric_families(text))
    except (ValueError, IndexError, TypeError) as exc:
        raise ExpositionError(f"Not valid Prometheus text exposition: {exc}") from None
    for family in families:
        for sample in family.samples:
            name = sample.name
            if name.endswith("_created"):
                continue  # creation timestamps, not values
            problem = metric_name_error(name)
            if problem:
                raise ExpositionError(f"metric {name!r}: {problem}")
            labels = {**sample.labels, **extra_labels}
            bad = labels_error(labels)
            if bad:
                raise ExpositionError(f"metric {name!r} label {bad[0]!r}: {bad[1]}")
            if family.type in _COUNTER_FAMILIES and not (family.type == "summary" and "quantile" in labels):
                kind = "counter"
            else:
                kind = "gauge"
            value = float(sample.value)
            key = series_key(name, labels)
            if not math.isfinite(value) or (kind == "counter" and value < 0):
                rejected.append(f"{key}: value {value} cannot be stored")
                continue
            ts = float(sample.timestamp) if sample.timestamp is not None else now
            samples.append(Sample(name, labels, key, value, ts, kind))
    return samples, rejected
