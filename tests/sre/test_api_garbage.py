"""Every API route, fed garbage by a fully privileged token, answers below 500 with a JSON error."""

from __future__ import annotations

import pytest

from tests.support.urls import iter_paths

GARBAGE: list[tuple[bytes, str]] = [
    (b"", "application/json"),
    (b"{", "application/json"),
    (b"null", "application/json"),
    (b"[]", "application/json"),
    (b"[1, 2, 3]", "application/json"),
    (b'"just a string"', "application/json"),
    (b"12345678901234567890123", "application/json"),
    (b'{"x": NaN}', "application/json"),
    (b'{"name": {"$gt": ""}, "scopes": [[[]]], "labels": 5, "samples": "x", "alerts": {}}', "application/json"),
    (b"[" * 5000 + b"]" * 5000, "application/json"),
    (b"\xff\xfe\x00garbage\x80", "application/json"),
    (b"\x00\x01\x02\x03snappy?", "application/x-protobuf"),
    (b'metric{label="unterminated 1\n', "text/plain; version=0.0.4"),
    (b"not=a&form", "application/x-www-form-urlencoded"),
    (b"--x\r\nContent-Disposition: form-data\r\n\r\n", "multipart/form-data; boundary=x"),
]


@pytest.fixture
def privileged(token_client):
    return token_client("admin", scopes=("ingest", "read", "write"))


def test_the_sweep_covers_api_routes(db) -> None:
    paths = list(iter_paths("/api/"))
    assert "/api/v1/tokens/" in paths and "/api/v1/tokens/1/" in paths and "/api/v1/me" in paths


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "GET"])
def test_garbage_never_causes_a_server_error(privileged, method: str) -> None:
    failures = []
    for path in iter_paths("/api/"):
        for body, content_type in GARBAGE if method != "GET" else [(b"", "application/json")]:
            query = "?page=-1&page_size=abc&start=yesterday&end=%ff&q=%00&limit=1e99" if method == "GET" else ""
            response = privileged.generic(method, path + query, body, content_type=content_type)
            if response.status_code >= 500:
                failures.append(f"{method} {path} [{content_type}] {body[:30]!r} -> {response.status_code}")
            elif response.status_code >= 400 and response.get("Content-Type", "").startswith("application/json"):
                assert "error" in response.json(), (method, path)
    assert not failures, "\n".join(failures)
