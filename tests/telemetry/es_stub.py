# ruff: noqa: E501
"""A loopback stand-in for Elasticsearch (none can be installed here) that answers the requests the
log store sends as Elasticsearch 9 does: index templates, ``_bulk``, ``_search`` with bool/term/terms/
range/simple_query_string, ``date_histogram`` + ``terms`` aggregations, index listing and deletion.
Every answer carries ``X-Elastic-Product: Elasticsearch`` (the official client refuses a server without it)."""

from __future__ import annotations

import datetime as dt
import fnmatch
import http.server
import json
import re
import threading
from urllib.parse import urlsplit


class ElasticsearchStub:
    def __init__(self) -> None:
        self.templates: dict[str, dict] = {}
        self.indices: dict[str, dict[str, dict]] = {}
        self.requests: list[tuple[str, str]] = []
        self.searches: list[dict] = []  # the body of every _search, as sent
        self.fail_with: int | None = None
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _send(self, status: int, payload: dict | None) -> None:
                data = json.dumps(payload).encode() if payload is not None else b""
                self.send_response(status)
                self.send_header("X-Elastic-Product", "Elasticsearch")
                self.send_header("Content-Type", "application/vnd.elasticsearch+json;compatible-with=9")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self) -> None:
                path = urlsplit(self.path).path
                body = self._body()
                stub.requests.append((self.command, path))
                if stub.fail_with:
                    return self._send(
                        stub.fail_with,
                        {
                            "error": {"type": "cluster_block_exception", "reason": "stub failure"},
                            "status": stub.fail_with,
                        },
                    )
                status, payload = stub.route(self.command, path, body)
                self._send(status, payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ElasticsearchStub:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()

    # --- routing --------------------------------------------------------------------------------------

    def route(self, method: str, path: str, body: bytes) -> tuple[int, dict]:
        parts = [p for p in path.split("/") if p]
        if not parts:
            return 200, {
                "name": "stub",
                "cluster_name": "stub",
                "version": {"number": "9.1.0"},
                "tagline": "You Know, for Search",
            }
        if parts[0] == "_index_template" and method == "PUT":
            self.templates[parts[1]] = json.loads(body)
            return 200, {"acknowledged": True}
        if parts[0] == "_bulk":
            return 200, self.bulk(body)
        if len(parts) == 2 and parts[1] == "_search":
            self.searches.append(json.loads(body or b"{}"))
            return 200, self.search(parts[0], self.searches[-1])
        if len(parts) == 1 and method == "GET":
            return 200, {name: {"aliases": {}, "mappings": {}, "settings": {}} for name in self._match(parts[0])}
        if len(parts) == 1 and method == "DELETE":
            if parts[0] not in self.indices:
                return 404, {
                    "error": {"type": "index_not_found_exception", "reason": f"no such index [{parts[0]}]"},
                    "status": 404,
                }
            del self.indices[parts[0]]
            return 200, {"acknowledged": True}
        return 400, {
            "error": {"type": "illegal_argument_exception", "reason": f"stub does not know {method} {path}"},
            "status": 400,
        }

    def _match(self, pattern: str) -> list[str]:
        return sorted(n for n in self.indices if any(fnmatch.fnmatch(n, p) for p in pattern.split(",")))

    def bulk(self, body: bytes) -> dict:
        lines = [json.loads(x) for x in body.decode().splitlines() if x.strip()]
        items, errors = [], False
        for action_line, source in zip(lines[::2], lines[1::2], strict=True):
            op, meta = next(iter(action_line.items()))
            index = meta["_index"]
            if not any(fnmatch.fnmatch(index, p) for t in self.templates.values() for p in t["index_patterns"]):
                raise AssertionError(f"index {index} written before a matching template existed")
            docs = self.indices.setdefault(index, {})
            doc_id = meta.get("_id") or f"auto-{sum(len(d) for d in self.indices.values())}"
            if op == "create" and doc_id in docs:
                errors = True
                items.append({op: {"_index": index, "_id": doc_id, "status": 409, "error": {
                    "type": "version_conflict_engine_exception", "reason": f"[{doc_id}]: version conflict, document already exists"}}})  # fmt: skip
                continue
            docs[doc_id] = source
            items.append({op: {"_index": index, "_id": doc_id, "result": "created", "status": 201}})
        return {"took": 1, "errors": errors, "items": items}

    def _matches(self, doc: dict, query: dict) -> bool:
        boolean = query.get("bool", {})
        for clause in boolean.get("filter", []) + boolean.get("must", []):
            kind, spec = next(iter(clause.items()))
            if kind == "term":
                field, value = next(iter(spec.items()))
                if doc.get(field) != value:
                    return False
            elif kind == "terms":
                field, values = next(iter(spec.items()))
                if doc.get(field) not in values:
                    return False
            elif kind == "range":
                field, bounds = next(iter(spec.items()))
                when = _time(doc[field])
                if "gte" in bounds and when < _time(bounds["gte"]):
                    return False
                if "lt" in bounds and when >= _time(bounds["lt"]):
                    return False
            elif kind == "simple_query_string":
                words = set(re.findall(r"\w+", doc.get("message", "").lower()))
                if not all(w in words for w in re.findall(r"\w+", spec["query"].lower())):
                    return False
            else:
                raise AssertionError(f"stub does not support query {kind}")
        return True

    def search(self, pattern: str, body: dict) -> dict:
        hits = [
            {"_index": index, "_id": doc_id, "_score": None, "_source": doc}
            for index in self._match(pattern)
            for doc_id, doc in self.indices[index].items()
            if self._matches(doc, body.get("query", {}))
        ]
        hits.sort(key=lambda h: _time(h["_source"]["@timestamp"]), reverse=True)
        response: dict = {"took": 1, "timed_out": False, "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
                          "hits": {"max_score": None, "hits": hits[body.get("from", 0) : body.get("from", 0) + body.get("size", 10)]}}  # fmt: skip
        if body.get("track_total_hits"):
            response["hits"]["total"] = {"value": len(hits), "relation": "eq"}
        if "aggs" in body and "over_time" not in body["aggs"]:
            response["aggregations"] = self.terms([h["_source"] for h in hits], body["aggs"])
        elif "aggs" in body:
            hist = body["aggs"]["over_time"]["date_histogram"]
            step = int(hist["fixed_interval"].rstrip("s")) * 1000
            buckets: dict[int, dict[str, int]] = {}
            for hit in hits:
                key = int(_time(hit["_source"]["@timestamp"]).timestamp() * 1000) // step * step
                level = hit["_source"]["level"]
                buckets.setdefault(key, {}).setdefault(level, 0)
                buckets[key][level] += 1
            response["aggregations"] = {"over_time": {"buckets": [
                {"key": key, "key_as_string": str(key), "doc_count": sum(levels.values()),
                 "levels": {"buckets": [{"key": k, "doc_count": v} for k, v in sorted(levels.items())]}}
                for key, levels in sorted(buckets.items())]}}  # fmt: skip
        return response

    def terms(self, docs: list[dict], aggs: dict) -> dict:
        """Nested ``terms`` aggregations (one per level), buckets by descending count as Elasticsearch orders them."""
        out = {}
        for name, spec in aggs.items():
            terms = spec["terms"]
            groups: dict[str, list[dict]] = {}
            for doc in docs:
                groups.setdefault(doc[terms["field"]], []).append(doc)
            ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
            buckets = []
            for key, members in ordered[: terms.get("size", 10)]:
                bucket = {"key": key, "doc_count": len(members)}
                if "aggs" in spec:
                    bucket.update(self.terms(members, spec["aggs"]))
                buckets.append(bucket)
            left_out = sum(len(members) for _, members in ordered[terms.get("size", 10) :])
            out[name] = {"doc_count_error_upper_bound": 0, "sum_other_doc_count": left_out, "buckets": buckets}
        return out


def _time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
