"""The incidents pages: roles, CSRF, the flows a responder runs in the browser without JavaScript."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.choices import ActionItemStatus, Severity
from incidents.models import Incident, IncidentPolicy, SeverityLevel, TimelineEntry
from incidents.services import action_item_create, incident_create, incident_transition
from tests.incidents.factories import ActionItemFactory, ComponentFactory, IncidentFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def _incident(**kwargs) -> Incident:
    return incident_create(title=kwargs.pop("title", "Checkout errors"), actor="tester", now=timezone.now(), **kwargs)


@pytest.mark.parametrize(
    "url", ["/incidents/", "/incidents/action-items/", "/incidents/insights/", "/incidents/settings/"]
)
def test_viewer_opens_every_list_page(session_client, url) -> None:
    IncidentFactory()
    response = session_client("viewer").get(url)
    assert response.status_code == 200
    assert b"<h1>" in response.content


def test_insights_escapes_labels_in_its_chart_data(session_client) -> None:
    payload = "</script><script>alert(1)</script>"
    SeverityLevel.objects.filter(key=Severity.SEV2).update(label=payload)
    _incident(title="Escaping", severity=Severity.SEV2, services=[ServiceFactory(name=payload)])
    body = session_client("viewer").get("/incidents/insights/").content.decode()
    assert "<script>alert(1)" not in body
    data = body.split('<script id="insights-data" type="application/json">', 1)[1].split("</script>", 1)[0]
    report = json.loads(data)
    assert report["severities"][Severity.SEV2] == payload
    assert payload in next(iter(report["by_service"].values()))


def test_action_item_links_are_links_only_when_http(session_client) -> None:
    incident = _incident(title="Links")
    now = timezone.now()
    action_item_create(incident_id=incident.pk, title="Evil", actor="t", now=now, link="javascript:alert(1)")
    action_item_create(incident_id=incident.pk, title="Good", actor="t", now=now, link="https://tracker.example/1")
    client = session_client("viewer")
    for page in ("/incidents/action-items/", f"/incidents/{incident.pk}/postmortem/"):
        body = client.get(page).content.decode()
        assert "javascript:" not in body and ">Evil<" in body
        assert '<a href="https://tracker.example/1" rel="noopener noreferrer nofollow">Good</a>' in body


def test_list_shows_open_incidents_first_and_filters(session_client) -> None:
    svc = ServiceFactory(name="checkout")
    old_open = _incident(title="Old but open", started_at=timezone.now() - timedelta(days=3), services=[svc])
    new_closed = _incident(title="New and resolved")
    incident_transition(incident_id=new_closed.pk, target="resolved", actor="t", now=timezone.now())
    client = session_client("viewer")
    body = client.get("/incidents/").content.decode()
    assert body.index("Old but open") < body.index("New and resolved")
    filtered = client.get("/incidents/?service=checkout").content.decode()
    assert "Old but open" in filtered and "New and resolved" not in filtered
    assert "New and resolved" in client.get("/incidents/?status=closed").content.decode()
    assert old_open.title not in client.get("/incidents/?status=closed").content.decode()


def test_list_pages_keep_the_filters(session_client) -> None:
    IncidentFactory.create_batch(51, title="Outage & more")
    client = session_client("viewer")
    first = client.get("/incidents/", {"q": "outage & more", "severity": "sev2"}).content.decode()
    assert 'href="?severity=sev2&amp;q=outage+%26+more&amp;page=2">Next</a>' in first
    assert "Page 1 of 2" in first and ">Previous</a>" not in first
    second = client.get("/incidents/", {"q": "outage & more", "severity": "sev2", "page": "2"}).content.decode()
    assert 'href="?severity=sev2&amp;q=outage+%26+more&amp;page=1">Previous</a>' in second


def test_viewer_sees_no_forms_and_cannot_post(session_client, post_form) -> None:
    incident = _incident()
    client = session_client("viewer")
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "/acknowledge/" not in page and "Add note" not in page and "Timeline" in page
    response = post_form(client, f"/incidents/{incident.pk}/", f"/incidents/{incident.pk}/acknowledge/", {})
    assert response.status_code == 403
    assert client.get("/incidents/new/").status_code == 403


def test_post_without_csrf_token_is_refused(session_client) -> None:
    incident = _incident()
    response = session_client("responder").post(f"/incidents/{incident.pk}/acknowledge/")
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.acknowledged_at is None


def test_responder_declares_acknowledges_notes_updates_and_resolves(session_client, post_form) -> None:
    ServiceFactory(name="checkout")
    client = session_client("responder")
    response = post_form(
        client,
        "/incidents/new/",
        "/incidents/new/",
        {"title": "Checkout 500s", "severity": "sev1", "services": ["checkout"]},
    )
    assert response.status_code == 302
    incident = Incident.objects.get(title="Checkout 500s")
    page = f"/incidents/{incident.pk}/"
    assert post_form(client, page, f"{page}acknowledge/", {}).status_code == 302
    incident.refresh_from_db()
    assert incident.status == "investigating" and incident.commander == client.user
    post_form(client, page, f"{page}note/", {"body": "Rolled back **v42**"})
    post_form(
        client,
        page,
        f"{page}update/",
        {"body": "We are on it", "visibility": "public", "status": "identified", "public_title": "Checkout errors"},
    )
    incident.refresh_from_db()
    assert incident.status == "identified"
    post_form(client, page, f"{page}transition/", {"status": "resolved", "version": incident.version, "note": "fixed"})
    incident.refresh_from_db()
    assert incident.status == "resolved" and incident.resolved_at and incident.mitigated_at
    body = client.get(page).content.decode()
    assert "<strong>v42</strong>" in body
    assert "Write the postmortem" in body


def test_stale_version_shows_changed_by_message(session_client, post_form) -> None:
    incident = _incident()
    stale = incident.version
    incident_transition(incident_id=incident.pk, target="investigating", actor="alice", now=timezone.now())
    client = session_client("responder")
    page = f"/incidents/{incident.pk}/"
    response = post_form(client, page, f"{page}edit/", {"version": stale, "title": "New title", "severity": "sev2"})
    assert response.status_code == 302
    body = client.get(page).content.decode()
    assert "changed by alice" in body
    incident.refresh_from_db()
    assert incident.title == "Checkout errors"


def test_open_page_learns_of_someone_elses_change(session_client, client) -> None:
    incident = _incident()
    viewer = session_client("viewer")
    page = viewer.get(f"/incidents/{incident.pk}/").content.decode()
    poll = f"/incidents/{incident.pk}/changes/?since={incident.version}"
    assert poll in page
    assert "Reload" not in viewer.get(poll).content.decode()
    incident_transition(incident_id=incident.pk, target="investigating", actor="alice", now=timezone.now())
    banner = viewer.get(poll).content.decode()
    assert "Changed by alice" in banner and "Reload" in banner
    assert viewer.get(f"/incidents/{incident.pk}/changes/?since=x").status_code == 400
    assert client.get(poll).status_code in (302, 403)  # anonymous: not shown


def test_invalid_transition_reports_allowed_states(session_client, post_form) -> None:
    incident = _incident()
    client = session_client("responder")
    page = f"/incidents/{incident.pk}/"
    post_form(client, page, f"{page}transition/", {"status": "closed", "version": incident.version})
    body = client.get(page).content.decode()
    assert "allowed next states: investigating, identified, monitoring, resolved" in body


def test_timestamps_edit_in_viewer_time_zone_is_audited(session_client, post_form) -> None:
    incident = _incident(started_at=timezone.now() - timedelta(hours=3))
    client = session_client("responder")
    client.cookies["tz"] = "Asia/Kolkata"  # UTC+05:30
    page = f"/incidents/{incident.pk}/"
    started_local = timezone.localtime(incident.started_at, timezone=__import__("zoneinfo").ZoneInfo("Asia/Kolkata"))
    earlier = (started_local - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    post_form(client, page, f"{page}timestamps/", {"version": incident.version, "started_at": earlier,
                                                  "detected_at": started_local.strftime("%Y-%m-%dT%H:%M")})  # fmt: skip
    incident.refresh_from_db()
    expected = (incident.detected_at - timedelta(minutes=30)).replace(second=0, microsecond=0)
    assert incident.started_at == expected
    edit = TimelineEntry.objects.filter(incident=incident, kind="edit", data__field="started_at").get()
    assert edit.data["old"] != edit.data["new"]


def test_components_and_roles_forms(session_client, post_form, make_user) -> None:
    incident = _incident()
    component = ComponentFactory(name="API")
    scribe = make_user("viewer", username="sam")
    client = session_client("responder")
    page = f"/incidents/{incident.pk}/"
    post_form(client, page, f"{page}components/", {"version": incident.version, f"c{component.pk}": "major_outage"})
    incident.refresh_from_db()
    post_form(client, page, f"{page}roles/", {"version": incident.version, "scribe": scribe.pk})
    incident.refresh_from_db()
    assert incident.scribe == scribe
    assert incident.component_impacts.get().status == "major_outage"


def test_postmortem_editor_flow(session_client, post_form) -> None:
    incident = _incident()
    incident_transition(incident_id=incident.pk, target="resolved", actor="t", now=timezone.now())
    client = session_client("responder")
    pm_page = f"/incidents/{incident.pk}/postmortem/"
    post_form(client, pm_page, f"{pm_page}create/", {})
    incident.postmortem.refresh_from_db()
    assert "## Root causes and trigger" in incident.postmortem.body
    version = incident.postmortem.version
    post_form(client, pm_page, pm_page, {"version": version, "body": "# Done\n\n<script>alert(1)</script>ok"})
    page = client.get(pm_page).content.decode()
    assert "<script>alert(1)</script>" not in page.replace("&lt;script&gt;", "")
    token_page = pm_page
    preview = post_form(client, token_page, f"{pm_page}preview/", {"body": "<img src=x onerror=alert(1)>**b**"})
    assert b"onerror" not in preview.content and b"<strong>b</strong>" in preview.content
    post_form(client, pm_page, f"{pm_page}state/", {"state": "in_review"})
    post_form(client, pm_page, f"{pm_page}state/", {"state": "published"})
    incident.postmortem.refresh_from_db()
    assert incident.postmortem.state == "published"
    post_form(client, pm_page, f"{pm_page}item/", {"title": "Add canary", "priority": "p1", "due_date": "2020-01-01"})
    body = client.get("/incidents/action-items/?overdue=1").content.decode()
    assert "Add canary" in body and "overdue" in body
    export = client.get(f"/incidents/{incident.pk}/postmortem.md")
    assert export["Content-Type"].startswith("text/markdown")
    assert "Add canary" in export.content.decode() and "(OVERDUE)" in export.content.decode()


def test_stale_postmortem_save_keeps_the_text(session_client, post_form) -> None:
    incident = _incident()
    incident_transition(incident_id=incident.pk, target="resolved", actor="t", now=timezone.now())
    from incidents.services import postmortem_create, postmortem_update

    pm = postmortem_create(incident_id=incident.pk, actor="alice", now=timezone.now())
    postmortem_update(
        incident_id=incident.pk, body="alice's text", version=pm.version, actor="alice", now=timezone.now()
    )
    client = session_client("responder")
    pm_page = f"/incidents/{incident.pk}/postmortem/"
    response = post_form(client, pm_page, pm_page, {"version": pm.version, "body": "my precious paragraph"})
    assert response.status_code == 409
    assert "my precious paragraph" in response.content.decode()
    assert "saved by alice" in response.content.decode()


def test_action_item_status_change_and_delete(session_client, post_form) -> None:
    item = ActionItemFactory()
    client = session_client("responder")
    post_form(client, "/incidents/action-items/", f"/incidents/action-items/{item.pk}/status/", {"status": "done"})
    item.refresh_from_db()
    assert item.status == ActionItemStatus.DONE and item.completed_at is not None
    post_form(
        client,
        "/incidents/action-items/?status=",
        f"/incidents/action-items/{item.pk}/delete/",
        {"next": "//evil.example/"},
    )
    assert not type(item).objects.filter(pk=item.pk).exists()


def test_overview_panel_lists_open_incidents_and_overdue_items(session_client) -> None:
    incident = _incident(title="Payments down")
    ActionItemFactory(incident=incident, title="Fix the retry storm", due_date=timezone.localdate() - timedelta(days=1))
    ActionItemFactory(incident=incident, title="Not due yet", due_date=timezone.localdate() + timedelta(days=5))
    body = session_client("viewer").get("/").content.decode()
    assert "Payments down" in body
    assert "Fix the retry storm" in body and "Not due yet" not in body


def test_settings_severity_edit_needs_admin(session_client, post_form) -> None:
    responder = session_client("responder")
    data = {"key": "sev1", "sev1-label": "P0", "sev1-description": "all hands", "sev1-public_impact": "critical"}
    assert post_form(responder, "/incidents/settings/", "/incidents/settings/", data).status_code == 403
    admin = session_client("admin")
    assert post_form(admin, "/incidents/settings/", "/incidents/settings/", data).status_code == 302
    from incidents.models import SeverityLevel

    assert SeverityLevel.objects.get(key="sev1").label == "P0"


def test_unknown_pages_are_404(session_client) -> None:
    client = session_client("responder")
    for path in ("/incidents/99999/", "/incidents/99999/postmortem/", "/incidents/from-alert-group/99999/"):
        response = client.get(path)
        assert response.status_code == 404 and "Not found." in response.content.decode(), path
    assert not Incident.objects.exists()  # opening from an unknown alert group made nothing


def test_long_timeline_shows_the_latest_entries_with_show_all(session_client, monkeypatch) -> None:
    import incidents.views

    monkeypatch.setattr(incidents.views, "TIMELINE_SHOWN", 5)
    incident = _incident()
    from incidents.services import timeline_note_add

    for i in range(8):
        timeline_note_add(incident_id=incident.pk, body=f"note number {i}", actor="a", now=timezone.now())
    client = session_client("viewer")
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Showing the latest 5 of 9 entries" in page
    assert "note number 7" in page and "note number 2" not in page
    full = client.get(f"/incidents/{incident.pk}/?all=1").content.decode()
    assert "note number 0" in full and "Showing the latest" not in full


def test_alert_group_page_has_the_declare_button_and_links_back(session_client, post_form, root_route) -> None:
    from alerts.models import AlertGroup
    from alerts.services import alert_raise

    ServiceFactory(name="search", tier=2)
    alert_raise(labels={"alertname": "HighLatency", "service": "search", "severity": "warning"},
                annotations={"summary": "p99 above 2s"}, status="firing", source="api", now=timezone.now())  # fmt: skip
    group = AlertGroup.objects.get()
    client = session_client("responder")
    page = client.get(f"/alerts/groups/{group.pk}/").content.decode()
    assert f"/incidents/from-alert-group/{group.pk}/" in page and "Not linked to an incident" in page
    confirm = client.get(f"/incidents/from-alert-group/{group.pk}/").content.decode()
    assert 'value="HighLatency: p99 above 2s"' in confirm
    url = f"/incidents/from-alert-group/{group.pk}/"
    response = post_form(client, url, url, {"title": "HighLatency: p99 above 2s", "severity": "sev3"})
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/incidents/{incident.pk}/"
    assert f"/incidents/{incident.pk}/" in client.get(f"/alerts/groups/{group.pk}/").content.decode()
    assert "already linked to open incident" in client.get(url).content.decode()
    viewer_page = session_client("viewer").get(f"/alerts/groups/{group.pk}/").content.decode()
    assert "/incidents/from-alert-group/" not in viewer_page


def test_admin_adds_edits_and_deletes_an_auto_open_policy(session_client, post_form) -> None:
    page = "/incidents/settings/"
    admin = session_client("admin")
    new = {"policy": "new", "new-name": "DB pages", "new-matchers": "severity=page\nteam=~db|storage",
           "new-max_service_tier": "2", "new-severity": "sev1", "new-position": "3", "new-enabled": "on"}  # fmt: skip
    assert post_form(admin, page, page, new).status_code == 302
    policy = IncidentPolicy.objects.get(name="DB pages")
    assert (policy.matchers, policy.max_service_tier, policy.severity, policy.enabled) == (
        ["severity=page", "team=~db|storage"],
        2,
        "sev1",
        True,
    )
    assert "DB pages" in admin.get(page).content.decode()

    bad = {**new, "new-name": "Other", "new-matchers": "severity=~(page"}
    response = post_form(admin, page, page, bad)
    assert response.status_code == 400 and "field-error" in response.content.decode()
    assert not IncidentPolicy.objects.filter(name="Other").exists()
    duplicate = post_form(admin, page, page, {**new, "new-matchers": "severity=page"})
    assert duplicate.status_code == 400 and "Already used" in duplicate.content.decode()

    fields = {
        "name": "DB pages",
        "matchers": "severity=page",
        "max_service_tier": "",
        "severity": "sev2",
        "position": "0",
    }
    edit = {"policy": str(policy.pk), **{f"p{policy.pk}-{key}": value for key, value in fields.items()}}
    assert post_form(admin, page, page, edit).status_code == 302
    policy.refresh_from_db()
    assert (policy.matchers, policy.max_service_tier, policy.severity, policy.enabled) == (
        ["severity=page"],
        None,
        "sev2",
        False,
    )
    assert post_form(admin, page, page, {"policy": str(policy.pk), "delete": "1"}).status_code == 302
    assert not IncidentPolicy.objects.filter(pk=policy.pk).exists()


def test_policy_edits_need_admin(session_client, post_form) -> None:
    page = "/incidents/settings/"
    responder = session_client("responder")
    new = {"policy": "new", "new-name": "x", "new-matchers": "a=b", "new-severity": "sev1"}
    refused = post_form(responder, page, page, new)
    assert refused.status_code == 403 and "This page needs the admin role." in refused.content.decode()
    assert not IncidentPolicy.objects.filter(name="x").exists()
    assert post_form(session_client("admin"), page, page, {"policy": "99999", "delete": "1"}).status_code == 404


def test_settings_are_read_only_fields_for_non_admins(session_client) -> None:
    """Non-admins see disabled fields (and no Save buttons); admins get inputs they can save."""
    import re

    page = "/incidents/settings/"
    viewer_html = session_client("viewer").get(page).content.decode()
    admin_html = session_client("admin").get(page).content.decode()
    label = r'<input type="text" name="sev1-label"[^>]*>'
    assert "disabled" in re.search(label, viewer_html).group(0)
    assert "disabled" not in re.search(label, admin_html).group(0)
    policy_name = r'<input type="text" name="p\d+-name"[^>]*>'
    assert "disabled" in re.search(policy_name, viewer_html).group(0)
    assert "disabled" not in re.search(policy_name, admin_html).group(0)
    assert "Add policy" in admin_html and "Add policy" not in viewer_html
