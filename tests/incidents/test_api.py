"""The incidents API: role checks, commands, 409s with allowed states, stale versions, bad input as JSON,
timeline filter/export, postmortem and action items, metrics, query-count bounds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident
from incidents.services import incident_create, incident_transition
from sre.audit.services import TOKEN_USE_QUERIES
from tests.incidents.factories import ActionItemFactory, ComponentFactory, IncidentFactory, ServiceFactory

pytestmark = pytest.mark.django_db
BASE = "/api/v1/incidents"


def _incident(**kwargs) -> Incident:
    return incident_create(title=kwargs.pop("title", "Checkout errors"), actor="t", now=timezone.now(), **kwargs)


def test_viewers_read_responders_write_admins_configure(token_client) -> None:
    incident = _incident()
    viewer, responder, admin = token_client("viewer"), token_client("responder"), token_client("admin")
    assert viewer.get(f"{BASE}/").status_code == 200
    assert viewer.get(f"{BASE}/{incident.pk}/").status_code == 200
    denied = viewer.post(f"{BASE}/", {"title": "x"}, format="json")
    assert denied.status_code == 403 and "responder role" in denied.json()["error"]["message"]
    assert viewer.post(f"{BASE}/{incident.pk}/acknowledge/").status_code == 403
    assert viewer.post(f"{BASE}/{incident.pk}/updates/", {"body": "x"}, format="json").status_code == 403
    assert viewer.get(f"{BASE}/{incident.pk}/updates/").status_code == 200
    assert responder.post(f"{BASE}/", {"title": "DB down", "severity": "sev1"}, format="json").status_code == 201
    assert responder.patch(f"{BASE}/severities/sev1/", {"label": "P0"}, format="json").status_code == 403
    assert responder.delete(f"{BASE}/{incident.pk}/").status_code == 403
    assert admin.patch(f"{BASE}/severities/sev1/", {"label": "P0"}, format="json").json()["label"] == "P0"
    assert admin.delete(f"{BASE}/{incident.pk}/").status_code == 204


def test_read_only_token_cannot_write(token_client) -> None:
    client = token_client("responder", scopes=("read",))
    response = client.post(f"{BASE}/", {"title": "x"}, format="json")
    assert response.status_code == 403 and "'write' scope" in response.json()["error"]["message"]


def test_create_with_services_components_and_bad_input(token_client) -> None:
    ServiceFactory(name="checkout")
    api = ComponentFactory(name="API")
    client = token_client("responder")
    body = {"title": "Checkout 500s", "severity": "sev1", "services": ["checkout"],
            "components": [{"component": api.pk, "status": "major_outage"}]}  # fmt: skip
    created = client.post(f"{BASE}/", body, format="json").json()
    assert created["services"] == ["checkout"] and created["components"][0]["status"] == "major_outage"
    assert created["allowed_next"] == ["investigating", "identified", "monitoring", "resolved"]
    for bad, field in [
        ({"title": "x", "colour": "red"}, "colour"),
        ({"title": "x", "severity": "sev7"}, "severity"),
        ({"title": "x", "services": ["nope"]}, "services"),
        ({"title": "x", "started_at": "yesterday"}, "started_at"),
        ({"title": ""}, "title"),
        ({"title": "x", "components": [{"component": api.pk, "status": "exploded"}]}, "components.0.status"),
    ]:
        response = client.post(f"{BASE}/", bad, format="json")
        assert response.status_code == 400, bad
        assert field in response.json()["error"]["fields"], (bad, response.json())
    garbage = client.post(f"{BASE}/", b"{not json", content_type="application/json")
    assert garbage.status_code == 400 and "error" in garbage.json()


def test_invalid_transition_409_lists_allowed_states(token_client) -> None:
    incident = _incident()
    client = token_client("responder")
    response = client.post(f"{BASE}/{incident.pk}/transition/", {"status": "closed"}, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["fields"]["allowed_next"] == ["investigating", "identified", "monitoring", "resolved"]
    assert "allowed next states" in error["message"]
    ok = client.post(
        f"{BASE}/{incident.pk}/transition/", {"status": "monitoring", "note": "rolled back"}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["mitigated_at"] is not None


def test_concurrent_edit_gets_stale_409_naming_who(token_client) -> None:
    incident = _incident()
    alice, bob = token_client("responder"), token_client("responder")
    v = alice.get(f"{BASE}/{incident.pk}/").json()["version"]
    assert alice.patch(f"{BASE}/{incident.pk}/", {"version": v, "summary": "alice"}, format="json").status_code == 200
    response = bob.patch(f"{BASE}/{incident.pk}/", {"version": v, "summary": "bob"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "stale"
    assert f"changed by {alice.user.username}" in response.json()["error"]["message"]
    assert alice.get(f"{BASE}/{incident.pk}/").json()["summary"] == "alice"
    missing = bob.patch(f"{BASE}/{incident.pk}/", {"summary": "no version"}, format="json")
    assert missing.status_code == 400 and "version" in missing.json()["error"]["fields"]


def test_roles_timestamps_notes_timeline_filter_and_csv(token_client, make_user) -> None:
    incident = _incident()
    client = token_client("responder")
    make_user("viewer", username="casey")
    assert (
        client.post(f"{BASE}/{incident.pk}/roles/", {"commander": "casey"}, format="json").json()["commander"]
        == "casey"
    )
    assert client.post(f"{BASE}/{incident.pk}/roles/", {"scribe": "nobody"}, format="json").status_code == 400
    detail = client.get(f"{BASE}/{incident.pk}/").json()
    earlier = (incident.started_at - timedelta(minutes=10)).isoformat()
    r = client.post(
        f"{BASE}/{incident.pk}/timestamps/", {"version": detail["version"], "started_at": earlier}, format="json"
    )
    assert r.status_code == 200
    assert client.post(f"{BASE}/{incident.pk}/notes/", {"body": "=cmd|' /C calc'!A0"}, format="json").status_code == 201
    timeline = client.get(f"{BASE}/{incident.pk}/timeline/").json()
    assert [i["kind"] for i in timeline] == ["created", "role", "edit", "note"]
    assert [i["kind"] for i in client.get(f"{BASE}/{incident.pk}/timeline/?kind=note&kind=role").json()] == [
        "role",
        "note",
    ]
    assert client.get(f"{BASE}/{incident.pk}/timeline/?kind=bogus").status_code == 400
    csv_response = client.get(f"{BASE}/{incident.pk}/timeline/?export=csv")
    assert csv_response["Content-Type"].startswith("text/csv")
    text = csv_response.content.decode()
    assert text.splitlines()[0] == "time_utc,kind,kind_label,actor,source,message"
    assert "'=cmd" in text  # spreadsheet formula neutralised


def test_updates_public_and_internal(token_client) -> None:
    incident = _incident()
    api = ComponentFactory(name="API")
    client = token_client("responder")
    body = {"body": "We see errors", "visibility": "public", "status": "identified", "public_title": "API errors",
            "components": [{"component": api.pk, "status": "partial_outage"}]}  # fmt: skip
    created = client.post(f"{BASE}/{incident.pk}/updates/", body, format="json")
    assert created.status_code == 201
    assert created.json()["public_status"] == "identified"
    assert created.json()["components"] == [{"component_id": api.pk, "name": "API", "status": "partial_outage"}]
    client.post(f"{BASE}/{incident.pk}/updates/", {"body": "internal detail"}, format="json")
    assert len(client.get(f"{BASE}/{incident.pk}/updates/?visibility=public").json()) == 1
    bad = client.post(f"{BASE}/{incident.pk}/updates/", {"body": "x", "status": "closed"}, format="json")
    assert bad.status_code == 409 and "allowed_next" in bad.json()["error"]["fields"]


def test_postmortem_api_flow_and_export(token_client) -> None:
    incident = _incident()
    client = token_client("responder")
    assert client.get(f"{BASE}/{incident.pk}/postmortem/").status_code == 404
    assert client.post(f"{BASE}/{incident.pk}/postmortem/").status_code == 409
    incident_transition(incident_id=incident.pk, target="resolved", actor="t", now=timezone.now())
    pm = client.post(f"{BASE}/{incident.pk}/postmortem/").json()
    assert pm["state"] == "draft" and "## Timeline" in pm["body"]
    saved = client.patch(
        f"{BASE}/{incident.pk}/postmortem/", {"body": "# New", "version": pm["version"]}, format="json"
    )
    assert saved.status_code == 200
    stale = client.patch(
        f"{BASE}/{incident.pk}/postmortem/", {"body": "# Old", "version": pm["version"]}, format="json"
    )
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale"
    wrong = client.post(f"{BASE}/{incident.pk}/postmortem/transition/", {"state": "published"}, format="json")
    assert wrong.status_code == 409 and wrong.json()["error"]["fields"]["allowed_next"] == ["in_review"]
    client.post(f"{BASE}/{incident.pk}/postmortem/transition/", {"state": "in_review"}, format="json")
    assert (
        client.post(f"{BASE}/{incident.pk}/postmortem/transition/", {"state": "published"}, format="json").json()[
            "state"
        ]
        == "published"
    )
    export = client.get(f"{BASE}/{incident.pk}/postmortem/export/")
    assert export.status_code == 200 and export.content.decode().count("# New") == 1
    assert "published" in export.content.decode()


def test_action_items_crud_and_overdue(token_client) -> None:
    incident = _incident()
    client = token_client("responder")
    viewer = token_client("viewer")
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    item = {"incident": incident.pk, "title": "Add canary", "due_date": yesterday, "priority": "p1",
            "link": "https://tracker.example/1"}  # fmt: skip
    created = client.post(f"{BASE}/action-items/", item, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["overdue"] is True
    assert client.post(f"{BASE}/action-items/", {"incident": incident.pk, "title": "x", "link": "javascript:alert(1)"},
                       format="json").status_code == 400  # fmt: skip
    assert (
        viewer.post(f"{BASE}/action-items/", {"incident": incident.pk, "title": "x"}, format="json").status_code == 403
    )
    item_id = created.json()["id"]
    assert [i["id"] for i in viewer.get(f"{BASE}/action-items/?overdue=1").json()["results"]] == [item_id]
    done = client.patch(f"{BASE}/action-items/{item_id}/", {"status": "done"}, format="json").json()
    assert done["completed_at"] and done["overdue"] is False
    assert viewer.get(f"{BASE}/action-items/?overdue=1").json()["results"] == []
    assert client.get(f"{BASE}/action-items/?incident=abc").status_code == 400
    assert client.delete(f"{BASE}/action-items/{item_id}/").status_code == 204


def test_policies_are_admin_configuration_with_validated_matchers(token_client) -> None:
    admin = token_client("admin")
    assert (
        token_client("responder").post(f"{BASE}/policies/", {"name": "x", "matchers": []}, format="json").status_code
        == 403
    )
    bad = admin.post(f"{BASE}/policies/", {"name": "bad", "matchers": ["team=~(unclosed"]}, format="json")
    assert bad.status_code == 400 and "matchers" in bad.json()["error"]["fields"]
    ok = admin.post(
        f"{BASE}/policies/",
        {"name": "db", "matchers": ["team=db"], "max_service_tier": None, "severity": "sev3"},
        format="json",
    )
    assert ok.status_code == 201
    url = f"{BASE}/policies/{ok.json()['id']}/"
    assert admin.patch(url, {"enabled": False}, format="json").status_code == 200
    from incidents.models import IncidentPolicy

    policy = IncidentPolicy.objects.get(name="db")  # a partial update keeps the other fields
    assert (policy.enabled, policy.matchers, policy.severity) == (False, ["team=db"], "sev3")
    patched = admin.patch(url, {"matchers": ["team=~("]}, format="json")
    assert patched.status_code == 400 and "matchers" in patched.json()["error"]["fields"]
    assert admin.delete(url).status_code == 204 and not IncidentPolicy.objects.filter(name="db").exists()


def test_metrics_endpoint(token_client) -> None:
    now = timezone.now()
    svc = ServiceFactory(name="checkout")
    incident = incident_create(
        title="x", actor="t", now=now, started_at=now - timedelta(minutes=30), services=[svc], severity="sev1"
    )
    incident_transition(incident_id=incident.pk, target="investigating", actor="t", now=now - timedelta(minutes=25))
    incident_transition(incident_id=incident.pk, target="resolved", actor="t", now=now)
    body = token_client("viewer").get(f"{BASE}/metrics/?months=2").json()
    month = body["months"][-1]
    assert body["by_severity"][month]["sev1"]["mtta_seconds"] == pytest.approx(300, abs=1)
    assert body["by_service"][month]["checkout"]["mttr_seconds"] == pytest.approx(1800, abs=1)
    assert token_client("viewer").get(f"{BASE}/metrics/?months=x").status_code == 400
    assert token_client("viewer").get(f"{BASE}/metrics/?months=99").status_code == 400


def test_list_filters_open_first_and_query_bound(token_client, django_assert_max_num_queries) -> None:
    svc = ServiceFactory(name="checkout")
    for i in range(30):
        inc = IncidentFactory(status="resolved" if i % 2 else "investigating", severity="sev2" if i % 3 else "sev1")
        inc.services.add(svc)
        ActionItemFactory(incident=inc)
    client = token_client("viewer")
    with django_assert_max_num_queries(8 + TOKEN_USE_QUERIES):  # the token's first use is audited
        response = client.get(f"{BASE}/?page_size=100")
    results = response.json()["results"]
    assert len(results) == 30
    statuses = [r["status"] for r in results]
    assert statuses == sorted(statuses, key=lambda s: s == "resolved")
    assert {r["severity"] for r in client.get(f"{BASE}/?severity=sev1").json()["results"]} == {"sev1"}
    assert client.get(f"{BASE}/?service=checkout&status=open").json()["count"] == 15
    with django_assert_max_num_queries(8):
        assert client.get(f"{BASE}/action-items/?page_size=100").json()["count"] == 30


def test_from_alert_group_prefills_and_refuses_duplicates(token_client, root_route) -> None:
    from alerts.models import AlertGroup
    from alerts.services import alert_raise

    ServiceFactory(name="search", tier=2)
    alert_raise(labels={"alertname": "HighLatency", "service": "search", "severity": "warning"},
                annotations={"summary": "p99 above 2s"}, status="firing", source="api", now=timezone.now())  # fmt: skip
    group = AlertGroup.objects.get()
    client = token_client("responder")
    created = client.post(f"{BASE}/from-alert-group/", {"group_id": group.pk}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["title"] == "HighLatency: p99 above 2s" and body["services"] == ["search"]
    assert body["severity"] == "sev3" and body["alert_groups"][0]["group_id"] == group.pk
    again = client.post(f"{BASE}/from-alert-group/", {"group_id": group.pk}, format="json")
    assert again.status_code == 409 and f"#{body['id']}" in again.json()["error"]["message"]
    assert client.post(f"{BASE}/from-alert-group/", {"group_id": 999999}, format="json").status_code == 400


def test_budget_impact_of_services_without_slos(token_client) -> None:
    incident = _incident(services=[ServiceFactory(name="checkout")])
    body = token_client("viewer").get(f"{BASE}/{incident.pk}/budget-impact/").json()
    assert body == {"state": "no_slos", "results": []}


def test_unknown_ids_are_json_404(token_client) -> None:
    client = token_client("responder")
    for url in (f"{BASE}/99999/", f"{BASE}/99999/timeline/", f"{BASE}/action-items/99999/"):
        response = client.get(url)
        assert response.status_code == 404 and response.json()["error"]["code"]
    response = client.post(f"{BASE}/99999/transition/", {"status": "resolved"}, format="json")
    assert response.status_code in (400, 404)


def test_garbage_never_500s(token_client, session_client) -> None:
    incident = _incident()
    admin = token_client("admin")
    assert admin.post(f"{BASE}/policies/", {"name": "dup", "matchers": []}, format="json").status_code == 201
    dup = admin.post(f"{BASE}/policies/", {"name": "dup", "matchers": []}, format="json")
    assert dup.status_code == 400
    for body in (
        {"name": "x", "matchers": "severity=page"},
        {"name": "y", "matchers": [1]},
        {"name": "z", "max_service_tier": 7},
    ):
        assert admin.post(f"{BASE}/policies/", body, format="json").status_code == 400, body
    cases = [
        ("post", f"{BASE}/{incident.pk}/transition/", {"status": None}),
        ("post", f"{BASE}/{incident.pk}/transition/", ["resolved"]),
        ("post", f"{BASE}/{incident.pk}/roles/", {"commander": ["a"]}),
        ("post", f"{BASE}/{incident.pk}/timestamps/", {"version": 1, "started_at": None}),
        ("post", f"{BASE}/{incident.pk}/timestamps/", {"version": "one"}),
        ("post", f"{BASE}/{incident.pk}/notes/", {"body": "x", "at": "2000-01-01T00:00:00Z"}),
        ("put", f"{BASE}/{incident.pk}/components/", {"components": [{"component": 999, "status": "operational"}]}),
        ("post", f"{BASE}/{incident.pk}/alert-groups/", {"group_id": 123456}),
        ("delete", f"{BASE}/{incident.pk}/alert-groups/123456/", None),
        ("patch", f"{BASE}/{incident.pk}/postmortem/", {"body": "x", "version": 1}),
        ("post", f"{BASE}/{incident.pk}/postmortem/transition/", {"state": "published"}),
        ("get", f"{BASE}/{incident.pk}/postmortem/export/", None),
        ("post", f"{BASE}/", {"title": "x", "alert_groups": [99999]}),
        ("post", f"{BASE}/", {"title": "x" * 500}),
        ("get", f"{BASE}/?page=zzz", None),
        ("get", f"{BASE}/{incident.pk}/timeline/?latest=-3", None),
        ("get", f"{BASE}/{incident.pk}/timeline/?latest=²", None),
        ("get", f"{BASE}/action-items/?incident=²", None),
    ]
    for method, url, body in cases:
        response = getattr(admin, method)(url, body, format="json") if body is not None else getattr(admin, method)(url)
        assert 400 <= response.status_code < 500, (method, url, body, response.status_code)
        assert "error" in response.json()
    client = session_client("responder")
    from tests.incidents.conftest import csrf_token

    token = csrf_token(client, f"/incidents/{incident.pk}/")
    for url, data in [
        (f"/incidents/{incident.pk}/postmortem/", {"version": "x", "body": "y"}),
        (f"/incidents/{incident.pk}/postmortem/", {"version": 1, "body": "y"}),
        (f"/incidents/{incident.pk}/transition/", {"status": "bogus"}),
        (f"/incidents/{incident.pk}/timestamps/", {"version": 1, "started_at": "yesterday"}),
        (f"/incidents/{incident.pk}/bogus/", {}),
        (f"/incidents/{incident.pk}/postmortem/state/", {"state": "zzz"}),
        (f"/incidents/{incident.pk}/postmortem/item/", {"title": ""}),
        ("/incidents/action-items/999/status/", {"status": "done"}),
        ("/incidents/settings/", {"key": "sev1"}),
    ]:
        response = client.post(url, {**data, "csrfmiddlewaretoken": token})
        assert response.status_code in (302, 400, 403, 404, 409), (url, response.status_code)
