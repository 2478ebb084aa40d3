"""The Elasticsearch log store with the official client, against a loopback stub that answers like ES."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from sre.errors import SourceUnavailableError
from telemetry.domain.logs import LogQuery, LogRecord
from telemetry.logstore import elasticsearch as es_module
from telemetry.logstore import get_log_store
from telemetry.logstore.elasticsearch import ElasticsearchLogStore
from telemetry.services import logs_expire, logs_ingest
from tests.telemetry.es_stub import ElasticsearchStub

pytestmark = pytest.mark.django_db


@pytest.fixture
def es(settings):
    es_module._template_ready.clear()
    with ElasticsearchStub() as stub:
        settings.ELASTICSEARCH_URL = stub.url
        settings.SRE = {**settings.SRE, "LOG_STORE": "elasticsearch"}
        yield stub
    es_module._template_ready.clear()


def rec(message, *, minutes_ago=1, level="info", service="checkout"):
    return LogRecord(timezone.now() - dt.timedelta(minutes=minutes_ago), service, level, message, {"k": "v"}, "abc")


def test_configured_store_is_elasticsearch(es):
    assert isinstance(get_log_store(), ElasticsearchLogStore)


def test_bulk_writes_to_daily_indices_after_the_template(es):
    now = timezone.now()
    records = [rec("first"), rec("yesterday", minutes_ago=60 * 24 + 5)]
    result = logs_ingest(records=records, scope="user:1", batch_id=None, now=now)
    assert result.accepted == 2
    assert es.templates["sre-logs"]["index_patterns"] == ["sre-logs-*"]
    assert es.templates["sre-logs"]["template"]["mappings"]["properties"]["message"]["type"] == "text"
    days = {f"sre-logs-{r.timestamp:%Y.%m.%d}" for r in records}
    assert set(es.indices) == days
    assert "/_bulk" in [path for _, path in es.requests]


def test_batch_id_retry_does_not_duplicate(es):
    now = timezone.now()
    records = [rec("a"), rec("b")]
    assert logs_ingest(records=records, scope="user:1", batch_id="B", now=now).accepted == 2
    again = logs_ingest(records=records, scope="user:1", batch_id="B", now=now)
    assert again.duplicate is True
    assert sum(len(d) for d in es.indices.values()) == 2


def test_search_and_count_over_time(es):
    now = timezone.now()
    logs_ingest(
        records=[rec("upstream timeout", level="error", minutes_ago=3), rec("served fine", minutes_ago=2),
                 rec("upstream reset", level="warning", service="search", minutes_ago=1)],
        scope="user:1", batch_id=None, now=now,
    )  # fmt: skip
    store = get_log_store()
    page = store.search(LogQuery(q="upstream"), offset=0, limit=10)
    assert [h.message for h in page.hits] == ["upstream reset", "upstream timeout"]
    assert page.hits[0].attributes == {"k": "v"} and not page.has_more
    assert [h.service for h in store.search(LogQuery(levels=("error",)), offset=0, limit=10).hits] == ["checkout"]
    assert store.search(LogQuery(), offset=0, limit=2).has_more
    buckets = store.count_over_time(LogQuery(start=now - dt.timedelta(hours=1), end=now), step=3600)
    assert sum(b.count for b in buckets) == 3
    assert {b.level for b in buckets} == {"error", "info", "warning"}


def test_search_api_uses_elasticsearch(es, token_client, ingest_client):
    ingest_client.post("/api/v1/logs", [{"service": "checkout", "message": "hello es"}], format="json")
    body = token_client(role="viewer", scopes=("read",)).get("/api/v1/logs/search", {"q": "hello"}).json()
    assert [r["message"] for r in body["results"]] == ["hello es"]


def test_failing_elasticsearch_is_503_source_unavailable(es, token_client):
    es.fail_with = 503
    response = token_client(role="viewer", scopes=("read",)).get("/api/v1/logs/search", {"q": "x"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "source_unavailable"
    with pytest.raises(SourceUnavailableError):
        logs_ingest(records=[rec("x")], scope="user:1", batch_id=None, now=timezone.now())


def test_retention_drops_whole_old_indices(es, settings):
    now = timezone.now()
    settings.SRE = {**settings.SRE, "LOG_RETENTION_DAYS": 14}
    es.indices["sre-logs-2000.01.01"] = {"x": {"@timestamp": "2000-01-01T00:00:00+00:00", "level": "info"}}
    logs_ingest(records=[rec("fresh")], scope="user:1", batch_id=None, now=now)
    assert logs_expire(now=now) == 1
    assert "sre-logs-2000.01.01" not in es.indices and len(es.indices) == 1


def test_count_by_sends_nested_terms_aggregations_and_reads_their_leaves(es):
    now = timezone.now()
    logs_ingest(
        records=[rec("upstream timeout", level="error"), rec("upstream timeout", level="error"), rec("ok"),
                 rec("upstream reset", level="error", service="search"), rec("old", level="error", minutes_ago=90)],
        scope="user:1", batch_id=None, now=now,
    )  # fmt: skip
    store = get_log_store()
    query = LogQuery(start=now - dt.timedelta(hours=1), end=now)
    es.searches.clear()
    counts = store.count_by(query, by=("service", "level"))
    assert counts == {("checkout", "error"): 2, ("checkout", "info"): 1, ("search", "error"): 1}
    body = es.searches[-1]
    assert body["size"] == 0
    assert body["aggs"] == {
        "by_service": {
            "terms": {"field": "service", "size": 10_000},
            "aggs": {"by_level": {"terms": {"field": "level", "size": 10}}},
        }
    }
    assert {"range": {"@timestamp": {"gte": query.start.isoformat(), "lt": query.end.isoformat()}}} in body["query"][
        "bool"
    ]["filter"]
    assert store.count_by(query, by=("level",)) == {("error",): 3, ("info",): 1}
    assert es.searches[-1]["aggs"] == {"by_level": {"terms": {"field": "level", "size": 10}}}


def test_count_by_nothing_is_the_total_hits(es):
    now = timezone.now()
    logs_ingest(records=[rec("a timeout"), rec("b")], scope="user:1", batch_id=None, now=now)
    store = get_log_store()
    query = LogQuery(q="timeout", start=now - dt.timedelta(hours=1), end=now)
    assert store.count_by(query, by=()) == {(): 1}
    assert es.searches[-1]["track_total_hits"] is True and "aggs" not in es.searches[-1]
    assert store.count_by(LogQuery(q="nowhere", start=query.start, end=now), by=()) == {(): 0}
    assert store.count_by(LogQuery(q="nowhere", start=query.start, end=now), by=("service",)) == {}


def test_count_by_outage_is_source_unavailable(es):
    es.fail_with = 503
    with pytest.raises(SourceUnavailableError):
        get_log_store().count_by(LogQuery(), by=("level",))
