"""The slo API: CRUD with validation, roles, status, history, query-count bounds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from slo.models import SLO, Service
from slo.services import slo_evaluate_all
from sre.audit.services import TOKEN_USE_QUERIES
from tests.slo.conftest import push, traffic
from tests.slo.factories import ServiceFactory, SLOFactory

pytestmark = pytest.mark.django_db

RATIO = {
    "bad": 'http_requests_total{service="checkout", code=~"5.."}',
    "total": 'http_requests_total{service="checkout"}',
}


@pytest.fixture
def admin(token_client):
    return token_client(role="admin", scopes=("read", "write"))


@pytest.fixture
def viewer(token_client):
    return token_client(role="viewer", scopes=("read",))


def test_service_crud(admin):
    links = [{"title": "Runbook", "url": "https://wiki/x"}]
    data = {"name": "checkout", "owner_team": "payments", "tier": 1, "links": links}
    created = admin.post("/api/v1/services/", data, format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert (
        admin.patch(f"/api/v1/services/{pk}/", {"description": "Cart"}, format="json").json()["description"] == "Cart"
    )
    dup = admin.post("/api/v1/services/", {"name": "checkout"}, format="json")
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "conflict"
    bad_link = admin.post("/api/v1/services/", {"name": "x", "links": [{"url": "javascript:alert(1)"}]}, format="json")
    assert bad_link.status_code == 400
    assert admin.delete(f"/api/v1/services/{pk}/").status_code == 204
    assert not Service.objects.filter(pk=pk).exists()


def test_slo_create_with_defaults(admin):
    ServiceFactory(name="checkout")
    response = admin.post("/api/v1/slos/", {"service": "checkout", "name": "checkout-availability",
                                            "sli_kind": "ratio", "sli": RATIO}, format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["target"] == "0.99900000"
    assert (body["window_kind"], body["window_days"], body["budgeting_method"]) == ("rolling", 30, "Occurrences")
    assert [c["factor"] for c in body["alert_policy"]] == ["14.4", "6", "1"]
    slo = SLO.objects.get()
    assert slo.sli == RATIO | {"bad": 'http_requests_total{service="checkout", code=~"5.."}'}


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"sli": {"good": "x{", "total": "x"}}, "sli.good"),
        ({"sli": {"good": 'x{code=~"(?=5)5.."}', "total": "x"}}, "sli.good"),  # RE2 syntax, as Prometheus
        ({"sli": {"total": "x"}}, "sli.good"),
        ({"sli_kind": "promql", "sli": {"bad": "rate(x[5m])", "total": "x"}}, "sli.bad"),
        ({"target": "1.5"}, "target"),
        ({"target": "1"}, "target"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"alert_policy": [{"factor": 2, "long_window": "5m", "short_window": "1h"}]}, "alert_policy[0].short_window"),
        ({"window_days": 0}, "window_days"),
        ({"surprise": 1}, "surprise"),
        ({"service": "nope"}, "service"),
    ],
)
def test_slo_bad_input_is_400_naming_the_field(admin, patch, field):
    ServiceFactory(name="checkout")
    body = {"service": "checkout", "name": "s", "sli_kind": "ratio", "sli": RATIO} | patch
    response = admin.post("/api/v1/slos/", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]
    assert not SLO.objects.exists()


def test_slo_name_is_unique_409(admin):
    SLOFactory(name="dup", service=ServiceFactory(name="checkout"))
    response = admin.post("/api/v1/slos/", {"service": "checkout", "name": "dup", "sli_kind": "ratio", "sli": RATIO},
                          format="json")  # fmt: skip
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict" and "dup" in response.json()["error"]["message"]
    assert SLO.objects.filter(name="dup").count() == 1


def test_viewer_reads_but_cannot_write(viewer):
    slo = SLOFactory()
    assert viewer.get("/api/v1/slos/").status_code == 200
    assert viewer.get(f"/api/v1/slos/{slo.pk}/status").status_code == 200
    assert viewer.delete(f"/api/v1/slos/{slo.pk}/").status_code == 403
    assert viewer.post("/api/v1/services/", {"name": "x"}, format="json").status_code == 403


def test_anonymous_is_refused():
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/slos/").status_code in (401, 403)


def test_list_query_count_is_bounded(admin, django_assert_max_num_queries):
    for _ in range(15):
        SLOFactory()
    with django_assert_max_num_queries(6 + TOKEN_USE_QUERIES):  # the token's first use is audited
        response = admin.get("/api/v1/slos/")
    assert response.json()["count"] == 15
    with django_assert_max_num_queries(6):
        assert admin.get("/api/v1/services/").status_code == 200


def test_status_shape(admin):
    now = timezone.now()
    push(traffic(service="checkout", now=now, minutes=90, ok=990, errors=10), now=now)
    slo = SLOFactory(service=ServiceFactory(name="checkout"))
    body = admin.get(f"/api/v1/slos/{slo.pk}/status").json()
    assert body["data_state"] == "ok"
    assert body["target"] == "0.999"
    assert set(body["error_budget"]) >= {"total_events", "allowed_bad", "bad", "remaining_ratio"}
    assert set(body["burn_rates"]) == {"5m", "30m", "1h", "2h", "6h", "1d", "3d", "slo"}
    assert body["burn_rates"]["1h"] == pytest.approx(10.0)
    assert body["window"]["seconds"] == 30 * 86400
    # 1% errors = 10x: over 6x (6h and 30m) and over 1x (3d and 6h), under 14.4x.
    assert {a["name"] for a in body["alerts"]} == {"slow-burn", "budget-drain"}
    assert "time_to_exhaustion_seconds" in body


def test_status_404_for_unknown(admin):
    response = admin.get("/api/v1/slos/999999/status")
    assert response.status_code == 404 and "error" in response.json()


def test_history(admin):
    now = timezone.now().replace(microsecond=0)
    push(traffic(service="checkout", now=now, minutes=30, ok=100, errors=1), now=now)
    slo = SLOFactory(service=ServiceFactory(name="checkout"))
    for back in (20, 10, 0):
        slo_evaluate_all(now=now - dt.timedelta(minutes=back))
    start = (now - dt.timedelta(hours=1)).isoformat()
    body = admin.get(f"/api/v1/slos/{slo.pk}/history", {"start": start, "end": now.isoformat(), "step": 60}).json()
    assert len(body["points"]) == 3
    assert body["points"][-1]["remaining_ratio"] is not None
    coarse = admin.get(f"/api/v1/slos/{slo.pk}/history", {"start": start, "end": now.isoformat(), "step": 3600})
    assert len(coarse.json()["points"]) <= 2
    assert admin.get(f"/api/v1/slos/{slo.pk}/history", {"step": 1}).status_code == 400
    assert admin.get(f"/api/v1/slos/{slo.pk}/history", {"start": "yesterday"}).status_code == 400
    too_many = admin.get(f"/api/v1/slos/{slo.pk}/history", {"start": "2020-01-01T00:00:00Z", "step": 10})
    assert too_many.status_code == 400


def test_preview(admin):
    now = timezone.now()
    push(traffic(service="checkout", now=now, minutes=120, ok=99, errors=1), now=now)
    response = admin.post("/api/v1/slos/preview", {"sli_kind": "ratio", "sli": RATIO, "target": "0.99"}, format="json")
    body = response.json()
    assert response.status_code == 200, body
    assert body["sli"] == pytest.approx(0.99)
    assert len(body["points"]) == 24
    assert body["data_state"] == "ok"
    bad = admin.post("/api/v1/slos/preview", {"sli_kind": "ratio", "sli": {"total": "x"}}, format="json")
    assert bad.status_code == 400


def test_delete_resolves_firing_burn_alerts(admin):
    from alerts.models import Alert

    now = timezone.now().replace(microsecond=0)
    push(traffic(service="checkout", now=now, minutes=30, ok=50, errors=50), now=now)
    slo = SLOFactory(service=ServiceFactory(name="checkout"))
    slo_evaluate_all(now=now)
    assert Alert.objects.filter(status="firing").exists()
    assert admin.delete(f"/api/v1/slos/{slo.pk}/").status_code == 204
    assert not Alert.objects.filter(status="firing").exists()
