"""Telemetry API: metric ingest (JSON, text exposition, remote_write), log ingest, log search and counts.

Ingest views read the body themselves (bounded by ``read_limited``: 413 past the limit) so each format
is decoded exactly once, then call one service. Everything a client can send ends in a JSON answer.
"""

from __future__ import annotations

import datetime as dt

import orjson
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sre.api.parsers import read_limited
from sre.api.permissions import INGEST, READ
from sre.errors import InvalidInputError
from telemetry import selectors
from telemetry.api.serializers import (
    TelemetryIngestResultSerializer,
    TelemetryLogCountQuerySerializer,
    TelemetryLogCountSerializer,
    TelemetryLogPageSerializer,
    TelemetryLogSearchQuerySerializer,
)
from telemetry.domain import exposition, remote_write
from telemetry.domain.logs import LogQuery, validate_logs
from telemetry.domain.samples import SampleError, validate_samples
from telemetry.services import logs_ingest, metrics_ingest

MAX_BATCH_ID = 200


def _scope(request: Request) -> str:
    return f"user:{request.user.pk}"


def _media_type(request: Request) -> str:
    return (request.content_type or "").split(";")[0].strip().lower()


def _batch_id(value: object, *, field: str = "batch_id") -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_BATCH_ID or "\x00" in value:
        raise InvalidInputError(
            f"Invalid input: {field}: must be a string of at most {MAX_BATCH_ID} characters.",
            fields={field: [f"Must be a string of at most {MAX_BATCH_ID} characters."]},
        )
    return value


def _sample_error(exc: SampleError, *, collection: str) -> InvalidInputError:
    name = exc.field if exc.index < 0 else f"{collection}[{exc.index}]" + (f".{exc.field}" if exc.field else "")
    return InvalidInputError(
        f"Invalid input: {name}: {exc.message} The batch was not stored.", fields={name: [exc.message]}
    )


def _json(body: bytes):
    if not body.strip():
        raise ParseError("Request body is empty.")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"Malformed JSON: {exc}") from None


def _ingest_response(result) -> Response:
    return Response(TelemetryIngestResultSerializer(result.as_dict()).data, status=status.HTTP_200_OK)


class MetricsIngestView(APIView):
    """Push samples: JSON ``{"batch_id", "samples": [...]}`` or Prometheus text exposition (``?job=``)."""

    access = {"post": INGEST}
    parser_classes: list = []

    @extend_schema(
        request={"application/json": OpenApiTypes.OBJECT, "text/plain": OpenApiTypes.STR},
        responses={200: TelemetryIngestResultSerializer},
        parameters=[
            OpenApiParameter("job", str, description="Text exposition: value of the job label."),
            OpenApiParameter("instance", str, description="Text exposition: value of the instance label."),
            OpenApiParameter("batch_id", str, description="Text exposition: idempotency key of the push."),
        ],
    )
    def post(self, request: Request) -> Response:
        body = read_limited(request.stream)
        now = timezone.now()
        media = _media_type(request)
        if media in ("", "application/json"):
            payload = _json(body)
            if not isinstance(payload, dict):
                raise InvalidInputError(
                    "Invalid input: expected an object with 'samples'.", fields={"samples": ["Required."]}
                )
            unknown = sorted(set(payload) - {"batch_id", "samples"})
            if unknown:
                raise InvalidInputError(
                    f"Invalid input: {unknown[0]}: Unknown field.", fields={k: ["Unknown field."] for k in unknown}
                )
            if "samples" not in payload:
                raise InvalidInputError(
                    "Invalid input: samples: This field is required.", fields={"samples": ["Required."]}
                )
            batch_id = _batch_id(payload.get("batch_id"))
            try:
                samples = validate_samples(payload["samples"], now=now.timestamp())
            except SampleError as exc:
                raise _sample_error(exc, collection="samples") from None
            result = metrics_ingest(samples=samples, scope=_scope(request), batch_id=batch_id, now=now)
            return _ingest_response(result)
        if media in ("text/plain", "application/openmetrics-text"):
            extra = {}
            for name in ("job", "instance"):
                value = request.query_params.get(name)
                if value:
                    extra[name] = value
            batch_id = _batch_id(request.query_params.get("batch_id"))
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                raise ParseError("Body is not UTF-8 text.") from None
            try:
                samples, rejected = exposition.parse(text, extra_labels=extra, now=now.timestamp())
            except exposition.ExpositionError as exc:
                raise InvalidInputError(str(exc), fields={"body": [str(exc)]}) from None
            result = metrics_ingest(
                samples=samples, scope=_scope(request), batch_id=batch_id, now=now, rejected=rejected
            )
            return _ingest_response(result)
        raise UnsupportedMediaType(
            media, detail=f"Unsupported Content-Type {media!r}: send application/json or text/plain."
        )


class RemoteWriteView(APIView):
    """Prometheus remote_write 1.0 receiver (snappy-compressed protobuf ``WriteRequest``)."""

    access = {"post": INGEST}
    parser_classes: list = []

    @extend_schema(
        request={"application/x-protobuf": OpenApiTypes.BINARY}, responses={200: TelemetryIngestResultSerializer}
    )
    def post(self, request: Request) -> Response:
        body = read_limited(request.stream)
        now = timezone.now()
        encoding = request.headers.get("Content-Encoding", "snappy").strip().lower()
        if encoding not in ("snappy", ""):
            raise InvalidInputError(f"Unsupported Content-Encoding {encoding!r}; remote_write 1.0 uses snappy.")
        try:
            samples, rejected = remote_write.to_samples(remote_write.decode(body))
        except remote_write.RemoteWriteError as exc:
            raise InvalidInputError(str(exc), fields={"body": [str(exc)]}) from None
        result = metrics_ingest(samples=samples, scope=_scope(request), batch_id=None, now=now, rejected=rejected)
        return _ingest_response(result)


class LogsIngestView(APIView):
    """Push log lines: NDJSON (``application/x-ndjson``) or a JSON array; ``?batch_id=`` for idempotency."""

    access = {"post": INGEST}
    parser_classes: list = []

    @extend_schema(
        request={"application/x-ndjson": OpenApiTypes.STR, "application/json": OpenApiTypes.OBJECT},
        responses={200: TelemetryIngestResultSerializer},
        parameters=[OpenApiParameter("batch_id", str, description="Idempotency key of the batch.")],
    )
    def post(self, request: Request) -> Response:
        body = read_limited(request.stream)
        now = timezone.now()
        media = _media_type(request)
        batch_id = _batch_id(request.query_params.get("batch_id"))
        if media in ("application/x-ndjson", "application/ndjson", "application/jsonl", "text/plain"):
            items = []
            for number, line in enumerate(body.split(b"\n")):
                if not line.strip():
                    continue
                try:
                    items.append(orjson.loads(line))
                except orjson.JSONDecodeError as exc:
                    raise InvalidInputError(
                        f"Invalid input: line {number + 1} is not JSON ({exc}). The batch was not stored.",
                        fields={f"lines[{len(items)}]": ["Not JSON."]},
                    ) from None
        elif media in ("", "application/json"):
            items = _json(body)
            if isinstance(items, dict):
                items = [items]
            if not isinstance(items, list):
                raise InvalidInputError("Invalid input: expected a JSON array of log lines.")
        else:
            raise UnsupportedMediaType(
                media, detail=f"Unsupported Content-Type {media!r}: send application/x-ndjson or application/json."
            )
        if not items:
            raise InvalidInputError("Invalid input: no log lines in the body.")
        try:
            records = validate_logs(items, now=now.timestamp())
        except SampleError as exc:
            raise _sample_error(exc, collection="lines") from None
        return _ingest_response(logs_ingest(records=records, scope=_scope(request), batch_id=batch_id, now=now))


def log_query(data: dict) -> LogQuery:
    return LogQuery(
        q=data.get("q", ""), service=data.get("service", ""), levels=data.get("level", ()),
        start=data.get("start"), end=data.get("end"),
    )  # fmt: skip


class LogSearchView(APIView):
    """Search logs, newest first: ``?q=&service=&level=&start=&end=&page=&page_size=``."""

    access = {"get": READ}

    @extend_schema(parameters=[TelemetryLogSearchQuerySerializer], responses={200: TelemetryLogPageSerializer})
    def get(self, request: Request) -> Response:
        params = TelemetryLogSearchQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        page, size = data["page"], data["page_size"]
        result = selectors.log_search(query=log_query(data), offset=(page - 1) * size, limit=size)

        def link(number: int) -> str:
            query = request.query_params.copy()
            query["page"] = str(number)
            return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

        body = {
            "results": [hit.__dict__ for hit in result.hits],
            "page": page,
            "next": link(page + 1) if result.has_more else None,
            "previous": link(page - 1) if page > 1 else None,
        }
        return Response(TelemetryLogPageSerializer(body).data)


class LogCountView(APIView):
    """Matching log lines per time bucket and level (a log-based SLI source): ``?q=&service=&level=&start=&end=&step=``.

    Defaults: ``end`` now, ``start`` one hour before, ``step`` chosen for at most 120 buckets."""

    access = {"get": READ}

    @extend_schema(parameters=[TelemetryLogCountQuerySerializer], responses={200: TelemetryLogCountSerializer})
    def get(self, request: Request) -> Response:
        params = TelemetryLogCountQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = dict(params.validated_data)
        data.setdefault("end", timezone.now())
        data.setdefault("start", data["end"] - dt.timedelta(hours=1))
        if data["start"] >= data["end"]:
            raise InvalidInputError(
                "Invalid input: start: Must be before end.", fields={"start": ["Must be before end."]}
            )
        query = log_query(data)
        counts = selectors.log_count_over_time(query=query, step=data.get("step"))
        body = {
            "step": counts.step,
            "start": data["start"],
            "end": data["end"],
            "total": sum(b.count for b in counts.buckets),
            "buckets": [b.__dict__ for b in counts.buckets],
        }
        return Response(TelemetryLogCountSerializer(body).data)
