"""Log lines say which request or task wrote them: the request id (an incoming well-formed X-Request-ID, else a new
one, echoed in the response), the user or API token, the task, and the duration; as JSON with SRE_LOG_FORMAT=json."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from celery import shared_task
from django.test import Client

from sre.audit.context import AuditContext, current, enter, leave
from sre.celery import app
from sre.models import ApiToken
from sre.observability.context import carried_context, request_id_var
from sre.observability.logs import ContextFilter, json_formatter, logging_config


@contextmanager
def json_lines(name: str) -> Iterator[list[dict]]:
    """What logger ``name`` writes through the console handler's filter and the JSON formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(json_formatter())
    logger = logging.getLogger(name)
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    lines: list[dict] = []
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines())


@shared_task(name="tests.observability_probe")
def probe_task() -> str:
    logging.getLogger("tests.probe").warning("inside the task")
    return "ok"


def test_a_request_gets_an_id_echoed_in_the_response_and_in_its_log_line(db):
    with json_lines("sre.request") as lines:
        response = Client().get("/healthz")
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32 and int(request_id, 16) >= 0
    [line] = lines
    assert line["request_id"] == request_id and line["logger"] == "sre.request" and line["level"] == "DEBUG"
    assert line["status"] == 200 and line["duration_ms"] > 0 and line["method"] == "GET" and line["timestamp"]
    assert "user_id" not in line and "token_id" not in line


@pytest.mark.parametrize(
    ("sent", "kept"),
    [("lb-7f3a9c.01", True), ("0af7651916cd43dd8448eb211c80319c", True), ("has space", False),
     ('quote"d', False), ("x" * 129, False), ("line\nbreak", False), ("", False)],
)  # fmt: skip
def test_an_incoming_request_id_is_kept_only_when_well_formed(db, sent, kept):
    response = Client().get("/healthz", HTTP_X_REQUEST_ID=sent)
    assert (response["X-Request-ID"] == sent) is kept
    assert response["X-Request-ID"]


def test_an_api_request_logs_its_token_user_route_and_duration(token_client):
    client = token_client(role="viewer", scopes=("read",))
    with json_lines("sre.request") as lines:
        response = client.get("/api/v1/alerts/groups", HTTP_X_REQUEST_ID="req-123")
    assert response.status_code == 200
    [line] = lines
    assert line["request_id"] == "req-123" and line["status"] == 200 and line["level"] == "INFO"
    assert line["token_id"] == ApiToken.objects.get(user=client.user).pk
    assert line["user_id"] == client.user.pk
    assert line["route"] == "/api/v1/alerts/groups" and line["message"] == "GET /api/v1/alerts/groups 200"


def test_a_session_request_logs_the_user_and_a_route_pattern_not_the_path(session_client):
    client = session_client("viewer")
    with json_lines("sre.request") as lines:
        response = client.get("/api/v1/alerts/groups/999999")
    assert response.status_code == 404
    [line] = lines
    assert line["user_id"] == client.user.pk and "token_id" not in line
    assert "999999" not in line["route"] and "999999" not in line["message"]


def test_a_task_logs_its_id_name_and_duration_and_keeps_the_caller_request_id(db):
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    token = request_id_var.set("req-task")
    try:
        with json_lines("sre.task") as done, json_lines("tests.probe") as inside:
            result = probe_task.delay()
    finally:
        request_id_var.reset(token)
        app.conf.task_always_eager = previous
    [line] = inside
    assert line["task_id"] == result.id and line["task_name"] == "tests.observability_probe"
    assert line["request_id"] == "req-task"
    [finished] = done
    assert finished["task_id"] == result.id and finished["state"] == "SUCCESS" and finished["duration_ms"] >= 0
    assert request_id_var.get() is None


def test_work_handed_to_a_thread_carries_the_request_id_and_nothing_else():
    audit = enter(AuditContext(system="system:request"))
    token = request_id_var.set("req-thread")
    try:
        carried = carried_context()
    finally:
        request_id_var.reset(token)
        leave(audit)
    assert carried.run(request_id_var.get) == "req-thread"
    assert carried.run(current) is None  # the audit actor stays with the request


def test_logging_config_is_text_by_default_and_json_on_request():
    text = logging_config(level="INFO", log_format="text")
    assert "format" in text["formatters"]["console"]
    assert text["handlers"]["console"]["filters"] == ["context"]
    assert logging_config(level="INFO", log_format="json")["formatters"]["console"]["()"].endswith("json_formatter")
