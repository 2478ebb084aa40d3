"""API tokens, scopes and roles; the JSON error shape; throttling; anonymous access."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from sre.api.authentication import token_cache_clear
from sre.api.throttling import TokenRateThrottle
from sre.audit.services import TOKEN_USE_QUERIES
from sre.models import ApiToken
from sre.services import api_token_create


def _error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message", "fields"} <= set(body["error"])
    return body["error"]


def test_no_token_is_401_json_with_challenge(db) -> None:
    response = APIClient().get("/api/v1/me")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert _error(response)["code"] == "not_authenticated"


@pytest.mark.parametrize("header", ["Bearer nope", "Bearer sre_abcdefghij_" + "x" * 43, "Bearer a b", "Token x"])
def test_bad_tokens_are_401(db, header: str) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/me")
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    assert _error(response)["code"] in ("authentication_failed", "not_authenticated"), _error(response)


def test_token_is_stored_hashed_and_authenticates(make_user) -> None:
    user = make_user("viewer")
    token, plaintext = api_token_create(user=user, name="ci", scopes=["read"], expires_at=None, now=timezone.now())
    stored = ApiToken.objects.values().get(pk=token.pk)
    assert plaintext not in str(stored)
    assert stored["digest"] != plaintext and len(stored["digest"]) == 64
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json() == {"username": user.username, "role": "viewer", "token_scopes": ["read"]}
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


def test_ingest_only_token_reads_nothing(token_client) -> None:
    client = token_client("admin", scopes=("ingest",))
    for path in ("/api/v1/me", "/api/v1/tokens/"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "'read' scope" in _error(response)["message"]
    assert client.get("/api/schema/").status_code == 403
    assert token_client("viewer", scopes=("read",)).get("/api/schema/").status_code == 200


def test_read_token_cannot_write(token_client) -> None:
    client = token_client("admin", scopes=("read",))
    assert client.get("/api/v1/tokens/").status_code == 200
    response = client.post("/api/v1/tokens/", {"name": "x", "scopes": ["read"]}, format="json")
    assert response.status_code == 403
    assert "'write' scope" in _error(response)["message"]


def test_user_without_role_is_forbidden(token_client) -> None:
    client = token_client(role="viewer")
    client.user.groups.clear()
    response = client.get("/api/v1/me")
    assert response.status_code == 403
    assert "viewer role" in _error(response)["message"]


def test_revoked_and_expired_tokens_stop_working(token_client) -> None:
    client = token_client("viewer", scopes=("read", "write"))
    created = client.post("/api/v1/tokens/", {"name": "short", "scopes": ["read"]}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["token"].startswith("sre_") and "digest" not in body
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert other.get("/api/v1/me").status_code == 200
    assert client.delete(f"/api/v1/tokens/{body['id']}/").status_code == 204
    assert other.get("/api/v1/me").status_code == 401
    assert client.delete(f"/api/v1/tokens/{body['id']}/").status_code == 409  # already revoked
    ApiToken.objects.filter(user=client.user).exclude(pk=body["id"]).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    # A raw UPDATE sends no signal: this process would see it after TOKEN_CACHE_SECONDS (as other
    # workers do for any change); clearing the cache stands for that wait.
    token_cache_clear()
    assert client.get("/api/v1/me").status_code == 401


def test_listing_never_returns_secrets_and_viewers_see_only_their_own(token_client, django_assert_max_num_queries):
    admin = token_client("admin")
    viewer = token_client("viewer")
    with django_assert_max_num_queries(6 + TOKEN_USE_QUERIES):  # the token's first use is audited
        rows = admin.get("/api/v1/tokens/").json()["results"]
    assert len(rows) == 2 and all("token" not in r and "digest" not in r for r in rows)
    assert [r["user"] for r in viewer.get("/api/v1/tokens/").json()["results"]] == [viewer.user.username]


def test_token_create_validation_names_fields(token_client) -> None:
    client = token_client("viewer")
    response = client.post("/api/v1/tokens/", {"name": "x", "scopes": ["root"], "colour": "red"}, format="json")
    assert response.status_code == 400
    assert "colour" in _error(response)["fields"]
    response = client.post("/api/v1/tokens/", {"name": "x", "scopes": ["root"]}, format="json")
    assert response.status_code == 400 and "scopes" in _error(response)["fields"]
    response = client.post("/api/v1/tokens/", {"name": "x", "scopes": "read"}, format="json")
    assert response.status_code == 400 and "scopes" in _error(response)["fields"]
    past = (timezone.now() - dt.timedelta(days=1)).isoformat()
    response = client.post("/api/v1/tokens/", {"name": "x", "scopes": ["read"], "expires_at": past}, format="json")
    assert response.status_code == 400 and "expires_at" in _error(response)["fields"]


def test_a_token_cannot_create_a_token_with_more_scopes_than_its_own(token_client) -> None:
    client = token_client("admin", scopes=("write",))
    body = {"name": "wider", "scopes": ["ingest", "read", "write"]}
    response = client.post("/api/v1/tokens/", body, format="json")
    assert response.status_code == 403
    error = _error(response)
    assert error["code"] == "permission_denied" and "ingest, read" in error["message"]
    assert "scopes" in error["fields"]
    assert ApiToken.objects.filter(user=client.user).count() == 1
    assert client.post("/api/v1/tokens/", {"name": "same", "scopes": ["write"]}, format="json").status_code == 201


def test_a_token_cannot_create_a_token_that_outlives_it(make_user) -> None:
    now = timezone.now()
    user = make_user("admin")
    _, plaintext = api_token_create(
        user=user, name="short", scopes=["read", "write"], expires_at=now + dt.timedelta(hours=1), now=now
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    later = (now + dt.timedelta(days=30)).isoformat()
    for extra in ({}, {"expires_at": None}, {"expires_at": later}):
        response = client.post("/api/v1/tokens/", {"name": "long", "scopes": ["read"], **extra}, format="json")
        assert response.status_code == 403, extra
        assert "expires_at" in _error(response)["fields"]
    sooner = (now + dt.timedelta(minutes=30)).isoformat()
    response = client.post("/api/v1/tokens/", {"name": "ok", "scopes": ["read"], "expires_at": sooner}, format="json")
    assert response.status_code == 201
    assert ApiToken.objects.filter(user=user).count() == 2


def test_malformed_json_and_oversized_bodies(token_client, settings) -> None:
    client = token_client("admin")
    response = client.generic("POST", "/api/v1/tokens/", b'{"name": ', content_type="application/json")
    assert response.status_code == 400 and "Malformed JSON" in _error(response)["message"]
    response = client.generic("POST", "/api/v1/tokens/", b'{"name": NaN}', content_type="application/json")
    assert response.status_code == 400
    # A NUL character cannot be stored by PostgreSQL: refused by the parser; an escaped backslash before "u0000" is
    # ordinary text.
    response = client.generic("POST", "/api/v1/tokens/", b'{"name": "a\\u0000"}', content_type="application/json")
    assert response.status_code == 400 and "NUL" in _error(response)["message"]
    body = b'{"name": "a\\\\u0000", "scopes": ["read"]}'
    response = client.generic("POST", "/api/v1/tokens/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.generic(
        "POST", "/api/v1/tokens/", b'{"name": "' + b"x" * 2000 + b'"}', content_type="application/json"
    )
    assert response.status_code == 413 and _error(response)["code"] == "payload_too_large"
    response = client.generic("POST", "/api/v1/tokens/", b"name=x", content_type="text/csv")
    assert response.status_code == 415


def test_unknown_api_path_is_json_404(token_client) -> None:
    response = token_client("admin").get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


def test_throttle_answers_429_with_retry_after(token_client, monkeypatch) -> None:
    from django.core.cache import cache

    cache.clear()
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "3/min"})
    client = token_client("viewer")
    other = token_client("viewer")
    codes = [client.get("/api/v1/me").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = client.get("/api/v1/me")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert _error(response)["code"] == "throttled"
    assert other.get("/api/v1/me").status_code == 200  # per token, not global
    cache.clear()


def test_create_api_token_command_prints_a_working_token(make_user) -> None:
    user = make_user("responder", username="ops-bot")
    out = io.StringIO()
    call_command(
        "create_api_token", "--user", "ops-bot", "--scopes", "ingest,read", "--expires-in-days", "7", stdout=out
    )
    plaintext = out.getvalue().strip()
    token = ApiToken.objects.get(user=user)
    assert token.scopes == ["ingest", "read"] and token.expires_at is not None
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert client.get("/api/v1/me").json()["role"] == "responder"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/healthz", 200),
        ("/metrics", 200),
        ("/status/", 200),
        ("/accounts/login/", 200),
        ("/", 302),
        ("/settings/", 302),
        ("/slos/", 302),
        ("/admin/", 302),
        ("/logs/", 302),
    ],
)
def test_anonymous_reaches_only_public_paths(db, path: str, status: int) -> None:
    response = Client().get(path)
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/accounts/login/?next=")


def test_public_paths_are_configurable(db, settings) -> None:
    settings.SRE = {**settings.SRE, "PUBLIC_PATHS": ["/status/", "/healthz"]}
    metrics = Client().get("/metrics")
    assert metrics.status_code == 302 and metrics["Location"] == "/accounts/login/?next=/metrics"
    assert Client().get("/healthz").json() == {"status": "ok"}


def test_token_lookup_is_cached_for_a_few_seconds(token_client, monkeypatch) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sre.api import authentication

    client = token_client("viewer", scopes=("read",))
    assert client.get("/api/v1/me").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/me").status_code == 200
    assert not [q for q in queries if "sre_apitoken" in q["sql"]]
    # A change that sends no signal (another process's view of a revocation) shows after the TTL.
    ApiToken.objects.filter(user=client.user).update(revoked_at=timezone.now())
    assert client.get("/api/v1/me").status_code == 200
    later = authentication._clock() + authentication.TOKEN_CACHE_SECONDS + 1
    monkeypatch.setattr(authentication, "_clock", lambda: later)
    assert client.get("/api/v1/me").status_code == 401
