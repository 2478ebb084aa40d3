"""The heartbeats pages: they render for a viewer without buttons or the secret URL; responders pause and resume;
admins create (errors on the field, nothing saved), edit, delete and make a new URL."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from heartbeats.choices import CheckState, PingKind
from heartbeats.models import Check
from heartbeats.services import check_save, heartbeat_ping
from sre.choices import Role
from tests.heartbeats.factories import CheckFactory

pytestmark = pytest.mark.django_db

FORM = {"name": "nightly", "slug": "", "description": "", "schedule_kind": "cron", "period": "1d",
        "cron": "30 2 * * *", "timezone": "Europe/Berlin", "grace": "1h", "severity": "critical", "service": "",
        "team": "", "labels": "env=prod"}  # fmt: skip


def _csrf(client, path: str) -> str:
    client.get(path)
    return client.cookies["csrftoken"].value


@pytest.fixture
def pinged_check(root_route) -> Check:
    check = check_save(check=None, data={"name": "backup", "period_seconds": 3600, "grace_seconds": 600},
                       now=dt.datetime(2026, 3, 2, tzinfo=dt.UTC))  # fmt: skip
    base = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)
    heartbeat_ping(key=check.ping_key, kind=PingKind.START, now=base)
    heartbeat_ping(key=check.ping_key, kind=PingKind.SUCCESS, now=base + dt.timedelta(seconds=42), body=b"ok 12 MB")
    heartbeat_ping(key=check.ping_key, kind=PingKind.FAIL, now=base + dt.timedelta(hours=1), body=b"<b>disk</b>")
    check.refresh_from_db()
    return check


def test_the_empty_list_explains_heartbeats_with_a_curl_example(session_client) -> None:
    page = session_client(Role.VIEWER).get("/heartbeats/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "No heartbeat checks yet" in text and "curl -fsS" in text and "/api/v1/heartbeats/&lt;uuid&gt;/fail" in text
    assert 'href="/heartbeats/"' in text  # the navigation entry
    assert "New check" not in text


def test_a_viewer_sees_the_list_and_the_check_without_buttons_or_the_secret(session_client, pinged_check) -> None:
    viewer = session_client(Role.VIEWER)
    listing = viewer.get("/heartbeats/").content.decode()
    assert "backup" in listing and "failed" in listing and "Every 1 hour, with 10 minutes of grace" in listing
    page = viewer.get(f"/heartbeats/{pinged_check.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert str(pinged_check.ping_key) not in text and 'data-testid="hb-ping-url-hidden"' in text
    for button in (">Pause<", ">Resume<", ">Edit<", ">Delete<", "Make a new URL"):
        assert button not in text
    assert "&lt;b&gt;disk&lt;/b&gt;" in text and "<b>disk</b>" not in text  # the body is escaped
    assert 'id="hb-chart-data"' in text and "42 s" in text


def test_a_responder_sees_the_ping_url_and_pause_but_not_configuration(session_client, pinged_check) -> None:
    text = session_client(Role.RESPONDER).get(f"/heartbeats/{pinged_check.pk}/").content.decode()
    assert str(pinged_check.ping_key) in text and ">Pause<" in text
    assert ">Edit<" not in text and "Make a new URL" not in text


def test_an_admin_sees_every_button(session_client, pinged_check) -> None:
    text = session_client(Role.ADMIN).get(f"/heartbeats/{pinged_check.pk}/").content.decode()
    for button in (">Pause<", ">Edit<", ">Delete<", "Make a new URL", str(pinged_check.ping_key)):
        assert button in text


def test_a_responder_pauses_and_resumes_a_viewer_may_not(session_client, pinged_check) -> None:
    viewer = session_client(Role.VIEWER)
    token = _csrf(viewer, "/heartbeats/")
    assert viewer.post(f"/heartbeats/{pinged_check.pk}/pause/", {"csrfmiddlewaretoken": token}).status_code == 403
    responder = session_client(Role.RESPONDER)
    token = _csrf(responder, "/heartbeats/")
    response = responder.post(f"/heartbeats/{pinged_check.pk}/pause/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    pinged_check.refresh_from_db()
    assert pinged_check.paused and pinged_check.state == CheckState.PAUSED
    text = responder.get(f"/heartbeats/{pinged_check.pk}/").content.decode()
    assert ">Resume<" in text and ">Pause<" not in text
    responder.post(f"/heartbeats/{pinged_check.pk}/resume/", {"csrfmiddlewaretoken": token})
    pinged_check.refresh_from_db()
    assert not pinged_check.paused


def test_the_form_shows_errors_on_the_field_and_saves_nothing(session_client, root_route) -> None:
    admin = session_client(Role.ADMIN)
    token = _csrf(admin, "/heartbeats/new/")
    for change, field in (({"cron": "0 0 31 2 *"}, "cron"), ({"timezone": "Nowhere/Else"}, "timezone"),
                          ({"grace": "soon"}, "grace"), ({"schedule_kind": "period", "period": "10s"}, "period"),
                          ({"labels": "no equals sign"}, "labels"), ({"labels": "alertname=x"}, "labels")):  # fmt: skip
        response = admin.post("/heartbeats/new/", {**FORM, **change, "csrfmiddlewaretoken": token})
        assert response.status_code == 400, change
        assert field in response.context["form"].errors, (change, response.context["form"].errors)
    assert not Check.objects.exists()


def test_an_admin_creates_edits_and_deletes_a_check(session_client, root_route) -> None:
    admin = session_client(Role.ADMIN)
    token = _csrf(admin, "/heartbeats/new/")
    response = admin.post("/heartbeats/new/", {**FORM, "csrfmiddlewaretoken": token})
    check = Check.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/heartbeats/{check.pk}/"
    assert (check.cron, check.timezone, check.grace_seconds, check.labels) == (
        "30 2 * * *", "Europe/Berlin", 3600, {"env": "prod"})  # fmt: skip
    edit = admin.get(f"/heartbeats/{check.pk}/edit/")
    assert edit.status_code == 200 and 'value="1h"' in edit.content.decode()
    changed = {**FORM, "schedule_kind": "period", "period": "2h", "csrfmiddlewaretoken": token}
    assert admin.post(f"/heartbeats/{check.pk}/edit/", changed).status_code == 302
    check.refresh_from_db()
    assert (check.schedule_kind, check.period_seconds, check.cron) == ("period", 7200, "")
    old = check.ping_key
    assert "stops working" in admin.get(f"/heartbeats/{check.pk}/ping-key/").content.decode()
    assert admin.post(f"/heartbeats/{check.pk}/ping-key/", {"csrfmiddlewaretoken": token}).status_code == 302
    check.refresh_from_db()
    assert check.ping_key != old
    assert "cannot be undone" in admin.get(f"/heartbeats/{check.pk}/delete/").content.decode()
    assert admin.post(f"/heartbeats/{check.pk}/delete/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert not Check.objects.exists()


def test_configuration_pages_are_for_admins(session_client) -> None:
    check = CheckFactory()
    responder = session_client(Role.RESPONDER)
    for path in ("/heartbeats/new/", f"/heartbeats/{check.pk}/edit/", f"/heartbeats/{check.pk}/delete/",
                 f"/heartbeats/{check.pk}/ping-key/"):  # fmt: skip
        response = responder.get(path)
        assert response.status_code == 403 and "This page needs the admin role." in response.content.decode(), path
    missing = session_client(Role.VIEWER).get("/heartbeats/999999/")
    assert missing.status_code == 404 and "Not found." in missing.content.decode()


def test_list_has_a_query_bound_and_states_in_words(session_client, django_assert_max_num_queries):
    for n in range(30):  # enough rows that a query per check would show
        CheckFactory(
            name=f"job-{n:02d}",
            state=CheckState.DOWN if n % 2 else CheckState.UP,
            state_changed_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
        )
    client = session_client(Role.VIEWER)
    with django_assert_max_num_queries(12):
        html = client.get("/heartbeats/").content.decode()
    assert "job-29" in html and ">Down</span>" in html and ">Up</span>" in html
    # "Down 5 min ago", not "Down since 5 min ago"
    assert re.search(r'>Down</span> <span class="muted small"><time [^>]*>[^<]* ago</time>', html)
    assert "since <time" not in html
