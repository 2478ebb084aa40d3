"""Public communication without accidents: the public title rule, the resolve prompt, the link search, the
list order and the query bounds of the incidents pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import Incident, StatusUpdate
from incidents.public import public_incidents
from sre.errors import ConflictError, InvalidInputError
from tests.incidents.factories import ComponentFactory, ServiceFactory

pytestmark = pytest.mark.django_db

INTERNAL = "HighErrorRate on checkout-7f9c: 5xx ratio 0.31 (pod db-primary-3)"


def _incident(**kwargs) -> Incident:
    return services.incident_create(title=kwargs.pop("title", INTERNAL), actor="tester", now=timezone.now(), **kwargs)


def _public(incident: Incident, body: str = "We are investigating.", **kwargs) -> StatusUpdate:
    return services.status_update_post(
        incident_id=incident.pk, body=body, visibility="public", actor="tester", now=timezone.now(), **kwargs
    )


# --- the rule ------------------------------------------------------------------------------------------


def test_first_public_update_is_refused_without_a_public_title() -> None:
    incident = _incident()
    with pytest.raises(InvalidInputError) as caught:
        _public(incident, status="identified")
    assert "public title" in caught.value.message and "public_title" in caught.value.fields
    incident.refresh_from_db()
    assert incident.status == "triage"  # nothing changed: the status move rolled back too
    assert not StatusUpdate.objects.filter(incident=incident).exists()
    # Internal updates need no public title.
    services.status_update_post(
        incident_id=incident.pk, body="ssh", visibility="internal", actor="t", now=timezone.now()
    )


def test_public_update_sets_the_public_title_inline_and_later_ones_need_none() -> None:
    incident = _incident()
    _public(incident, public_title="  Checkout errors  ")
    incident.refresh_from_db()
    assert incident.public_title == "Checkout errors"
    assert incident.timeline.filter(kind="edit", data__field="public_title").exists()
    _public(incident, body="Fix deployed.")
    assert StatusUpdate.objects.filter(incident=incident, visibility="public").count() == 2


def test_public_title_cannot_be_removed_once_public() -> None:
    incident = _incident(public_title="Checkout errors")
    _public(incident)
    incident.refresh_from_db()
    with pytest.raises(InvalidInputError):
        services.incident_update(
            incident_id=incident.pk,
            version=incident.version,
            changes={"public_title": " "},
            actor="t",
            now=timezone.now(),
        )
    services.incident_update(
        incident_id=incident.pk,
        version=incident.version,
        changes={"public_title": "Payments"},
        actor="t",
        now=timezone.now(),
    )
    incident.refresh_from_db()
    assert incident.public_title == "Payments"


def test_internal_title_never_on_the_public_feed() -> None:
    component = ComponentFactory(name="Checkout")
    incident = _incident(public_title="Checkout errors", components=[(component, "partial_outage")])
    _public(incident)
    [shown] = public_incidents()
    assert shown.name == "Checkout errors"
    assert INTERNAL not in repr(shown)


def test_alert_created_incident_does_not_leak_the_alert_text() -> None:
    from alerts.services import alert_raise

    ServiceFactory(name="checkout")
    alert_raise(
        labels={"alertname": "HighErrorRate", "service": "checkout", "severity": "page"},
        annotations={"summary": INTERNAL},
        status="firing",
        source="test",
        now=timezone.now(),
    )
    from alerts.models import AlertGroup

    group = AlertGroup.objects.latest("pk")
    incident = services.incident_create_from_group(group_id=group.pk, actor="t", now=timezone.now())
    assert INTERNAL in incident.title and not incident.public_title
    with pytest.raises(InvalidInputError):
        _public(incident)
    _public(incident, public_title="Checkout errors")
    assert [i.name for i in public_incidents()] == ["Checkout errors"]


# --- the API -------------------------------------------------------------------------------------------


def test_api_public_update_without_public_title_is_a_400_with_a_message(token_client) -> None:
    incident = _incident()
    client = token_client("responder")
    response = client.post(
        f"/api/v1/incidents/{incident.pk}/updates/", {"body": "Looking", "visibility": "public"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert "public title" in str(body).lower() and "public_title" in str(body)
    ok = client.post(
        f"/api/v1/incidents/{incident.pk}/updates/",
        {"body": "Looking", "visibility": "public", "public_title": "Checkout errors"},
        format="json",
    )
    assert ok.status_code == 201
    detail = client.get(f"/api/v1/incidents/{incident.pk}/").json()
    assert detail["public_title"] == "Checkout errors" and detail["title"] == INTERNAL


def test_api_create_and_edit_public_title(token_client) -> None:
    client = token_client("responder")
    created = client.post("/api/v1/incidents/", {"title": INTERNAL, "public_title": "Slow search"}, format="json")
    assert created.status_code == 201 and created.json()["public_title"] == "Slow search"
    pk, version = created.json()["id"], created.json()["version"]
    edited = client.patch(f"/api/v1/incidents/{pk}/", {"version": version, "public_title": "Search"}, format="json")
    assert edited.status_code == 200 and edited.json()["public_title"] == "Search"


def test_api_resolve_with_the_final_public_update(token_client) -> None:
    incident = _incident(public_title="Checkout errors")
    _public(incident)
    client = token_client("responder")
    wrong = client.post(
        f"/api/v1/incidents/{incident.pk}/transition/", {"status": "monitoring", "public_update": "x"}, format="json"
    )
    assert wrong.status_code == 400
    response = client.post(
        f"/api/v1/incidents/{incident.pk}/transition/",
        {"status": "resolved", "public_update": "All fixed.", "note": "feature flag off"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["status"] == "resolved"
    assert StatusUpdate.objects.filter(incident=incident, visibility="public", public_status="resolved").exists()
    assert incident.timeline.filter(message__contains="feature flag off").exists()


# --- the resolve prompt --------------------------------------------------------------------------------


def test_resolve_asks_for_the_final_public_update_once_customers_were_told() -> None:
    incident = _incident(public_title="Checkout errors")
    _public(incident)
    with pytest.raises(ConflictError) as caught:
        services.incident_resolve(incident_id=incident.pk, actor="t", now=timezone.now())
    assert "final public update" in caught.value.message
    incident.refresh_from_db()
    assert incident.status != "resolved"
    update = services.incident_resolve(
        incident_id=incident.pk, public_body="Fixed at 14:02.", actor="t", now=timezone.now()
    )
    incident.refresh_from_db()
    assert incident.status == "resolved" and update.public_status == "resolved" and update.body == "Fixed at 14:02."


def test_resolve_without_public_updates_or_with_confirmation() -> None:
    quiet = _incident(title="quiet")
    assert services.incident_resolve(incident_id=quiet.pk, actor="t", now=timezone.now()) is None
    quiet.refresh_from_db()
    assert quiet.status == "resolved"
    told = _incident(public_title="Checkout errors")
    _public(told)
    services.incident_resolve(incident_id=told.pk, confirm_without_public=True, actor="t", now=timezone.now())
    told.refresh_from_db()
    assert told.status == "resolved"
    assert StatusUpdate.objects.filter(incident=told, visibility="public").count() == 1


def test_resolve_page_flow(session_client, post_form) -> None:
    incident = _incident(public_title="Checkout errors")
    _public(incident)
    client = session_client("responder")
    page = f"/incidents/{incident.pk}/"
    body = client.get(page).content.decode()
    assert 'data-testid="resolve-form"' in body and "Final public update" in body
    asked = post_form(client, page, f"{page}resolve/", {"public_body": ""})
    assert asked.status_code == 400 and "final public update" in asked.content.decode()
    incident.refresh_from_db()
    assert incident.status != "resolved"
    done = post_form(client, page, f"{page}resolve/", {"public_body": "We fixed it.", "note": "rolled back 2026.11.3"})
    assert done.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.updates.filter(visibility="public", body="We fixed it.").exists()
    assert incident.timeline.filter(message__contains="rolled back 2026.11.3").exists()  # the internal note kept


def test_an_internal_update_cannot_resolve_past_the_final_public_update(session_client, post_form) -> None:
    incident = _incident(public_title="Checkout errors")
    _public(incident)
    client = session_client("responder")
    page = f"/incidents/{incident.pk}/"
    data = {"body": "db failover done", "visibility": "internal", "status": "resolved"}
    refused = post_form(client, page, f"{page}update/", data)
    assert refused.status_code == 400 and "resolve it with Resolve" in refused.content.decode()
    incident.refresh_from_db()
    assert incident.status != "resolved" and not incident.updates.filter(visibility="internal").exists()
    # Never told customers: an internal update may resolve it.
    quiet = _incident(title="Quiet")
    quiet_page = f"/incidents/{quiet.pk}/"
    assert post_form(client, quiet_page, f"{quiet_page}update/", data).status_code == 302
    quiet.refresh_from_db()
    assert quiet.status == "resolved"


def test_update_form_asks_for_the_public_title_inline_and_shows_the_error(session_client, post_form) -> None:
    incident = _incident()
    client = session_client("responder")
    page = f"/incidents/{incident.pk}/"
    assert 'data-testid="update-public-title"' in client.get(page).content.decode()
    refused = post_form(client, page, f"{page}update/", {"body": "We see errors", "visibility": "public"})
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "public title before its first public update" in text and "We see errors" in text  # kept, not lost
    ok = post_form(
        client, page, f"{page}update/", {"body": "We see errors", "visibility": "public", "public_title": "Slow API"}
    )
    assert ok.status_code == 302
    incident.refresh_from_db()
    assert incident.public_title == "Slow API"
    assert 'data-testid="update-public-title"' not in client.get(page).content.decode()


def test_declare_form_takes_the_public_title_and_a_component(session_client, post_form) -> None:
    component = ComponentFactory(name="Checkout")
    client = session_client("responder")
    response = post_form(
        client,
        "/incidents/new/",
        "/incidents/new/",
        {"title": INTERNAL, "public_title": "Checkout slow", "severity": "sev3", "component": component.pk,
         "impact": "degraded_performance"},
    )  # fmt: skip
    assert response.status_code == 302
    incident = Incident.objects.get(title=INTERNAL)
    assert incident.public_title == "Checkout slow"
    assert [(ci.component_id, ci.status) for ci in incident.component_impacts.all()] == [
        (component.pk, "degraded_performance")
    ]


# --- the list, the search ------------------------------------------------------------------------------


def test_closed_incidents_are_sorted_by_date_newest_first(session_client) -> None:
    from incidents.selectors import incident_list

    now = timezone.now()
    rows = []
    for days, severity in ((30, "sev1"), (10, "sev4"), (20, "sev2"), (5, "sev3")):
        incident = services.incident_create(
            title=f"closed {days}", severity=severity, started_at=now - timedelta(days=days), actor="t", now=now
        )
        services.incident_transition(incident_id=incident.pk, target="resolved", actor="t", now=now)
        rows.append(incident)
    open_low = _incident(title="open low", severity="sev4")
    open_high = _incident(title="open high", severity="sev1")
    titles = [i.title for i in incident_list()]
    assert titles == ["open high", "open low", "closed 5", "closed 10", "closed 20", "closed 30"]
    assert [i.title for i in incident_list(status="closed")] == ["closed 5", "closed 10", "closed 20", "closed 30"]
    assert open_low and open_high


def test_search_open_incidents_by_title_and_number(session_client) -> None:
    first = _incident(title="Checkout 500s")
    _incident(title="Search slow")
    closed = _incident(title="Checkout old")
    services.incident_transition(incident_id=closed.pk, target="resolved", actor="t", now=timezone.now())
    client = session_client("responder")
    body = client.get("/incidents/search/", {"q": "checkout", "group": "7"}).content.decode()
    assert "Checkout 500s" in body and "Checkout old" not in body and "Search slow" not in body
    assert "/incidents/link-alert-group/7/" in body
    by_number = client.get("/incidents/search/", {"q": f"#{first.pk}"}).content.decode()
    assert "Checkout 500s" in by_number
    # htmx gets the fragment; Enter in the box (or no script) a whole page with the search form again.
    assert "<html" in body and "Link alert group 7 to an open incident" in body and 'value="checkout"' in body
    fragment = client.get("/incidents/search/", {"q": "checkout"}, headers={"HX-Request": "true"}).content.decode()
    assert "Checkout 500s" in fragment and "<html" not in fragment


def test_search_limits_and_roles(session_client) -> None:
    for n in range(15):
        _incident(title=f"Outage {n}")
    responder = session_client("responder")
    body = responder.get("/incidents/search/", {"q": "outage"}, headers={"HX-Request": "true"}).content.decode()
    assert body.count('href="/incidents/') == 10 and "The first 10 shown" in body
    assert session_client("viewer").get("/incidents/search/", {"q": "outage"}).status_code == 403
    for junk in ("%", "'; drop table", "\x00", "#" + "9" * 40, "x" * 5000, "#-1", "²", "#²", "٣"):
        assert responder.get("/incidents/search/", {"q": junk, "group": junk}).status_code == 200
        assert responder.get("/incidents/", {"q": junk, "service": junk, "status": junk}).status_code == 200
        assert responder.get("/incidents/new/", {"component": junk, "slo": junk}).status_code == 200


def test_link_alert_group_from_the_search(session_client, post_form) -> None:
    from alerts.models import AlertGroup
    from alerts.services import alert_raise

    alert_raise(labels={"alertname": "Down"}, annotations={}, status="firing", source="test", now=timezone.now())
    group = AlertGroup.objects.latest("pk")
    incident = _incident(title="Checkout 500s")
    client = session_client("responder")
    page = f"/alerts/groups/{group.pk}/"
    assert 'aria-label="Link to an open incident"' in client.get(page).content.decode()
    response = post_form(client, page, f"/incidents/link-alert-group/{group.pk}/", {"incident": incident.pk})
    assert response.status_code == 302 and response.url == page
    assert incident.alert_links.filter(group=group).exists()
    junk = post_form(client, page, f"/incidents/link-alert-group/{group.pk}/", {"incident": "abc"})
    assert junk.status_code == 302
    missing = post_form(client, page, f"/incidents/link-alert-group/{group.pk}/", {"incident": 99999})
    assert missing.status_code == 302
    viewer = session_client("viewer")
    assert 'aria-label="Link to an open incident"' not in viewer.get(page).content.decode()
    # From the incident's side: the firing groups are offered by name, no id to look up.
    other = _incident(title="Other")
    detail = client.get(f"/incidents/{other.pk}/").content.decode()
    assert f'<option value="{group.pk}">alertname=Down' in detail


# --- query bounds --------------------------------------------------------------------------------------


def test_incident_list_queries_are_bounded(session_client, django_assert_max_num_queries) -> None:
    services_ = [ServiceFactory(name=f"svc-{n}") for n in range(3)]
    for n in range(30):
        incident = _incident(title=f"Incident {n}", services=services_[: n % 3 + 1], public_title=f"Public {n}")
        if n % 2:
            services.incident_transition(incident_id=incident.pk, target="resolved", actor="t", now=timezone.now())
    client = session_client("viewer")
    with django_assert_max_num_queries(12):
        response = client.get("/incidents/")
    assert response.status_code == 200 and response.content.decode().count('data-label="Title"') == 30


def test_incident_detail_queries_are_bounded(session_client, django_assert_max_num_queries) -> None:
    component = ComponentFactory(name="API")
    incident = _incident(public_title="API errors", components=[(component, "partial_outage")])
    for n in range(30):
        services.timeline_note_add(incident_id=incident.pk, body=f"note {n}", actor="t", now=timezone.now())
        _public(incident, body=f"update {n}")
    client = session_client("responder")
    with django_assert_max_num_queries(26):
        response = client.get(f"/incidents/{incident.pk}/")
    assert response.status_code == 200


def test_declare_with_a_first_public_update_needs_the_public_title(session_client, post_form) -> None:
    component = ComponentFactory(name="Checkout")
    client = session_client("responder")
    form = client.get(f"/incidents/new/?component={component.pk}").content.decode()
    assert "We are investigating degraded performance of Checkout." in form  # prefilled from the status admin
    data = {"title": INTERNAL, "severity": "sev3", "component": component.pk, "impact": "degraded_performance",
            "public_update": "We are investigating."}  # fmt: skip
    refused = post_form(client, "/incidents/new/", "/incidents/new/", data)
    assert refused.status_code == 400 and "public title before its first public update" in refused.content.decode()
    assert not Incident.objects.exists()
    done = post_form(client, "/incidents/new/", "/incidents/new/", {**data, "public_title": "Checkout slow"})
    assert done.status_code == 302
    [shown] = public_incidents()
    assert shown.name == "Checkout slow" and [c.name for c in shown.components] == ["Checkout"]


def test_edit_form_changes_the_public_title(session_client, post_form) -> None:
    incident = _incident()
    client = session_client("responder")
    page = f"/incidents/{incident.pk}/"
    data = {"version": incident.version, "title": INTERNAL, "public_title": "Slow checkout", "severity": "sev3"}
    assert post_form(client, page, f"{page}edit/", data).status_code == 302
    incident.refresh_from_db()
    assert incident.public_title == "Slow checkout" and incident.title == INTERNAL
    assert "Slow checkout" in client.get(page).content.decode()


def test_from_group_form_takes_a_public_title_and_never_copies_the_alert(session_client, post_form) -> None:
    from alerts.models import AlertGroup
    from alerts.services import alert_raise

    alert_raise(labels={"alertname": "Down"}, annotations={"summary": INTERNAL}, status="firing", source="t",
                now=timezone.now())  # fmt: skip
    group = AlertGroup.objects.latest("pk")
    client = session_client("responder")
    page = f"/incidents/from-alert-group/{group.pk}/"
    form = client.get(page).content.decode()
    assert (
        INTERNAL in form
        and 'name="public_title"' in form
        and f'value="{INTERNAL}"' not in form.split("public_title")[1]
    )
    response = post_form(
        client, page, page, {"title": f"Down: {INTERNAL}", "public_title": "Outage", "severity": "sev2"}
    )
    assert response.status_code == 302
    assert Incident.objects.get().public_title == "Outage"
