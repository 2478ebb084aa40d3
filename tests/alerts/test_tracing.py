"""One trace from an Alertmanager webhook to the page it causes: the intake request and the Celery publish in the
web process (the SDK's in-memory exporter), the delivery task and its outbound HTTP in a real Celery worker (sent
over OTLP/HTTP to a loopback collector, as ``OTEL_EXPORTER_OTLP_ENDPOINT`` makes it), and the ``traceparent`` the
webhook receiver gets. Also the relay thread of a web worker, which carries the request's trace with it."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from alerts.choices import ReceiverKind
from alerts.models import AlertGroup, Notification
from alerts.services import alert_raise
from alerts.services.delivery import notification_deliver
from alerts.services.receivers import receiver_save
from alerts.tasks import alerts_tick
from sre.observability.tracing import tracer, tracing_configure, tracing_shutdown
from tests.alerts.factories import RouteFactory
from tests.alerts.worker import delivery_worker
from tests.support.otlp_collector import OtlpCollector

pytestmark = pytest.mark.integration

AM_URL = "/api/v1/alerts/alertmanager"
PAYLOAD = {
    "receiver": "sre",
    "status": "firing",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "TraceMe", "instance": "a", "severity": "critical"},
            "annotations": {"summary": "traced"},
            "startsAt": "2026-01-05T12:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "fingerprint": "0123456789abcdef",
        }
    ],
    "groupLabels": {"alertname": "TraceMe"},
    "commonLabels": {"alertname": "TraceMe"},
    "commonAnnotations": {},
    "externalURL": "http://am:9093",
    "version": "4",
    "groupKey": '{}:{alertname="TraceMe"}',
    "truncatedAlerts": 0,
}


@pytest.fixture
def memory_spans():
    exporter = InMemorySpanExporter()
    assert tracing_configure(role="web", exporter=exporter)
    yield exporter
    tracing_shutdown()


@pytest.fixture
def hook():
    """A webhook receiver on loopback that records the headers of each POST."""
    received: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            received.append({k.lower(): v for k, v in self.headers.items()})
            self.send_response(204)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()
    server.server_close()


@pytest.fixture
def collector():
    running = OtlpCollector()
    yield running
    running.close()


def fire_and_deliver() -> None:
    alert_raise(labels={"alertname": "PD", "severity": "critical"}, annotations={}, status="firing", source="test",
                now=timezone.now())  # fmt: skip
    notification_deliver(notification_id=Notification.objects.get().pk)


def _webhook_route(url: str, *, group_wait: int = 0) -> None:
    receiver = receiver_save(receiver=None, data={"name": "hook", "kind": ReceiverKind.WEBHOOK, "url": url})
    RouteFactory(name="root", parent=None, receiver=receiver, group_by=["alertname"], group_wait=group_wait)


def _wait(condition: Callable[[], bool], *, timeout: float, what: str, detail: Callable[[], str] = str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}\n{detail()}")
        time.sleep(0.05)


def _sends(spans: list) -> list:
    """The OTLP client spans (kind 3) of HTTP POSTs."""
    return [
        s
        for s in spans
        if s.kind == 3 and s.attributes.get("http.request.method", s.attributes.get("http.method")) == "POST"
    ]


def _http_clients(spans) -> list:
    """The SDK's client spans of HTTP requests (psycopg's query spans are client spans too)."""
    http = {"http.method", "http.request.method"}
    return [s for s in spans if s.kind == SpanKind.CLIENT and http & set(s.attributes)]


def _intake(spans) -> object:
    [server] = [s for s in spans if s.kind == SpanKind.SERVER and s.attributes.get("http.route") == AM_URL[1:]]
    return server


def test_an_alert_is_one_trace_from_intake_through_the_worker_to_the_receiver(
    transactional_db, settings, token_client, memory_spans, hook, collector
):
    url, received = hook
    settings.SRE = {**settings.SRE, "ALERTS_ALLOW_PRIVATE_TARGETS": True}
    _webhook_route(url)
    worker_env = {
        "SRE_ALERTS_ALLOW_PRIVATE_TARGETS": "1",
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url,
        "OTEL_BSP_SCHEDULE_DELAY": "50",
        "SRE_LOG_FORMAT": "json",
    }
    with delivery_worker(worker_env) as worker:
        client = token_client(role="viewer", scopes=("ingest",))
        response = client.post(AM_URL, data=json.dumps(PAYLOAD), content_type="application/json")
        assert response.status_code == 200, response.content
        _wait(lambda: len(received) == 1, timeout=60, what="the webhook", detail=lambda: worker.output()[-3000:])
        _wait(
            lambda: any(s.name == "run/alerts.deliver" for s in collector.spans) and bool(_sends(collector.spans)),
            timeout=30,
            what="the worker's spans at the collector",
        )
        worker_log = worker.output()

    web = memory_spans.get_finished_spans()
    intake = _intake(web)
    trace_id = format(intake.context.trace_id, "032x")
    [publish] = [s for s in web if s.kind == SpanKind.PRODUCER and s.name == "apply_async/alerts.deliver"]
    assert format(publish.context.trace_id, "032x") == trace_id

    [run] = [s for s in collector.spans if s.name == "run/alerts.deliver"]
    assert run.trace_id == trace_id
    assert run.parent_span_id == format(publish.context.span_id, "016x")  # the context came in the task headers
    assert run.resource["sre.role"] == "worker" and run.resource["service.name"] == "sre-control-plane"
    worker_spans = [s for s in collector.spans if s.trace_id == trace_id]
    [send] = _sends(worker_spans)
    assert send.attributes.get("url.full", send.attributes.get("http.url")) == url.removesuffix("/hook")  # no path
    if connection.vendor == "postgresql":
        assert any(s.attributes.get("db.system") == "postgresql" for s in worker_spans)  # psycopg, inside the task
    # The receiver can join the trace: the request carried the send span's context.
    assert received[0]["traceparent"].split("-")[1:3] == [trace_id, send.span_id]
    assert not [p for p in collector.paths if p != "/v1/traces"]
    # The worker's JSON log line for the task names it, its duration, the trace, and the intake request's id.
    lines = [json.loads(line) for line in worker_log.splitlines() if line.startswith("{")]
    [done] = [line for line in lines if line.get("logger") == "sre.task" and line.get("task_name") == "alerts.deliver"]
    assert done["request_id"] == response["X-Request-ID"] and done["trace_id"] == trace_id
    assert done["task_id"] and done["duration_ms"] > 0 and done["level"] == "INFO" and done["timestamp"]
    assert not [s for s in collector.spans if "/v1/traces" in str(s.attributes)]  # the exporter does not trace itself


def test_a_web_worker_relay_thread_delivers_inside_the_intake_trace(
    transactional_db, settings, token_client, memory_spans, hook, relaying
):
    url, received = hook
    settings.SRE = {**settings.SRE, "ALERTS_ALLOW_PRIVATE_TARGETS": True}
    _webhook_route(url)
    client = token_client(role="viewer", scopes=("ingest",))
    response = client.post(AM_URL, data=json.dumps(PAYLOAD), content_type="application/json")
    assert response.status_code == 200, response.content
    _wait(lambda: len(received) == 1, timeout=30, what="the webhook")
    _wait(lambda: _http_clients(memory_spans.get_finished_spans()), timeout=10, what="the send span")
    assert relaying == []  # not through Celery

    spans = memory_spans.get_finished_spans()
    trace_id = _intake(spans).context.trace_id
    [send] = _http_clients(spans)
    assert send.context.trace_id == trace_id
    assert received[0]["traceparent"].split("-")[1] == format(trace_id, "032x")


def test_a_pagerduty_event_is_sent_in_a_client_span_that_the_receiver_can_join(pd_route, pd_stub, memory_spans):
    """httpx2 (the PagerDuty client's transport) has no OpenTelemetry instrumentation: sre.outbound makes the span."""
    with tracer().start_as_current_span("test") as parent:
        fire_and_deliver()
    assert [b["event_action"] for b in pd_stub.accepted()] == ["trigger"]
    [send] = _http_clients(memory_spans.get_finished_spans())
    assert send.context.trace_id == parent.context.trace_id and send.parent.span_id == parent.context.span_id
    assert send.attributes["http.response.status_code"] == 202 and send.attributes["url.full"] == pd_stub.url
    assert pd_stub.headers[0]["traceparent"].split("-")[1:3] == [
        format(send.context.trace_id, "032x"),
        format(send.context.span_id, "016x"),
    ]


def test_with_group_wait_the_tick_s_first_flush_continues_the_intake_trace_to_the_receiver(
    transactional_db, settings, token_client, memory_spans, hook, collector
):
    """The realistic route (group_wait > 0): the intake only opens the group, and alerts.tick in the worker flushes
    it later. The group keeps the intake's traceparent, so that flush, the delivery task it queues and the webhook
    POST are still one trace with the intake request."""
    url, received = hook
    settings.SRE = {**settings.SRE, "ALERTS_ALLOW_PRIVATE_TARGETS": True}
    _webhook_route(url, group_wait=30)
    worker_env = {"SRE_ALERTS_ALLOW_PRIVATE_TARGETS": "1", "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url,
                  "OTEL_BSP_SCHEDULE_DELAY": "50"}  # fmt: skip
    with delivery_worker(worker_env):
        client = token_client(role="viewer", scopes=("ingest",))
        response = client.post(AM_URL, data=json.dumps(PAYLOAD), content_type="application/json")
        assert response.status_code == 200, response.content
        assert not received and AlertGroup.objects.get().traceparent  # waiting for group_wait
        # group_wait passes: its flush time is moved back instead of waiting 30 s
        AlertGroup.objects.update(next_flush_at=timezone.now() - dt.timedelta(seconds=1))
        alerts_tick.delay()
        _wait(lambda: len(received) == 1, timeout=60, what="the webhook")
        _wait(lambda: bool(_sends(collector.spans)), timeout=30, what="the worker's send span")
    trace_id = format(_intake(memory_spans.get_finished_spans()).context.trace_id, "032x")
    [flush] = [s for s in collector.spans if s.name == "alerts.group_flush"]
    # The sweep of the same tick may queue the row once more; that run finds it delivered (the tick's own trace).
    runs = [s for s in collector.spans if s.name == "run/alerts.deliver" and s.trace_id == trace_id]
    [send] = _sends(collector.spans)
    assert flush.trace_id == send.trace_id == trace_id and runs
    [tick] = [s for s in collector.spans if s.name == "run/alerts.tick"]
    assert tick.trace_id != trace_id  # the tick's own trace, linked from the flush
    assert received[0]["traceparent"].split("-")[1] == trace_id


def test_server_spans_carry_the_route_pattern_not_the_path_or_query(db, memory_spans):
    """A heartbeat's ping id is its credential, and query strings carry signed links: neither goes into a span."""
    secret = "5ecre7-ping-1d"
    response = Client().get(f"/api/v1/heartbeats/{secret}?token=5ecre7-query", HTTP_X_REQUEST_ID="req-span")
    assert response.status_code == 400  # not a ping id
    [server] = [s for s in memory_spans.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert server.attributes["sre.request_id"] == "req-span"
    assert "5ecre7" not in repr(dict(server.attributes)) and "5ecre7" not in server.name
    assert server.attributes["http.url"] == "http://testserver/api/v1/heartbeats/<str:uuid>"
