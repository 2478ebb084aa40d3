"""OpenTelemetry traces of the control plane itself: Django requests, Celery tasks (publish and run, the trace
context travelling in the message headers), psycopg queries and outbound HTTP (``requests``, ``urllib3``), sent
over OTLP/HTTP to ``OTEL_EXPORTER_OTLP_ENDPOINT``.

Off, and free, unless that variable is set: nothing of OpenTelemetry is imported until ``tracing_configure`` finds
it (the imports below sit in the functions for that reason). The exporter reads the standard ``OTEL_*``
variables itself (headers, timeout, ``OTEL_BSP_*`` batching); ``OTEL_SERVICE_NAME`` names the service
(``sre-control-plane`` by default) and each process says its role (``sre.role``: web, worker, beat).

Fork safety: gunicorn imports ``sre/wsgi.py`` in each worker (no ``preload_app``) and the prefork Celery pool
configures in ``worker_process_init``, so every process starts its own export thread after forking; with
``preload_app`` the SDK's batch processor restarts its thread in the child itself (``os.register_at_fork``), and
the exporter's HTTP session (:class:`_ForkSafeSession`) opens its own connections there: a keep-alive socket
inherited from the master, which exports its own spans (the status-page pull's queries), would otherwise carry
both processes' requests, each reading the other's answers, and the child's spans were lost.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import requests

from sre.env import Env
from sre.observability import context, logs
from sre.observability.middleware import route_text

DEFAULT_SERVICE_NAME = "sre-control-plane"
# Probes and scrapes: a span every few seconds from every load balancer would bury the traces that matter.
EXCLUDED_URLS = "/healthz,/readyz,/metrics"

_lock = threading.Lock()
_state: dict[str, Any] = {}  # "provider", "instrumentors", "tracer" once configured


def tracer() -> Any:
    """The control plane's own tracer (manual spans), or None when tracing is off."""
    return _state.get("tracer")


def url_without_path(url: str) -> str:
    """``scheme://host:port`` of a URL: receivers' paths and queries carry secrets (chat webhook tokens)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def _redact_span_url(span: Any, *_: Any) -> None:
    attributes = getattr(span, "attributes", None) or {}
    for key in ("http.url", "url.full"):
        value = attributes.get(key)
        if isinstance(value, str):
            span.set_attribute(key, url_without_path(value))


def _server_span_finish(span: Any, request: Any, response: Any) -> None:
    """The server span names the request id its log lines carry, and its path as the route pattern: paths and
    query strings carry secrets (heartbeat ping ids, signed acknowledge links), as in the request's log line."""
    if not span.is_recording():
        return
    request_id = getattr(request, "request_id", None)
    if request_id is not None:
        span.set_attribute("sre.request_id", request_id)
    match = getattr(request, "resolver_match", None)
    route = route_text(match.route) if match is not None else "unmatched"
    attributes = getattr(span, "attributes", None) or {}
    for key in ("http.target", "url.path"):
        if key in attributes:
            span.set_attribute(key, route)
    if "url.query" in attributes:
        span.set_attribute("url.query", "")
    if isinstance(attributes.get("http.url"), str):
        span.set_attribute("http.url", url_without_path(attributes["http.url"]) + route)


def tracing_configure(*, role: str, exporter: Any = None, environ: Any = None) -> bool:
    """Start tracing in this process when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set, or with ``exporter`` (a test's
    in-memory exporter, spans exported as each ends). Returns whether tracing is on; a second call does nothing.

    With ``exporter`` the global tracer provider is left alone (it can be set once per process) and the
    instrumentations are given this one: ``tracing_shutdown`` undoes them."""
    env = Env(environ)
    endpoint = env.url("OTEL_EXPORTER_OTLP_ENDPOINT", schemes=("http", "https"))
    if endpoint is None and exporter is None:
        return False
    with _lock:
        if "provider" in _state:
            return True
        # Imported here, not at the top: a process without an endpoint never loads the SDK (see the docstring).
        from opentelemetry import context as otel_context
        from opentelemetry import trace
        from opentelemetry.instrumentation.celery import CeleryInstrumentor
        from opentelemetry.instrumentation.django import DjangoInstrumentor
        from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
        from opentelemetry.instrumentation.requests import RequestsInstrumentor
        from opentelemetry.instrumentation.urllib3 import URLLib3Instrumentor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

        resource = Resource.create(
            {"service.name": env.str("OTEL_SERVICE_NAME", DEFAULT_SERVICE_NAME), "sre.role": role}
        )
        provider = TracerProvider(resource=resource)
        if exporter is None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(session=_ForkSafeSession())))
            trace.set_tracer_provider(provider)
        else:
            provider.add_span_processor(SimpleSpanProcessor(exporter))
        instrumentors: list[tuple[Any, dict[str, Any]]] = [
            (DjangoInstrumentor(), {"excluded_urls": EXCLUDED_URLS, "response_hook": _server_span_finish}),
            (CeleryInstrumentor(), {}),
            (PsycopgInstrumentor(), {"enable_commenter": False}),
            (RequestsInstrumentor(), {"request_hook": _redact_span_url}),
            (URLLib3Instrumentor(), {"url_filter": url_without_path}),
        ]
        for instrumentor, options in instrumentors:
            instrumentor.instrument(tracer_provider=provider, **options)
        _state.update(provider=provider, instrumentors=instrumentors, tracer=provider.get_tracer("sre"))
        logs.trace_ids = _current_ids
        context.trace_context_hooks = (otel_context.get_current, otel_context.attach)
    return True


class _ForkSafeSession(requests.Session):
    """The exporter's session, whose connection pools belong to one process: after a fork, the first request
    mounts new adapters (the inherited ones, with sockets the parent goes on using, are dropped unused)."""

    def __init__(self) -> None:
        super().__init__()
        self.pid = os.getpid()

    def request(self, *args: Any, **kwargs: Any) -> Any:
        if self.pid != os.getpid():
            self.mount("https://", requests.adapters.HTTPAdapter())
            self.mount("http://", requests.adapters.HTTPAdapter())
            self.pid = os.getpid()
        return super().request(*args, **kwargs)


def _current_ids() -> tuple[str, str] | None:
    from opentelemetry import trace  # loaded already: only installed as a hook once tracing is on

    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


def tracing_shutdown() -> None:
    """Undo ``tracing_configure`` (tests): instrumentations removed, spans flushed, the log hook dropped."""
    with _lock:
        if "provider" not in _state:
            return
        for instrumentor, _ in _state["instrumentors"]:
            instrumentor.uninstrument()
        _state["provider"].shutdown()
        _state.clear()
        logs.trace_ids = None
        context.trace_context_hooks = None


@contextmanager
def outbound_span(*, method: str, url: str) -> Iterator[tuple[dict[str, str], Callable[[int], None]]]:
    """A client span around an HTTP request no instrumentation sees (``httpx2``, the PagerDuty client's): yields
    the headers that carry the trace to the receiver (``traceparent``) and a function to record the status code.
    Nothing when tracing is off."""
    spans = _state.get("tracer")
    if spans is None:
        yield {}, _no_status
        return
    from opentelemetry import propagate  # loaded already: tracing is on
    from opentelemetry.trace import SpanKind, Status, StatusCode

    attributes = {"http.request.method": method, "url.full": url_without_path(url)}
    with spans.start_as_current_span(method, kind=SpanKind.CLIENT, attributes=attributes) as span:
        headers: dict[str, str] = {}
        propagate.inject(headers)

        def status(code: int) -> None:
            span.set_attribute("http.response.status_code", code)
            if code >= 400:
                span.set_status(Status(StatusCode.ERROR))

        yield headers, status


def _no_status(code: int) -> None:
    return None


def traceparent() -> str:
    """The W3C ``traceparent`` of the current span, to store with work that another process picks up later;
    empty when tracing is off or no span is current."""
    if "tracer" not in _state:
        return ""
    from opentelemetry import propagate  # loaded already: tracing is on

    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent", "")


@contextmanager
def continued(stored: str, *, name: str, child: bool) -> Iterator[None]:
    """Run the block in a span ``name`` tied to the trace ``stored`` (a ``traceparent``): its child when ``child``
    (the work that stored it is the cause: one trace), else a new span of the current trace with a link to it.
    Nothing when tracing is off or ``stored`` is empty."""
    spans = _state.get("tracer")
    if spans is None or not stored:
        yield
        return
    from opentelemetry import propagate, trace  # loaded already: tracing is on

    remote = trace.get_current_span(propagate.extract({"traceparent": stored})).get_span_context()
    if not remote.is_valid:
        yield
        return
    here = trace.get_current_span().get_span_context()
    if child:
        links = [trace.Link(here)] if here.is_valid else []
        parent = trace.set_span_in_context(trace.NonRecordingSpan(remote))
        with spans.start_as_current_span(name, context=parent, links=links):
            yield
    else:
        with spans.start_as_current_span(name, links=[trace.Link(remote)]):
            yield
