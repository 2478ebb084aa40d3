"""Prometheus remote_write 1.0: snappy-compressed (block format) protobuf ``prometheus.WriteRequest``.

The message types are built from a descriptor here (the subset of prometheus/prompb/remote.proto and
types.proto that 1.0 senders use), so no generated code or protoc is needed. Unknown fields (exemplars,
native histograms) are skipped by protobuf itself.
"""

from __future__ import annotations

import math
from typing import Any

import cramjam
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError

from telemetry.domain.naming import infer_kind, labels_error, metric_name_error, series_key
from telemetry.domain.samples import Sample

MAX_DECOMPRESSED = 64 * 1024 * 1024
_F = descriptor_pb2.FieldDescriptorProto
# A message class built from the descriptor below at run time: its fields exist only then, so to mypy it is Any.
DynamicMessage = Any


def _build() -> tuple[DynamicMessage, DynamicMessage, DynamicMessage, DynamicMessage]:
    fdp = descriptor_pb2.FileDescriptorProto(name="sre_prompb_remote.proto", package="prometheus", syntax="proto3")

    def message(name: str, fields: list[tuple[str, int, int, int, str | None]]) -> None:
        msg = fdp.message_type.add(name=name)
        for fname, number, ftype, label, type_name in fields:
            field = msg.field.add(name=fname, number=number, type=ftype, label=label)
            if type_name:
                field.type_name = type_name

    opt, rep = _F.LABEL_OPTIONAL, _F.LABEL_REPEATED
    message("Label", [("name", 1, _F.TYPE_STRING, opt, None), ("value", 2, _F.TYPE_STRING, opt, None)])
    message("Sample", [("value", 1, _F.TYPE_DOUBLE, opt, None), ("timestamp", 2, _F.TYPE_INT64, opt, None)])
    message(
        "TimeSeries",
        [
            ("labels", 1, _F.TYPE_MESSAGE, rep, ".prometheus.Label"),
            ("samples", 2, _F.TYPE_MESSAGE, rep, ".prometheus.Sample"),
        ],
    )
    message(
        "MetricMetadata",
        [
            ("type", 1, _F.TYPE_INT32, opt, None),
            ("metric_family_name", 2, _F.TYPE_STRING, opt, None),
            ("help", 4, _F.TYPE_STRING, opt, None),
            ("unit", 5, _F.TYPE_STRING, opt, None),
        ],
    )
    message(
        "WriteRequest",
        [
            ("timeseries", 1, _F.TYPE_MESSAGE, rep, ".prometheus.TimeSeries"),
            ("metadata", 3, _F.TYPE_MESSAGE, rep, ".prometheus.MetricMetadata"),
        ],
    )
    # The same wire format read with each label left as its encoded bytes (a length-delimited field is a
    # sub-message or bytes alike): the tuple of a series' label bytes is a ready-made cache key, so a
    # series seen before costs no per-label Python objects. Labels are decoded only on a cache miss.
    message(
        "RawTimeSeries",
        [("labels", 1, _F.TYPE_BYTES, rep, None), ("samples", 2, _F.TYPE_MESSAGE, rep, ".prometheus.Sample")],
    )
    message(
        "RawWriteRequest",
        [
            ("timeseries", 1, _F.TYPE_MESSAGE, rep, ".prometheus.RawTimeSeries"),
            ("metadata", 3, _F.TYPE_MESSAGE, rep, ".prometheus.MetricMetadata"),
        ],
    )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    classes = message_factory.GetMessages([fdp], pool=pool)
    return (
        classes["prometheus.WriteRequest"],
        classes["prometheus.TimeSeries"],
        classes["prometheus.RawWriteRequest"],
        classes["prometheus.Label"],
    )


WriteRequest, TimeSeries, _RawWriteRequest, _Label = _build()
# MetricMetadata.MetricType: 1 counter, 2 gauge, 3 histogram, 4 gaugehistogram, 5 summary.
_COUNTER_TYPES = {1}
_HISTOGRAM_TYPES = {3, 5}


class RemoteWriteError(ValueError):
    """The body is not a snappy-compressed WriteRequest."""


def _varint_length(data: bytes) -> int:
    """The uncompressed length declared at the start of a snappy block (to refuse decompression bombs)."""
    result, shift = 0, 0
    for index in range(min(len(data), 10)):
        byte = data[index]
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result
        shift += 7
    raise RemoteWriteError("Body is not snappy-compressed (no length header).")


def decode(body: bytes) -> DynamicMessage:
    """Decompress and parse a remote_write body; :class:`RemoteWriteError` on anything malformed."""
    if not body:
        raise RemoteWriteError("Empty body; expected a snappy-compressed protobuf WriteRequest.")
    if _varint_length(body) > MAX_DECOMPRESSED:
        raise RemoteWriteError(f"Declared uncompressed size is over {MAX_DECOMPRESSED} bytes.")
    try:
        raw = bytes(cramjam.snappy.decompress_raw(body))
    except Exception as exc:  # noqa: BLE001 - cramjam raises its own DecompressionError and ValueError.
        raise RemoteWriteError(f"Body is not valid snappy (block format): {exc}") from None
    request = _RawWriteRequest()
    try:
        request.ParseFromString(raw)
    except DecodeError as exc:
        raise RemoteWriteError(f"Body is not a protobuf WriteRequest: {exc}") from None
    return request


def encode(request: DynamicMessage) -> bytes:
    """Serialise and snappy-compress a WriteRequest (used by tests, benchmarks and the demo)."""
    return bytes(cramjam.snappy.compress_raw(request.SerializeToString()))


def to_samples(request: DynamicMessage) -> tuple[list[Sample], list[str]]:
    """Samples of a decoded WriteRequest and the reasons for the ones skipped (NaN staleness markers,
    bad names); :class:`RemoteWriteError` when a label is not a valid protobuf ``Label``.

    Kinds come from metadata in the same request when present, else from the name's suffix.
    """
    family_types = {m.metric_family_name: m.type for m in request.metadata}
    samples: list[Sample] = []
    rejected: list[str] = []
    append = samples.append
    known = _known
    isfinite = math.isfinite
    for series in request.timeseries:
        raw_labels = tuple(series.labels)
        entry = known.get(raw_labels)
        if entry is None:
            resolved = _resolve(raw_labels)
            if isinstance(resolved, str):
                rejected.extend(resolved for _ in series.samples)
                continue
            entry = resolved
        name, labels, key, kind = entry
        if family_types:
            kind = _kind(name, family_types)
        counter = kind == "counter"
        for sample in series.samples:
            value = sample.value
            if not isfinite(value) or (counter and value < 0):
                rejected.append(f"{key}: value {value} cannot be stored (NaN is a staleness marker)")
                continue
            append(Sample(name, labels, key, value, sample.timestamp / 1000.0, kind))
    return samples, rejected


def _resolve(raw_labels: tuple[bytes, ...]) -> tuple[str, dict[str, str], str, str] | str:
    """Decode and validate a label set: ``(name, labels, key, kind from the name)`` (remembered), or the
    reason to refuse its samples."""
    pairs = []
    for raw in raw_labels:
        try:
            label = _Label.FromString(raw)
        except DecodeError as exc:
            raise RemoteWriteError(f"Body is not a protobuf WriteRequest: bad label: {exc}") from None
        pairs.append((label.name, label.value))
    labels = dict(pairs)
    name = labels.pop("__name__", "")
    problem = metric_name_error(name)
    if problem:
        return f"series {name!r}: {problem}"
    bad = labels_error(labels)
    if bad:
        return f"series {name!r}: label {bad[0]!r}: {bad[1]}"
    entry = (name, labels, series_key(name, labels), infer_kind(name))
    if len(_known) > _KNOWN_MAX:
        _known.clear()
    _known[raw_labels] = entry
    return entry


# Encoded label sets already validated (Prometheus resends the same series in every batch).
_known: dict[tuple[bytes, ...], tuple[str, dict[str, str], str, str]] = {}
_KNOWN_MAX = 200_000


def _kind(name: str, family_types: dict[str, int]) -> str:
    if not family_types:
        return infer_kind(name)
    declared = family_types.get(name)
    if declared is None:
        for suffix in ("_bucket", "_count", "_sum", "_total"):
            if name.endswith(suffix) and name[: -len(suffix)] in family_types:
                declared = family_types[name[: -len(suffix)]]
                if declared in _HISTOGRAM_TYPES:
                    return "counter"
                break
    if declared in _COUNTER_TYPES:
        return "counter"
    if declared == 2:
        return "gauge"
    return infer_kind(name)
