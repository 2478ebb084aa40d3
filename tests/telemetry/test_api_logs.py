"""POST /api/v1/logs, GET /api/v1/logs/search and /api/v1/logs/count against the database store."""

from __future__ import annotations

import json
import time

import pytest

from sre.audit.services import TOKEN_USE_QUERIES
from telemetry.models import LogEntry


def ndjson(lines) -> str:
    return "\n".join(json.dumps(line) for line in lines) + "\n"


def line(message, *, service="checkout", level="info", ts=None, **attributes):
    return {"timestamp": ts or time.time(), "service": service, "level": level, "message": message,
            "attributes": attributes, "trace_id": ""}  # fmt: skip


@pytest.mark.django_db
def test_ndjson_and_json_array_ingest(ingest_client):
    r1 = ingest_client.post("/api/v1/logs", ndjson([line("a"), line("b")]), content_type="application/x-ndjson")
    r2 = ingest_client.post("/api/v1/logs", [line("c")], format="json")
    assert r1.status_code == 200 and r1.json()["accepted"] == 2
    assert r2.status_code == 200 and r2.json()["accepted"] == 1
    assert LogEntry.objects.count() == 3


@pytest.mark.django_db
def test_tabs_newlines_backslashes_and_unicode_are_stored_verbatim(ingest_client):
    """The PostgreSQL store writes a COPY text block itself: its escapes must round-trip every value."""
    message = 'tab\there\nnew line\r\\N back\\slash "quoted" é 日本 \\t'
    sent = line(message, service="svc\\x", path="C:\\tmp\tx\ny", nested={"a": [1, "\\n"]})
    sent["trace_id"] = "t\\1"
    response = ingest_client.post("/api/v1/logs", ndjson([sent]), content_type="application/x-ndjson")
    assert response.status_code == 200, response.json()
    stored = LogEntry.objects.get()
    assert (stored.message, stored.service, stored.trace_id) == (message, "svc\\x", "t\\1")
    assert stored.attributes == {"path": "C:\\tmp\tx\ny", "nested": {"a": [1, "\\n"]}}


@pytest.mark.django_db
def test_log_batch_id_is_idempotent(ingest_client):
    body = ndjson([line("once"), line("twice?")])
    for _ in range(2):
        response = ingest_client.post("/api/v1/logs?batch_id=x1", body, content_type="application/x-ndjson")
        assert response.status_code == 200
    assert response.json()["duplicate"] is True
    assert LogEntry.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([line("ok"), {"service": "x", "message": 1}], "lines[1].message"),
        ([{"message": "no service"}], "lines[0].service"),
        ([line("ok", level="loud")], "lines[0].level"),
        ([{**line("ok"), "colour": "red"}], "lines[0].colour"),
        ([{**line("ok"), "timestamp": "soon"}], "lines[0].timestamp"),
        ([{**line("ok"), "attributes": []}], "lines[0].attributes"),
        ([{**line("ok"), "attributes": {"a": "\u0000"}}], "lines[0].attributes"),
    ],
)
def test_bad_log_line_rejects_whole_batch_naming_it(ingest_client, lines, field):
    response = ingest_client.post("/api/v1/logs", ndjson(lines), content_type="application/x-ndjson")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not LogEntry.objects.exists()


@pytest.mark.django_db
def test_non_json_line_is_400(ingest_client):
    response = ingest_client.post("/api/v1/logs", '{"a":1}\nnot json\n', content_type="application/x-ndjson")
    assert response.status_code == 400
    assert "line 2" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_old_and_future_lines_are_refused_with_reasons(ingest_client):
    now = time.time()
    lines = [line("old", ts=now - 100 * 86400), line("future", ts=now + 86400), line("fine", ts=now)]
    body = ingest_client.post("/api/v1/logs", lines, format="json").json()
    assert body["accepted"] == 1 and body["rejected"] == 2
    assert "retention" in body["reasons"][0] and "future" in body["reasons"][1]


@pytest.fixture
def some_logs(ingest_client):
    now = time.time()
    lines = [
        line("upstream timeout while calling payments", level="error", ts=now - 120, path="/pay"),
        line("served 120 requests", ts=now - 110),
        line("upstream connection reset", service="search", level="warning", ts=now - 100),
        line("cache warmed", service="search", ts=now - 90),
    ]
    assert ingest_client.post("/api/v1/logs", lines, format="json").status_code == 200
    return now


@pytest.mark.django_db
def test_search_filters_full_text_and_orders_newest_first(read_client, some_logs, django_assert_max_num_queries):
    # the token's first use is audited; on PostgreSQL the rare-term lookup reads the catalogue (partitions and their
    # sizes), the estimate, then per window: the probe for older lines and the lookup between the planner settings;
    # the whole search between two more (custom plans: telemetry.logstore.postgres_search.custom_plans)
    with django_assert_max_num_queries(13 + TOKEN_USE_QUERIES):
        body = read_client.get("/api/v1/logs/search", {"q": "upstream"}).json()
    assert [r["message"] for r in body["results"]] == [
        "upstream connection reset",
        "upstream timeout while calling payments",
    ]
    only_error = read_client.get("/api/v1/logs/search", {"q": "upstream", "level": "error"}).json()
    assert [r["service"] for r in only_error["results"]] == ["checkout"]
    assert only_error["results"][0]["attributes"] == {"path": "/pay"}
    search = read_client.get("/api/v1/logs/search", {"service": "search"}).json()
    assert len(search["results"]) == 2
    two_words = read_client.get("/api/v1/logs/search", {"q": "upstream timeout"}).json()
    assert len(two_words["results"]) == 1
    nothing = read_client.get("/api/v1/logs/search", {"q": '"); DROP TABLE x; --'}).json()
    assert nothing["results"] == []


@pytest.mark.django_db
def test_search_paginates(read_client, some_logs):
    first = read_client.get("/api/v1/logs/search", {"page_size": 3}).json()
    assert len(first["results"]) == 3 and first["next"] and first["previous"] is None
    second = read_client.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None
    assert second["results"][0]["message"] == "upstream timeout while calling payments"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"level": "loud"}, "level"),
        ({"start": "tomorrow"}, "start"),
        ({"page": "0"}, "page"),
        ({"start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "start"),
    ],
)
def test_search_validates_parameters(read_client, query, field):
    response = read_client.get("/api/v1/logs/search", query)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"], response.json()


@pytest.mark.django_db
def test_count_over_time_by_level(read_client, some_logs):
    body = read_client.get("/api/v1/logs/count", {"q": "upstream", "step": 3600}).json()
    assert body["total"] == 2
    assert sorted(b["level"] for b in body["buckets"]) == ["error", "warning"]
    by_service = read_client.get("/api/v1/logs/count", {"service": "search"}).json()
    assert by_service["total"] == 2


@pytest.mark.django_db
def test_search_needs_read_scope(ingest_client):
    response = ingest_client.get("/api/v1/logs/search")
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "bounds",
    [{"end": "0001-01-01T00:00:00Z"}, {"q": "upstream", "end": "0001-01-01T00:00:00Z"},
     {"q": "upstream", "start": "0001-01-01T00:00:00Z", "end": "9999-12-31T23:59:59Z"}],
)  # fmt: skip
def test_search_at_the_calendars_ends_answers_without_error(read_client, some_logs, bounds):
    """The search reads day windows back from ``end``: at the calendar's first day there is no day before it."""
    response = read_client.get("/api/v1/logs/search", bounds)
    assert response.status_code == 200, response.content
    expected = 2 if "start" in bounds else 0
    assert len(response.json()["results"]) == expected
