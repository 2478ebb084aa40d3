"""The Elasticsearch log store: official client, bulk helper, daily indices behind an index template.

Documents go to ``sre-logs-YYYY.MM.DD`` (UTC day of the line's timestamp). The template ``sre-logs``
maps ``@timestamp`` (date), ``service``/``level``/``trace_id`` (keyword), ``message`` (text) and
``attributes`` (flattened). With a ``batch_id`` each document gets a deterministic ``_id`` and is
written with ``op_type=create``, so a retried batch cannot duplicate lines. Retention deletes whole
daily indices older than the cutoff.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading

from django.conf import settings
from elasticsearch import ApiError, Elasticsearch, TransportError, helpers

from sre.errors import SourceUnavailableError
from telemetry.domain.logs import LogQuery, LogRecord
from telemetry.logstore import LogBucket, LogHit, LogPage, LogStore, LogWriteOutcome, check_count_by

INDEX_PREFIX = "sre-logs-"
TEMPLATE_NAME = "sre-logs"
INDEX_TEMPLATE = {
    "index_patterns": [f"{INDEX_PREFIX}*"],
    "template": {
        "settings": {"number_of_shards": 1},
        "mappings": {
            "dynamic": "strict",
            "properties": {
                "@timestamp": {"type": "date"},
                "service": {"type": "keyword"},
                "level": {"type": "keyword"},
                "message": {"type": "text"},
                "trace_id": {"type": "keyword"},
                "attributes": {"type": "flattened"},
            },
        },
    },
}
# Buckets of a ``count_by`` terms aggregation per label: every level (there are five), and up to 10,000 services
# (nested under them that stays below Elasticsearch's default ``search.max_buckets`` of 65,536). Services past
# the limit are left out of the counts, and logged.
TERMS_SIZE = {"service": 10_000, "level": 10}
logger = logging.getLogger(__name__)
_template_lock = threading.Lock()
_template_ready: set[str] = set()


def index_for(when: dt.datetime) -> str:
    return f"{INDEX_PREFIX}{when.astimezone(dt.UTC):%Y.%m.%d}"


class ElasticsearchLogStore(LogStore):
    name = "elasticsearch"

    def __init__(self, client: Elasticsearch, *, url: str) -> None:
        self.client = client
        self.url = url

    @classmethod
    def from_settings(cls) -> ElasticsearchLogStore:
        url = settings.ELASTICSEARCH_URL
        timeout = settings.SRE.get("PROMETHEUS_TIMEOUT", 10.0)
        client = Elasticsearch(url, request_timeout=timeout, max_retries=0, retry_on_timeout=False)
        return cls(client, url=url)

    def _unavailable(self, exc: Exception) -> SourceUnavailableError:
        return SourceUnavailableError(f"Elasticsearch at {self.url} is unavailable: {type(exc).__name__}: {exc}")

    def ensure_template(self) -> None:
        """Create/refresh the index template once per process."""
        if self.url in _template_ready:
            return
        with _template_lock:
            if self.url in _template_ready:
                return
            self.client.indices.put_index_template(name=TEMPLATE_NAME, **INDEX_TEMPLATE)
            _template_ready.add(self.url)

    def write(self, records: list[LogRecord], *, scope: str, batch_id: str | None, now: dt.datetime) -> LogWriteOutcome:
        if not records:
            return LogWriteOutcome(duplicate=False, accepted=0)
        actions = []
        for index, r in enumerate(records):
            action = {
                "_index": index_for(r.timestamp),
                "_source": {
                    "@timestamp": r.timestamp.isoformat(), "service": r.service, "level": r.level,
                    "message": r.message, "attributes": r.attributes, "trace_id": r.trace_id,
                },
            }  # fmt: skip
            if batch_id is not None:
                action["_op_type"] = "create"
                action["_id"] = hashlib.sha256(f"{scope}\0{batch_id}\0{index}".encode()).hexdigest()[:40]
            actions.append(action)
        try:
            self.ensure_template()
            _, errors = helpers.bulk(self.client, actions, raise_on_error=False, refresh="wait_for")
        except (ApiError, TransportError) as exc:
            raise self._unavailable(exc) from exc
        conflicts = [e for e in errors if next(iter(e.values())).get("status") == 409]
        failures = [e for e in errors if next(iter(e.values())).get("status") != 409]
        if failures:
            first = next(iter(failures[0].values()))
            raise SourceUnavailableError(f"Elasticsearch refused {len(failures)} lines; first: {first.get('error')}")
        if batch_id is not None and conflicts and len(conflicts) == len(records):
            return LogWriteOutcome(duplicate=True, accepted=0)
        return LogWriteOutcome(duplicate=False, accepted=len(records) - len(conflicts))

    def _query(self, query: LogQuery) -> dict:
        filters: list[dict] = []
        if query.service:
            filters.append({"term": {"service": query.service}})
        if query.levels:
            filters.append({"terms": {"level": list(query.levels)}})
        time_range = {}
        if query.start:
            time_range["gte"] = query.start.isoformat()
        if query.end:
            time_range["lt"] = query.end.isoformat()
        if time_range:
            filters.append({"range": {"@timestamp": time_range}})
        must = []
        if query.q.strip():
            must.append({"simple_query_string": {"query": query.q, "fields": ["message"], "default_operator": "and"}})
        return {"bool": {"filter": filters, "must": must}}

    def search(self, query: LogQuery, *, offset: int, limit: int) -> LogPage:
        try:
            response = self.client.search(
                index=f"{INDEX_PREFIX}*", query=self._query(query), from_=offset, size=limit + 1,
                sort=[{"@timestamp": {"order": "desc"}}], ignore_unavailable=True, allow_no_indices=True,
                track_total_hits=False,
            )  # fmt: skip
        except (ApiError, TransportError) as exc:
            raise self._unavailable(exc) from exc
        hits = []
        for hit in response["hits"]["hits"][:limit]:
            src = hit["_source"]
            hits.append(
                LogHit(
                    id=hit["_id"],
                    timestamp=dt.datetime.fromisoformat(src["@timestamp"].replace("Z", "+00:00")),
                    service=src.get("service", ""),
                    level=src.get("level", ""),
                    message=src.get("message", ""),
                    attributes=src.get("attributes") or {},
                    trace_id=src.get("trace_id", ""),
                )
            )
        return LogPage(hits=hits, has_more=len(response["hits"]["hits"]) > limit)

    def count_over_time(self, query: LogQuery, *, step: int) -> list[LogBucket]:
        aggs = {
            "over_time": {
                "date_histogram": {"field": "@timestamp", "fixed_interval": f"{int(step)}s", "min_doc_count": 1},
                "aggs": {"levels": {"terms": {"field": "level", "size": 10}}},
            }
        }
        try:
            response = self.client.search(
                index=f"{INDEX_PREFIX}*", query=self._query(query), size=0, aggs=aggs,
                ignore_unavailable=True, allow_no_indices=True,
            )  # fmt: skip
        except (ApiError, TransportError) as exc:
            raise self._unavailable(exc) from exc
        out = []
        for b in response.get("aggregations", {}).get("over_time", {}).get("buckets", []):
            start = dt.datetime.fromtimestamp(b["key"] / 1000, tz=dt.UTC)
            for level in b["levels"]["buckets"]:
                out.append(LogBucket(start, level["key"], int(level["doc_count"])))
        return out

    def count_by(self, query: LogQuery, *, by: tuple[str, ...]) -> dict[tuple[str, ...], int]:
        """One ``_search`` of size 0: the total hits for ``by=()``, else nested ``terms`` aggregations
        (``by_service`` → ``by_level``, in the order of ``by``) whose leaf ``doc_count`` is each group's count."""
        by = check_count_by(by)
        aggs: dict = {}
        for label in reversed(by):
            agg: dict = {"terms": {"field": label, "size": TERMS_SIZE[label]}}
            if aggs:
                agg["aggs"] = aggs
            aggs = {f"by_{label}": agg}
        # Without groups only the total is needed: exact (``track_total_hits``), not capped at 10,000.
        wanted = {"aggs": aggs} if by else {"track_total_hits": True}
        try:
            response = self.client.search(
                index=f"{INDEX_PREFIX}*", query=self._query(query), size=0, ignore_unavailable=True,
                allow_no_indices=True, **wanted,
            )  # fmt: skip
        except (ApiError, TransportError) as exc:
            raise self._unavailable(exc) from exc
        if not by:
            return {(): int(response["hits"]["total"]["value"])}
        out: dict[tuple[str, ...], int] = {}
        self._walk(response.get("aggregations", {}), by, (), out)
        return out

    def _walk(self, node: dict, by: tuple[str, ...], key: tuple[str, ...], out: dict) -> None:
        label, rest = by[0], by[1:]
        terms = node.get(f"by_{label}", {})
        if terms.get("sum_other_doc_count"):
            logger.warning("Log counts by %s left out %s lines (over %s groups)", label,
                           terms["sum_other_doc_count"], TERMS_SIZE[label])  # fmt: skip
        for bucket in terms.get("buckets", []):
            here = (*key, str(bucket["key"]))
            if rest:
                self._walk(bucket, rest, here, out)
            else:
                out[here] = int(bucket["doc_count"])

    def delete_before(self, cutoff: dt.datetime, *, batch_size: int, max_batches: int) -> int:
        """Drop whole daily indices that end before ``cutoff`` (returns the number of indices dropped)."""
        try:
            names = list(
                self.client.indices.get(index=f"{INDEX_PREFIX}*", ignore_unavailable=True, allow_no_indices=True)
            )
            dropped = 0
            for name in sorted(names)[:max_batches]:
                try:
                    day = dt.datetime.strptime(name[len(INDEX_PREFIX) :], "%Y.%m.%d").replace(tzinfo=dt.UTC)
                except ValueError:
                    continue
                if day + dt.timedelta(days=1) <= cutoff:
                    self.client.indices.delete(index=name)
                    dropped += 1
            return dropped
        except (ApiError, TransportError) as exc:
            raise self._unavailable(exc) from exc
