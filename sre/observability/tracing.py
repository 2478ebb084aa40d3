"""OpenTelemetry traces of the control plane itself: Django requests, Celery tasks (publish and run, the trace
context travelling in the message headers), psycopg queries and outbound HTTP (``requests``, ``urllib3``), sent
over OTLP/HTTP to ``OTEL_EXPORTER_OTLP_ENDPOINT``.

Off, and free, unless that variable is set: nothing of OpenTelemetry is imported until ``tracing_configure`` finds
it (the imports below sit in the functions for that reason). The exporter reads the standard ``OTEL_*``
variables itself (headers, timeout, ``OTEL_BSP_*`` batching); ``OTEL_SERVICE_NAME`` names the service
(``sre-control-plane`` by default) and each process says its role (``sre.role``: web, worker, beat).

Fork safety: gunicorn imports ``sre/wsgi.py`` in each worker (no ``preload_app``) and the prefork Celery pool
configures in ``worker_process_init``, so every process starts its own export thread after forking; with
``preload_app`` the SDK's batch processor restarts its thread in the child itself (``os.register_at_fork``).
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit

from sre.env import Env
from sre.observability import context, logs

DEFAULT_SERVICE_NAME = "sre-control-plane"
# Probes and scrapes: a span every few seconds from every load balancer would bury the traces that matter.
EXCLUDED_URLS = "/healthz,/readyz,/metrics"

_lock = threading.Lock()
_state: dict[str, Any] = {}  # "provider", "instrumentors", "tracer" once configured


def tracing_enabled() -> bool:
    return "provider" in _state


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

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
            trace.set_tracer_provider(provider)
        else:
            provider.add_span_processor(SimpleSpanProcessor(exporter))
        instrumentors = [
            (DjangoInstrumentor(), {"excluded_urls": EXCLUDED_URLS}),
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
