"""The releases API: roles and scopes, the gate's answer as CI reads it, bad input refused with a 4xx naming the
field (nothing half-saved), secrets never echoed, list query bounds and the OpenAPI description."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from releases.models import BudgetPolicy, Deployment, GateOverride
from releases.services.gate import override_create
from releases.services.notices import budget_notices_evaluate
from sre.choices import Role
from tests.releases.conftest import set_consumed
from tests.releases.factories import DeploymentFactory
from tests.slo.factories import SLOFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen(checkout, slo):
    """checkout-availability has spent 150% of its budget (evaluated a minute ago)."""
    now = timezone.now()
    set_consumed(slo, 150, at=now - dt.timedelta(minutes=1))
    budget_notices_evaluate(now=now - dt.timedelta(minutes=1))
    return checkout


# --- the gate ------------------------------------------------------------------------------------------------


def test_the_gate_denies_with_the_reasons_for_a_read_token(token_client, frozen):
    client = token_client(Role.VIEWER, scopes=("read",))
    response = client.get("/api/v1/deploy-gate", {"service": "checkout"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["decision"] == "deny" and body["service"] == "checkout" and body["frozen"] is True
    (reason,) = body["reasons"]
    assert reason["slo"] == "checkout-availability" and reason["consumed_percent"] == 150.0
    assert reason["since"] is not None and body["override"] is None


def test_an_override_makes_it_allow_and_says_so(token_client, frozen):
    responder = token_client(Role.RESPONDER)
    created = responder.post(
        "/api/v1/deploy-gate/overrides",
        {"service": "checkout", "reason": "hotfix", "expires_at": (timezone.now() + dt.timedelta(hours=1)).isoformat()},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["created_by"] == responder.user.username
    body = token_client(Role.VIEWER, scopes=("read",)).get("/api/v1/deploy-gate?service=checkout").json()
    assert body["decision"] == "allow" and body["frozen"] is True
    assert body["override"]["id"] == created.json()["id"] and body["override"]["reason"] == "hotfix"
    revoked = responder.post(f"/api/v1/deploy-gate/overrides/{created.json()['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked_by"] == responder.user.username
    assert responder.post(f"/api/v1/deploy-gate/overrides/{created.json()['id']}/revoke").status_code == 409
    assert responder.get("/api/v1/deploy-gate?service=checkout").json()["decision"] == "deny"


@pytest.mark.parametrize(("query", "status"), [({}, 400), ({"service": ""}, 400), ({"service": "nope"}, 404)])
def test_the_gate_names_the_service_when_it_cannot_answer(token_client, checkout, query, status):
    response = token_client(Role.VIEWER, scopes=("read",)).get("/api/v1/deploy-gate", query)
    assert response.status_code == status
    assert "service" in response.json()["error"]["fields"]


def test_the_gate_needs_a_signed_in_caller_with_the_read_scope(client, token_client, checkout):
    anonymous = client.get("/api/v1/deploy-gate?service=checkout")
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "not_authenticated"
    ingest = token_client(Role.ADMIN, scopes=("ingest",)).get("/api/v1/deploy-gate?service=checkout")
    assert ingest.status_code == 403 and ingest.json()["error"]["code"] == "permission_denied"
    assert "decision" not in ingest.json()


# --- deployments ---------------------------------------------------------------------------------------------


def test_a_responder_token_with_write_records_a_deployment(token_client, checkout, slo):
    client = token_client(Role.RESPONDER, scopes=("read", "write"))
    response = client.post(
        "/api/v1/deployments",
        {"service": "checkout", "version": "2026.3.1", "url": "https://ci.example.com/runs/9", "description": "x"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["service"] == "checkout" and body["version"] == "2026.3.1" and body["watch_state"] == "watching"
    assert body["created_by"] == client.user.username and body["token"] == "test"
    assert body["rollback_state"] == "none"
    detail = client.get(f"/api/v1/deployments/{body['id']}")
    assert detail.status_code == 200 and detail.json()["url"] == "https://ci.example.com/runs/9"


def test_a_retried_record_with_the_same_idempotency_key_records_once(token_client, checkout, slo):
    client = token_client(Role.RESPONDER, scopes=("read", "write"))
    body = {"service": "checkout", "version": "2026.3.2", "idempotency_key": "ci-run-4711"}
    first = client.post("/api/v1/deployments", body, format="json")
    again = client.post("/api/v1/deployments", body, format="json")
    assert first.status_code == 201 and again.status_code == 200, (first.content, again.content)
    assert again.json()["id"] == first.json()["id"]
    assert Deployment.objects.count() == 1
    # The same key naming another version is a conflict, not a silent replay; without a key every call records.
    clash = client.post("/api/v1/deployments", {**body, "version": "2026.3.3"}, format="json")
    assert clash.status_code == 409 and "idempotency_key" in clash.json()["error"]["fields"]
    for _ in range(2):
        assert (
            client.post("/api/v1/deployments", {"service": "checkout", "version": "x"}, format="json").status_code
            == 201
        )
    assert Deployment.objects.count() == 3
    too_long = client.post("/api/v1/deployments", {**body, "idempotency_key": "k" * 101}, format="json")
    assert too_long.status_code == 400 and Deployment.objects.count() == 3


@pytest.mark.parametrize(
    ("role", "scopes"),
    [(Role.VIEWER, ("read", "write")), (Role.RESPONDER, ("read",)), (Role.ADMIN, ("ingest",))],
)
def test_recording_needs_the_responder_role_and_the_write_scope(token_client, checkout, role, scopes):
    response = token_client(role, scopes=scopes).post(
        "/api/v1/deployments", {"service": "checkout", "version": "1"}, format="json"
    )
    assert response.status_code == 403
    assert not Deployment.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"version": "1"}, "service"),
        ({"service": "nope", "version": "1"}, "service"),
        ({"service": "checkout"}, "version"),
        ({"service": "checkout", "version": 7}, "version"),
        ({"service": "checkout", "version": "   "}, "version"),
        ({"service": "checkout", "version": "1", "url": "javascript:alert(1)"}, "url"),
        ({"service": "checkout", "version": "1", "at": "yesterday"}, "at"),
        ({"service": "checkout", "version": "1", "at": "2999-01-01T00:00:00Z"}, "at"),
        ({"service": "checkout", "version": "1", "at": "0001-01-01T00:00:00Z"}, "at"),
        ({"service": "checkout", "version": "1", "extra": True}, "extra"),
    ],
)
def test_bad_deployments_are_400s_naming_the_field(token_client, checkout, body, field):
    response = token_client(Role.RESPONDER).post("/api/v1/deployments", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert not Deployment.objects.exists()


def test_deployments_list_filters_and_its_query_count_does_not_grow(
    token_client, checkout, django_assert_max_num_queries
):
    client = token_client(Role.VIEWER, scopes=("read",))
    other = SLOFactory().service
    for index in range(30):
        DeploymentFactory(service=checkout if index % 2 else other, version=f"v{index}")
    with django_assert_max_num_queries(10):  # 7 are the token's (its audited first use), 2 the list's
        response = client.get("/api/v1/deployments", {"service": "checkout"})
    assert response.status_code == 200
    assert response.json()["count"] == 15 and {d["service"] for d in response.json()["results"]} == {"checkout"}


# --- overrides -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"service": "checkout", "expires_at": "2999-01-01T00:00:00Z"}, "reason"),
        ({"service": "checkout", "reason": "", "expires_at": "2999-01-01T00:00:00Z"}, "reason"),
        ({"service": "checkout", "reason": "r"}, "expires_at"),
        ({"service": "checkout", "reason": "r", "expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
        ({"service": "checkout", "reason": "r", "expires_at": "2999-01-01T00:00:00Z"}, "expires_at"),
        ({"service": "nope", "reason": "r", "expires_at": "2999-01-01T00:00:00Z"}, "service"),
    ],
)
def test_bad_overrides_are_400s_naming_the_field(token_client, checkout, body, field):
    response = token_client(Role.RESPONDER).post("/api/v1/deploy-gate/overrides", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert not GateOverride.objects.exists()


def test_overriding_needs_the_responder_role(token_client, checkout):
    body = {"service": "checkout", "reason": "r", "expires_at": (timezone.now() + dt.timedelta(hours=1)).isoformat()}
    assert token_client(Role.VIEWER).post("/api/v1/deploy-gate/overrides", body, format="json").status_code == 403
    override = override_create(service=checkout, reason="r", expires_at=timezone.now() + dt.timedelta(hours=1),
                               user=None, now=timezone.now())  # fmt: skip
    assert token_client(Role.VIEWER).post(f"/api/v1/deploy-gate/overrides/{override.pk}/revoke").status_code == 403


def test_overrides_list_by_activity(token_client, checkout, django_assert_max_num_queries):
    now = timezone.now()
    for hours in (1, 2, 3):
        override_create(service=checkout, reason="r", expires_at=now + dt.timedelta(hours=hours), user=None, now=now)
    GateOverride.objects.filter(expires_at__lt=now + dt.timedelta(hours=1, minutes=30)).update(revoked_at=now)
    client = token_client(Role.VIEWER, scopes=("read",))
    with django_assert_max_num_queries(10):  # 7 are the token's (its audited first use), 2 the list's
        active = client.get("/api/v1/deploy-gate/overrides", {"service": "checkout", "active": "true"})
    assert active.json()["count"] == 2
    assert client.get("/api/v1/deploy-gate/overrides", {"active": "false"}).json()["count"] == 1
    assert client.get("/api/v1/deploy-gate/overrides", {"active": "maybe"}).status_code == 400


# --- budget policies -----------------------------------------------------------------------------------------


def test_an_admin_configures_a_policy_and_the_secret_is_never_echoed(token_client, checkout, slo, settings):
    settings.SRE = {**settings.SRE, "ALERTS_ALLOW_PRIVATE_TARGETS": True}
    admin = token_client(Role.ADMIN)
    response = admin.post(
        "/api/v1/budget-policies",
        {"service": "checkout", "thresholds": [50, 99.5, 100], "release_burn_factor": 14.4,
         "rollback_webhook_url": "http://127.0.0.1:9/rollback", "rollback_webhook_secret": "s3cret"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["thresholds"] == [50, 99.5, 100] and body["release_burn_factor"] == 14.4
    assert body["has_rollback_webhook_secret"] is True and "rollback_webhook_secret" not in body
    assert "s3cret" not in response.content.decode()
    patched = admin.patch(f"/api/v1/budget-policies/{body['id']}", {"freeze_on_exhaustion": False}, format="json")
    assert patched.status_code == 200 and patched.json()["has_rollback_webhook_secret"] is True
    assert BudgetPolicy.objects.get().rollback_webhook_secret == "s3cret"
    again = admin.post("/api/v1/budget-policies", {"service": "checkout"}, format="json")
    assert again.status_code == 409 and "service" in again.json()["error"]["fields"]
    slo_policy = admin.post("/api/v1/budget-policies", {"service": "checkout", "slo": slo.name}, format="json")
    assert slo_policy.status_code == 201 and slo_policy.json()["slo"] == slo.name
    assert admin.delete(f"/api/v1/budget-policies/{body['id']}").status_code == 204


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"service": "checkout", "thresholds": ["x"]}, "thresholds.0"),
        ({"service": "checkout", "thresholds": [80, 80]}, "thresholds"),
        ({"service": "checkout", "thresholds": "80,95"}, "thresholds"),
        ({"service": "checkout", "release_burn_factor": 0}, "release_burn_factor"),
        ({"service": "checkout", "release_burn_factor": "ten"}, "release_burn_factor"),
        ({"service": "checkout", "release_watch_minutes": 0}, "release_watch_minutes"),
        ({"service": "checkout", "rollback_webhook_url": "http://169.254.169.254/"}, "rollback_webhook_url"),
        ({"service": "nope"}, "service"),
        ({"thresholds": [80]}, "service"),
    ],
)
def test_bad_policies_are_400s_naming_the_field(token_client, checkout, body, field):
    response = token_client(Role.ADMIN).post("/api/v1/budget-policies", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert not BudgetPolicy.objects.exists()


def test_policies_are_configuration(token_client, checkout):
    assert token_client(Role.RESPONDER).post("/api/v1/budget-policies", {"service": "checkout"},
                                             format="json").status_code == 403  # fmt: skip
    assert token_client(Role.VIEWER, scopes=("read",)).get("/api/v1/budget-policies").status_code == 200


def test_policies_list_query_count(token_client, django_assert_max_num_queries):
    for _ in range(20):
        slo = SLOFactory()
        BudgetPolicy.objects.create(service=slo.service)
        BudgetPolicy.objects.create(service=slo.service, slo=slo)
    client = token_client(Role.VIEWER, scopes=("read",))
    with django_assert_max_num_queries(10):  # 7 are the token's (its audited first use), 2 the list's
        response = client.get("/api/v1/budget-policies")
    assert response.json()["count"] == 40


# --- OpenAPI -------------------------------------------------------------------------------------------------


def test_the_schema_describes_the_endpoints() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    gate = paths["/api/v1/deploy-gate"]["get"]
    (service,) = [p for p in gate["parameters"] if p["name"] == "service"]
    assert service["required"] is True and service["in"] == "query"
    assert {"200", "400", "404"} <= set(gate["responses"])
    assert gate["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/DeployGate")
    create = paths["/api/v1/deployments"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    request = schema["components"]["schemas"][body]
    assert set(request["required"]) == {"service", "version"} and request["additionalProperties"] is False
    assert "post" in paths["/api/v1/deploy-gate/overrides/{id}/revoke"]
    assert {"get", "put", "patch", "delete"} <= set(paths["/api/v1/budget-policies/{id}"])
    components = schema["components"]["schemas"]
    assert "rollback_webhook_secret" in components["ReleaseBudgetPolicyRequest"]["properties"]
    assert "rollback_webhook_secret" not in components["ReleaseBudgetPolicy"]["properties"]
