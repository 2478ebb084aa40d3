"""The heartbeats API: the public ping endpoints (no credentials, bad key 400 naming uuid, unknown 404, bounded),
and the management API (roles, the ping URL only for responders and admins, errors naming the field, nothing
half-saved, bounded queries)."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from alerts.models import Alert
from heartbeats.api.ping import HeartbeatPingThrottle
from heartbeats.choices import CheckState
from heartbeats.models import Check, Ping
from sre.choices import Role
from sre.identity.token_throttle import token_failure_record
from tests.heartbeats.factories import CheckFactory

pytestmark = pytest.mark.django_db

VALID = {"name": "nightly-backup", "schedule_kind": "cron", "cron": "30 2 * * *", "timezone": "Europe/Berlin",
         "grace_seconds": 3600, "service": "db", "labels": {"env": "prod"}}  # fmt: skip


@pytest.fixture
def anonymous(root_route) -> Client:
    return Client(enforce_csrf_checks=True)


# --- ping endpoints ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("suffix", "method", "kind", "state"),
    [
        ("", "get", "success", CheckState.UP),
        ("", "post", "success", CheckState.UP),
        ("", "head", "success", CheckState.UP),
        ("/start", "post", "start", CheckState.NEW),
        ("/fail", "get", "fail", CheckState.FAILED),
        ("/0", "post", "success", CheckState.UP),
        ("/3", "post", "fail", CheckState.FAILED),
    ],
)
def test_ping_without_credentials_or_csrf(anonymous, suffix, method, kind, state) -> None:
    check = CheckFactory()
    response = getattr(anonymous, method)(f"/api/v1/heartbeats/{check.ping_key}{suffix}")
    assert response.status_code == 200
    if method != "head":
        assert response.json() == {"ok": True}
    ping = Ping.objects.get()
    assert (ping.kind, ping.method) == (kind, method.upper())
    check.refresh_from_db()
    assert check.state == state


def test_ping_keeps_the_body_source_and_agent(anonymous) -> None:
    check = CheckFactory()
    body = b"dumped 42 tables\n" + b"x" * 20_000
    response = anonymous.post(f"/api/v1/heartbeats/{check.ping_key}", body, content_type="text/plain",
                              HTTP_USER_AGENT="curl/8.5", REMOTE_ADDR="192.0.2.44")  # fmt: skip
    assert response.status_code == 200
    ping = Ping.objects.get()
    assert ping.body.startswith("dumped 42 tables") and len(ping.body) == 10_000 and ping.body_bytes == len(body)
    assert (ping.user_agent, ping.source_ip) == ("curl/8.5", "192.0.2.44")


@pytest.mark.parametrize("key", ["not-a-uuid", "0" * 36, "5f2b6a9e0c1d4e5f8a9b0c1d2e3f4a5b", "{5f2b6a9e-0c1d}"])
def test_a_malformed_key_is_a_400_naming_uuid(anonymous, key) -> None:
    response = anonymous.post(f"/api/v1/heartbeats/{key}/fail")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and list(error["fields"]) == ["uuid"]
    assert not Ping.objects.exists()


def test_an_unknown_key_is_a_json_404(anonymous) -> None:
    response = anonymous.get(f"/api/v1/heartbeats/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_an_exit_status_over_255_names_it(anonymous) -> None:
    check = CheckFactory()
    response = anonymous.post(f"/api/v1/heartbeats/{check.ping_key}/256")
    assert response.status_code == 400 and list(response.json()["error"]["fields"]) == ["exit_status"]


def test_bad_tokens_from_the_address_never_block_pings(anonymous, rf, settings) -> None:
    check = CheckFactory()
    request = rf.get("/", REMOTE_ADDR="127.0.0.1")
    for _ in range(settings.SRE["TOKEN_FAILURE_LIMIT"] + 1):
        token_failure_record(request)
    assert anonymous.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer sre_bad").status_code == 429  # address blocked
    response = anonymous.get(f"/api/v1/heartbeats/{check.ping_key}", HTTP_AUTHORIZATION="Bearer sre_bad")
    assert response.status_code == 200  # the header is not read here
    check.refresh_from_db()
    assert check.state == CheckState.UP and Ping.objects.filter(heartbeat=check, kind="success").count() == 1


def test_pings_are_rate_limited_per_url(anonymous, monkeypatch) -> None:
    monkeypatch.setattr(HeartbeatPingThrottle, "rate", "3/min")
    busy, quiet = CheckFactory(), CheckFactory()
    answers = [anonymous.get(f"/api/v1/heartbeats/{busy.ping_key}").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert anonymous.get(f"/api/v1/heartbeats/{quiet.ping_key}").status_code == 200
    assert Ping.objects.filter(heartbeat=busy).count() == 3


def test_a_failure_ping_raises_its_alert_from_the_request(anonymous, django_capture_on_commit_callbacks) -> None:
    check = CheckFactory(slug="nightly")
    with django_capture_on_commit_callbacks(execute=True):
        response = anonymous.post(f"/api/v1/heartbeats/{check.ping_key}/fail", b"disk full", content_type="text/plain")
    assert response.status_code == 200
    alert = Alert.objects.get(source="heartbeat")
    assert alert.labels["alertname"] == "HeartbeatFailed" and alert.annotations["output"] == "disk full"


# --- management API ---------------------------------------------------------------------------------------------
def test_admin_creates_a_check_and_roles_see_the_ping_url_or_not(token_client) -> None:
    admin = token_client(Role.ADMIN)
    response = admin.post("/api/v1/heartbeat-checks/", VALID, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    check = Check.objects.get()
    assert body["slug"] == "nightly-backup" and body["state"] == "new" and body["severity"] == "critical"
    assert body["schedule_description"].startswith("At 02:30 (Europe/Berlin; cron 30 2 * * *)")
    assert body["ping_url"].endswith(f"/api/v1/heartbeats/{check.ping_key}") and body["ping_key"] == str(check.ping_key)
    responder = token_client(Role.RESPONDER, scopes=("read",)).get(f"/api/v1/heartbeat-checks/{check.pk}/")
    assert responder.json()["ping_url"] == body["ping_url"]
    viewer = token_client(Role.VIEWER, scopes=("read",))
    for payload in (viewer.get(f"/api/v1/heartbeat-checks/{check.pk}/").json(),
                    viewer.get("/api/v1/heartbeat-checks/").json()["results"][0]):  # fmt: skip
        assert payload["ping_url"] is None and payload["ping_key"] is None
        assert str(check.ping_key) not in str(payload)


@pytest.mark.parametrize(
    ("role", "method", "path", "status"),
    [
        (Role.VIEWER, "post", "/api/v1/heartbeat-checks/", 403),
        (Role.RESPONDER, "post", "/api/v1/heartbeat-checks/", 403),
        (Role.RESPONDER, "patch", "/api/v1/heartbeat-checks/{pk}/", 403),
        (Role.RESPONDER, "delete", "/api/v1/heartbeat-checks/{pk}/", 403),
        (Role.RESPONDER, "post", "/api/v1/heartbeat-checks/{pk}/ping-key/", 403),
        (Role.VIEWER, "post", "/api/v1/heartbeat-checks/{pk}/pause/", 403),
        (Role.RESPONDER, "post", "/api/v1/heartbeat-checks/{pk}/pause/", 200),
        (Role.RESPONDER, "post", "/api/v1/heartbeat-checks/{pk}/resume/", 200),
        (Role.VIEWER, "get", "/api/v1/heartbeat-checks/{pk}/pings/", 200),
        (Role.ADMIN, "post", "/api/v1/heartbeat-checks/{pk}/ping-key/", 200),
        (Role.ADMIN, "delete", "/api/v1/heartbeat-checks/{pk}/", 204),
    ],
)
def test_roles(token_client, root_route, role, method, path, status) -> None:
    check = CheckFactory()
    before = Check.objects.filter(pk=check.pk).values().get()
    client = token_client(role, scopes=("read", "write"))
    response = getattr(client, method)(path.format(pk=check.pk), {}, format="json")
    assert response.status_code == status, response.content
    after = Check.objects.filter(pk=check.pk).values().first()
    if status == 403:  # refused: nothing created or changed
        assert response.json()["error"]["code"] == "permission_denied"
        assert Check.objects.count() == 1 and after == before
    elif method == "delete":
        assert after is None
    elif path.endswith("/pings/"):
        assert response.json()["results"] == []
    elif path.endswith("/ping-key/"):
        assert after["ping_key"] != before["ping_key"] and response.json()["ping_key"] == str(after["ping_key"])
    else:  # pause, resume
        assert after["paused"] is path.endswith("/pause/") and response.json()["paused"] is after["paused"]


def test_pause_and_resume_through_the_api(token_client, root_route) -> None:
    check = CheckFactory()
    responder = token_client(Role.RESPONDER)
    paused = responder.post(f"/api/v1/heartbeat-checks/{check.pk}/pause/").json()
    assert paused["paused"] is True and paused["state"] == "paused"
    resumed = responder.post(f"/api/v1/heartbeat-checks/{check.pk}/resume/").json()
    assert resumed["paused"] is False and resumed["state"] == "new"


def test_a_new_ping_key_through_the_api(token_client, anonymous) -> None:
    check = CheckFactory()
    old = check.ping_key
    body = token_client(Role.ADMIN).post(f"/api/v1/heartbeat-checks/{check.pk}/ping-key/").json()
    assert body["ping_key"] != str(old)
    assert anonymous.get(f"/api/v1/heartbeats/{old}").status_code == 404
    assert anonymous.get(f"/api/v1/heartbeats/{body['ping_key']}").status_code == 200


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cron": "0 0 31 2 *"}, "cron"),  # never fires
        ({"cron": "0 0 30 2 *"}, "cron"),
        ({"cron": "*/5 * * *"}, "cron"),
        ({"timezone": "Europe/Atlantis"}, "timezone"),
        ({"schedule_kind": "weekly"}, "schedule_kind"),
        ({"grace_seconds": 10}, "grace_seconds"),
        ({"grace_seconds": "3600"}, "grace_seconds"),  # a string is not a number in JSON
        ({"labels": {"alertname": "Other"}}, "labels"),
        ({"labels": {"env": 3}}, "labels.env"),
        ({"severity": "very bad"}, "severity"),
        ({"ping_key": "5f2b6a9e-0c1d-4e5f-8a9b-0c1d2e3f4a5b"}, "ping_key"),  # read-only: unknown to input
        ({"state": "up"}, "state"),
        ({"paused": True}, "paused"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_saves_nothing(token_client, change, field) -> None:
    admin = token_client(Role.ADMIN)
    response = admin.post("/api/v1/heartbeat-checks/", {**VALID, **change}, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"], response.json()
    assert not Check.objects.exists()
    existing = CheckFactory(name="existing")
    before = Check.objects.filter(pk=existing.pk).values().get()
    response = admin.patch(f"/api/v1/heartbeat-checks/{existing.pk}/", {**VALID, **change}, format="json")
    assert response.status_code == 400 and field in response.json()["error"]["fields"]
    assert Check.objects.filter(pk=existing.pk).values().get() == before


def test_name_and_slug_are_unique(token_client) -> None:
    admin = token_client(Role.ADMIN)
    assert admin.post("/api/v1/heartbeat-checks/", VALID, format="json").status_code == 201
    again = admin.post("/api/v1/heartbeat-checks/", {**VALID, "name": "NIGHTLY-BACKUP"}, format="json")
    assert again.status_code == 400 and "name" in again.json()["error"]["fields"]
    slug = admin.post("/api/v1/heartbeat-checks/", {**VALID, "name": "other", "slug": "nightly-backup"}, format="json")
    assert slug.status_code == 400 and "slug" in slug.json()["error"]["fields"]
    assert Check.objects.count() == 1


def test_update_and_filter(token_client) -> None:
    admin = token_client(Role.ADMIN)
    created = admin.post("/api/v1/heartbeat-checks/", VALID, format="json").json()
    response = admin.patch(f"/api/v1/heartbeat-checks/{created['id']}/",
                           {"schedule_kind": "period", "period_seconds": 900}, format="json")  # fmt: skip
    assert response.status_code == 200, response.json()
    assert response.json()["cron"] == "" and response.json()["schedule_description"].startswith("Every 15 minutes")
    CheckFactory(state=CheckState.DOWN)
    down = admin.get("/api/v1/heartbeat-checks/", {"state": "down"}).json()
    assert [c["state"] for c in down["results"]] == ["down"]
    assert admin.get("/api/v1/heartbeat-checks/", {"paused": "maybe"}).status_code == 400


def test_pings_list_newest_first(token_client, anonymous) -> None:
    check = CheckFactory()
    for suffix in ("/start", "", "/fail"):
        anonymous.post(f"/api/v1/heartbeats/{check.ping_key}{suffix}")
    body = token_client(Role.VIEWER, scopes=("read",)).get(f"/api/v1/heartbeat-checks/{check.pk}/pings/").json()
    assert [p["kind"] for p in body["results"]] == ["fail", "success", "start"] and body["count"] == 3


def test_list_endpoints_use_a_bounded_number_of_queries(token_client, anonymous, django_assert_max_num_queries):
    checks = [CheckFactory() for _ in range(8)]
    for check in checks:
        for suffix in ("/start", "", "/fail"):
            anonymous.post(f"/api/v1/heartbeats/{check.ping_key}{suffix}")
    viewer = token_client(Role.VIEWER, scopes=("read",))
    responder = token_client(Role.RESPONDER, scopes=("read",))
    for client in (viewer, responder):
        client.get("/api/v1/heartbeat-checks/")  # first use of the token (audited) outside the bound
        with django_assert_max_num_queries(8):
            response = client.get("/api/v1/heartbeat-checks/")
        assert response.status_code == 200 and response.json()["count"] == 8
        with django_assert_max_num_queries(8):
            response = client.get(f"/api/v1/heartbeat-checks/{checks[0].pk}/pings/")
        assert response.status_code == 200 and response.json()["count"] == 3
