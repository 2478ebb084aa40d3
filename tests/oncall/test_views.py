"""The On call pages: what each role sees and may do, and that each write through a page changes what the
services and selectors say (the pages add no rules of their own)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from oncall.choices import ContactKind, DeliveryState, SwapState
from oncall.models import (
    ContactMethod,
    EscalationPolicy,
    Layer,
    NotificationRule,
    Override,
    PersonNotification,
    RoutePolicy,
    Schedule,
    SeverityPolicy,
    Swap,
    Team,
)
from oncall.selectors import schedule_list, schedule_oncall_at, shifts_of
from oncall.services.people import feed_digest
from sre.choices import Role
from tests.alerts.factories import RouteFactory

pytestmark = pytest.mark.django_db


def csrf_post(client: Client, url: str, data: dict | None = None, **extra):
    """POST with the CSRF token from a page the client has already been given (enforce_csrf_checks)."""
    client.get("/oncall/")
    token = client.cookies["csrftoken"].value
    return client.post(url, data or {}, HTTP_X_CSRFTOKEN=token, **extra)


@pytest.fixture
def schedule(db):
    return Schedule.objects.create(name="Primary", time_zone="Europe/Berlin")


def weekly_layer(schedule, people, *, start=None, level=0):
    start = start or (timezone.now() - dt.timedelta(days=3)).date()
    return Layer.objects.create(
        schedule=schedule,
        name="Weekly",
        level=level,
        participants=[p.pk for p in people],
        rotation="weeks",
        every=1,
        start_date=start,
        handoff_time=dt.time(9, 0),
    )


def layer_post(people, **overrides) -> dict:
    data = {
        "name": "Days",
        "level": "0",
        "rotation": "days",
        "every": "1",
        "start_date": (timezone.now() - dt.timedelta(days=1)).date().isoformat(),
        "handoff_time": "09:00",
        "end_date": "",
        "participants-TOTAL_FORMS": str(len(people)),
        "participants-INITIAL_FORMS": "0",
        "restrictions-TOTAL_FORMS": "0",
        "restrictions-INITIAL_FORMS": "0",
    }
    for i, person in enumerate(people):
        data[f"participants-{i}-user"] = str(person.pk)
    data.update(overrides)
    return data


# Reading: every page for a viewer, no edit controls


def test_viewer_reads_every_page_without_edit_controls(session_client, schedule, make_user):
    alice = make_user(Role.RESPONDER, username="alice", first_name="Alice")
    weekly_layer(schedule, [alice])
    team = Team.objects.create(name="Database", slug="db")
    policy = EscalationPolicy.objects.create(name="Default")
    viewer = session_client(Role.VIEWER)
    pages = [
        "/oncall/",
        f"/oncall/schedules/{schedule.pk}/",
        f"/oncall/schedules/{schedule.pk}/?weeks=4&offset=-1",
        "/oncall/policies/",
        f"/oncall/policies/{policy.pk}/",
        "/oncall/teams/",
        f"/oncall/people/{alice.pk}/",
        "/oncall/me/",
        "/oncall/notifications/",
    ]
    for url in pages:
        response = viewer.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        for control in ("Add layer", "Add override", "Offer swap", "Save policy", "New team", "Page someone now",
                        "Add method", "Upload calendar"):  # fmt: skip
            assert control not in body, (url, control)
    assert team.name in viewer.get("/oncall/teams/").content.decode()
    for url in ("/oncall/page/", "/oncall/schedules/new/", f"/oncall/schedules/{schedule.pk}/layers/new/",
                "/oncall/teams/new/", "/oncall/policies/new/"):  # fmt: skip
        assert viewer.get(url).status_code == 403, url


def test_viewer_cannot_post(session_client, schedule, make_user):
    viewer = session_client(Role.VIEWER)
    posts = {
        f"/oncall/schedules/{schedule.pk}/overrides/": {},
        f"/oncall/schedules/{schedule.pk}/swaps/": {},
        f"/oncall/schedules/{schedule.pk}/layers/new/": layer_post([viewer.user]),
        f"/oncall/schedules/{schedule.pk}/delete/": {},
        "/oncall/page/": {"target": f"person:{viewer.user.pk}", "message": "x", "severity": "critical"},
        "/oncall/me/methods/": {"kind": "email", "address": "v@example.com"},
        "/oncall/me/feed/": {},
        "/oncall/teams/new/": {"name": "X"},
        "/oncall/policies/new/": {"name": "X"},
        "/oncall/policies/severity/": {},
    }
    for url, data in posts.items():
        assert csrf_post(viewer, url, data).status_code == 403, url
    assert Schedule.objects.filter(pk=schedule.pk).exists()
    assert not Layer.objects.exists() and not ContactMethod.objects.exists() and not Team.objects.exists()


def test_home_shows_who_is_on_call_now_and_next_with_links(session_client, schedule, make_user):
    alice = make_user(Role.RESPONDER, username="alice", first_name="Alice")
    bob = make_user(Role.RESPONDER, username="bob", first_name="Bob")
    weekly_layer(schedule, [alice, bob])
    now_keys = schedule_oncall_at(schedule_list().get(pk=schedule.pk), at=timezone.now())
    on_call = alice if now_keys == (str(alice.pk),) else bob
    nxt = bob if on_call == alice else alice
    team = Team.objects.create(name="Database", slug="db")
    Schedule.objects.filter(pk=schedule.pk).update(team=team)
    body = session_client(Role.VIEWER).get("/oncall/").content.decode()
    row = re.search(r"<tbody>.*?</tbody>", body, re.S).group(0)
    now_cell, next_cell = re.findall(r"<td>(.*?)</td>", row, re.S)[1:3]
    assert f'href="/oncall/people/{on_call.pk}/"' in now_cell
    assert f'href="/oncall/people/{nxt.pk}/"' in next_cell
    assert f'href="/oncall/schedules/{schedule.pk}/"' in row
    teams = re.search(r'class="plain oc-teams">(.*?)</ul>', body, re.S).group(1)
    assert "Database" in teams and on_call.first_name in teams


def test_empty_states_say_what_to_do(session_client):
    admin = session_client(Role.ADMIN)
    body = admin.get("/oncall/").content.decode()
    assert "No schedules yet — create one" in body and 'href="/oncall/schedules/new/"' in body
    viewer_body = session_client(Role.VIEWER).get("/oncall/").content.decode()
    assert "No schedules yet" in viewer_body and "create one" not in viewer_body
    assert "No escalation policies yet" in admin.get("/oncall/policies/").content.decode()
    assert "No teams yet" in admin.get("/oncall/teams/").content.decode()
    assert "Nobody paged yet" in admin.get("/oncall/notifications/").content.decode()
    schedule = Schedule.objects.create(name="Empty")
    page = admin.get(f"/oncall/schedules/{schedule.pk}/").content.decode()
    assert "No layers yet" in page and "nobody on call" in page


# Schedules and layers


def test_admin_creates_edits_and_deletes_a_schedule(session_client, make_user):
    admin = session_client(Role.ADMIN)
    response = csrf_post(admin, "/oncall/schedules/new/", {"name": "Ops", "time_zone": "America/New_York"})
    schedule = Schedule.objects.get(name="Ops")
    assert response.status_code == 302 and response["Location"] == f"/oncall/schedules/{schedule.pk}/"
    assert schedule.time_zone == "America/New_York"
    clash = csrf_post(admin, "/oncall/schedules/new/", {"name": "Ops", "time_zone": "UTC"})
    assert clash.status_code == 400 and Schedule.objects.count() == 1
    csrf_post(admin, f"/oncall/schedules/{schedule.pk}/edit/", {"name": "Ops 2", "time_zone": "UTC"})
    schedule.refresh_from_db()
    assert schedule.name == "Ops 2" and schedule.time_zone == "UTC"
    confirm = admin.get(f"/oncall/schedules/{schedule.pk}/delete/")
    assert confirm.status_code == 200 and "Delete schedule" in confirm.content.decode()
    assert Schedule.objects.filter(pk=schedule.pk).exists()  # asking changes nothing
    csrf_post(admin, f"/oncall/schedules/{schedule.pk}/delete/")
    assert not Schedule.objects.filter(pk=schedule.pk).exists()


def test_layer_preview_does_not_save_and_save_does(session_client, schedule, make_user):
    alice = make_user(Role.RESPONDER, username="alice", first_name="Alice")
    bob = make_user(Role.RESPONDER, username="bob", first_name="Bob")
    admin = session_client(Role.ADMIN)
    url = f"/oncall/schedules/{schedule.pk}/layers/new/"
    preview = csrf_post(admin, url, {**layer_post([alice, bob]), "preview": "1"})
    assert preview.status_code == 200
    body = preview.content.decode()
    assert 'data-testid="preview"' in body and "Days (preview)" in body and "Alice" in body
    assert not Layer.objects.exists()
    saved = csrf_post(admin, url, {**layer_post([alice, bob]), "save": "1"})
    assert saved.status_code == 302
    layer = Layer.objects.get()
    assert layer.participants == [alice.pk, bob.pk] and layer.rotation == "days"
    assert schedule_oncall_at(schedule_list().get(pk=schedule.pk), at=timezone.now()) in (
        (str(alice.pk),),
        (str(bob.pk),),
    )
    page = admin.get(f"/oncall/schedules/{schedule.pk}/").content.decode()
    assert 'data-testid="tl-row-layer"' in page and "Alice" in page


def test_layer_edit_preview_replaces_the_layer_and_errors_name_the_field(session_client, schedule, make_user):
    alice = make_user(Role.RESPONDER, username="alice", first_name="Alice")
    bob = make_user(Role.RESPONDER, username="bob", first_name="Bob")
    layer = weekly_layer(schedule, [alice])
    admin = session_client(Role.ADMIN)
    url = f"/oncall/schedules/{schedule.pk}/layers/{layer.pk}/"
    assert admin.get(url).status_code == 200
    preview = csrf_post(admin, url, {**layer_post([bob]), "preview": "1"}).content.decode()
    final_row = preview.split('data-testid="tl-row-final"')[1].split("</figure>")[0]
    assert "Bob" in final_row and "Alice" not in final_row  # the edited layer replaces the saved one
    layer.refresh_from_db()
    assert layer.participants == [alice.pk]
    # Restrictions that leave nothing: the service's error is shown on the page, nothing saved.
    window = {"restrictions-TOTAL_FORMS": "1", "restrictions-0-weekdays": ["0"], "restrictions-0-start": "09:00"}
    bad = layer_post([bob], **window, **{"restrictions-0-end": "09:00", "save": "1"})
    response = csrf_post(admin, url, bad)
    assert response.status_code == 400 and 'class="form-error"' in response.content.decode()
    layer.refresh_from_db()
    assert layer.participants == [alice.pk]
    csrf_post(admin, f"/oncall/schedules/{schedule.pk}/layers/{layer.pk}/delete/")
    assert not Layer.objects.exists()


def test_responder_overrides_only_for_themselves_admin_for_anyone(session_client, schedule, make_user):
    other = make_user(Role.RESPONDER, username="other")
    responder = session_client(Role.RESPONDER)
    page = responder.get(f"/oncall/schedules/{schedule.pk}/").content.decode()
    form = re.search(r'data-testid="override-form">.*?</form>', page, re.S).group(0)
    assert f'value="{responder.user.pk}"' in form and f'value="{other.pk}"' not in form  # offers only themselves
    start = (timezone.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    end = (timezone.now() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    url = f"/oncall/schedules/{schedule.pk}/overrides/"
    refused = csrf_post(responder, url, {"user": other.pk, "start": start, "end": end})
    assert refused.status_code == 400 and not Override.objects.exists()
    ok = csrf_post(responder, url, {"user": responder.user.pk, "start": start, "end": end})
    assert ok.status_code == 302
    mine = Override.objects.get()
    assert mine.user == responder.user
    # Typed in the schedule's zone (Berlin), stored in UTC.
    local = dt.datetime.strptime(start, "%Y-%m-%dT%H:%M").replace(tzinfo=dt.UTC)
    from zoneinfo import ZoneInfo

    assert mine.start == local.replace(tzinfo=None).replace(tzinfo=ZoneInfo("Europe/Berlin"))
    admin = session_client(Role.ADMIN)
    assert csrf_post(admin, url, {"user": other.pk, "start": start, "end": end}).status_code == 302
    theirs = Override.objects.get(user=other)
    assert csrf_post(responder, f"{url}{theirs.pk}/delete/").status_code == 302
    assert Override.objects.filter(pk=theirs.pk).exists()  # the service refused: not theirs to delete
    csrf_post(responder, f"{url}{mine.pk}/delete/")
    assert not Override.objects.filter(pk=mine.pk).exists()


def test_swaps_offer_take_cancel(session_client, schedule, make_user):
    offerer = session_client(Role.RESPONDER)
    taker = session_client(Role.RESPONDER)
    start = (timezone.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    end = (timezone.now() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    csrf_post(offerer, f"/oncall/schedules/{schedule.pk}/swaps/", {"start": start, "end": end})
    swap = Swap.objects.get()
    assert swap.from_user == offerer.user and swap.state == SwapState.OFFERED
    page = taker.get(f"/oncall/schedules/{schedule.pk}/").content.decode()
    assert "Take it" in page
    assert "Take it" not in offerer.get(f"/oncall/schedules/{schedule.pk}/").content.decode()
    csrf_post(taker, f"/oncall/schedules/{schedule.pk}/swaps/{swap.pk}/cancel/")
    swap.refresh_from_db()
    assert swap.state == SwapState.OFFERED  # not theirs to cancel
    csrf_post(taker, f"/oncall/schedules/{schedule.pk}/swaps/{swap.pk}/take/")
    swap.refresh_from_db()
    assert swap.state == SwapState.TAKEN and swap.to_user == taker.user
    csrf_post(offerer, f"/oncall/schedules/{schedule.pk}/swaps/{swap.pk}/cancel/")
    swap.refresh_from_db()
    assert swap.state == SwapState.CANCELLED


def test_ical_upload_and_error(session_client, schedule, make_user):
    alice = make_user(Role.RESPONDER, username="alice")
    admin = session_client(Role.ADMIN)
    start = timezone.now().astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1)
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:1@t\r\n"
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\nDTEND:{start + dt.timedelta(hours=5):%Y%m%dT%H%M%SZ}\r\n"
        "SUMMARY:alice\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("cal.ics", text.encode(), content_type="text/calendar")
    response = csrf_post(admin, f"/oncall/schedules/{schedule.pk}/ical/upload/", {"file": upload})
    assert response.status_code == 302
    assert schedule_oncall_at(schedule_list().get(pk=schedule.pk), at=timezone.now()) == (str(alice.pk),)
    bad = SimpleUploadedFile("cal.ics", b"not a calendar", content_type="text/calendar")
    response = csrf_post(admin, f"/oncall/schedules/{schedule.pk}/ical/upload/", {"file": bad})
    assert response.status_code == 400 and 'class="field-error"' in response.content.decode()
    Schedule.objects.filter(pk=schedule.pk).update(ical_error="HTTP 404 from the calendar URL")
    assert "HTTP 404 from the calendar URL" in admin.get(f"/oncall/schedules/{schedule.pk}/").content.decode()
    refused = csrf_post(
        admin, f"/oncall/schedules/{schedule.pk}/ical/url/", {"ical_url": "http://127.0.0.1/x.ics", "ical_level": "0"}
    )
    assert refused.status_code == 400 and not Schedule.objects.filter(ical_url__contains="127").exists()


# People


def test_person_page_contact_methods_rules_and_feed(session_client, schedule, make_user, mailoutbox):
    me = session_client(Role.RESPONDER)
    weekly_layer(schedule, [me.user])
    response = csrf_post(me, "/oncall/me/methods/", {"kind": "email", "address": "me@example.com", "label": "work"})
    assert response.status_code == 302
    method = ContactMethod.objects.get(user=me.user)
    assert method.verified_at is None
    page = me.get("/oncall/me/").content.decode()
    assert "me@example.com" not in page and "m…@example.com" in page and "not verified" in page
    assert "Primary" in page.split('data-testid="my-shifts"')[1]  # my shifts
    csrf_post(me, f"/oncall/me/methods/{method.pk}/test/")
    method.refresh_from_db()
    assert method.verified_at is not None and method.last_test_result == "Delivered"
    assert "verified" in me.get("/oncall/me/").content.decode()
    rules = {
        "default-TOTAL_FORMS": "2", "default-INITIAL_FORMS": "0",
        "default-0-kind": "notify", "default-0-contact_method": str(method.pk),
        "default-1-kind": "wait", "default-1-wait_minutes": "5",
    }  # fmt: skip
    assert csrf_post(me, "/oncall/me/rules/default/", rules).status_code == 302
    saved = list(NotificationRule.objects.filter(user=me.user, important=False).order_by("position"))
    assert [(r.kind, r.contact_method_id, r.wait_minutes) for r in saved] == [
        ("notify", method.pk, 0),
        ("wait", None, 5),
    ]
    feed = csrf_post(me, "/oncall/me/feed/")
    url = re.search(r'id="feed-url" value="([^"]+)"', feed.content.decode()).group(1)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert me.user.oncall_settings.feed_token_digest == feed_digest(token)
    assert Client().get(url.split("testserver", 1)[1]).status_code == 200
    assert 'id="feed-url"' not in me.get("/oncall/me/").content.decode()  # shown once
    confirm = me.get(f"/oncall/me/methods/{method.pk}/delete/")
    assert confirm.status_code == 200 and ContactMethod.objects.filter(pk=method.pk).exists()
    csrf_post(me, f"/oncall/me/methods/{method.pk}/delete/")
    assert not ContactMethod.objects.filter(pk=method.pk).exists()


def test_others_person_page_is_read_only_and_never_shows_addresses(session_client, make_user):
    alice = make_user(Role.RESPONDER, username="alice", first_name="Alice")
    ContactMethod.objects.create(user=alice, kind=ContactKind.EMAIL, address="alice.secret@example.com")
    for role in (Role.VIEWER, Role.ADMIN):
        body = session_client(role).get(f"/oncall/people/{alice.pk}/").content.decode()
        assert "Alice" in body and "Email" in body
        assert "example.com" not in body and "Send me a test" not in body and "Add method" not in body


def test_someone_elses_contact_method_is_not_reachable(session_client, make_user):
    alice = make_user(Role.RESPONDER, username="alice")
    method = ContactMethod.objects.create(user=alice, kind=ContactKind.EMAIL, address="a@example.com")
    mallory = session_client(Role.ADMIN)
    assert csrf_post(mallory, f"/oncall/me/methods/{method.pk}/test/").status_code == 404
    assert csrf_post(mallory, f"/oncall/me/methods/{method.pk}/delete/").status_code == 404
    assert ContactMethod.objects.filter(pk=method.pk).exists()


# Teams and policies


def test_admin_manages_teams(session_client, make_user):
    alice = make_user(Role.RESPONDER, username="alice")
    admin = session_client(Role.ADMIN)
    csrf_post(admin, "/oncall/teams/new/", {"name": "Database", "members": [alice.pk]})
    team = Team.objects.get()
    assert team.slug == "database" and list(team.members.all()) == [alice]
    clash = csrf_post(admin, "/oncall/teams/new/", {"name": "Database"})
    assert clash.status_code == 400 and "Already used." in clash.content.decode()
    csrf_post(admin, f"/oncall/teams/{team.pk}/", {"name": "DB", "slug": "db"})
    team.refresh_from_db()
    assert (team.name, team.slug, team.members.count()) == ("DB", "db", 0)
    csrf_post(admin, f"/oncall/teams/{team.pk}/delete/")
    assert not Team.objects.exists()


def steps_post(steps: list[dict], **extra) -> dict:
    data = {"name": "Default", "team": "", "description": "", "steps-TOTAL_FORMS": str(len(steps)),
            "steps-INITIAL_FORMS": "0"}  # fmt: skip
    for i, step in enumerate(steps):
        for key, value in step.items():
            data[f"steps-{i}-{key}"] = value
    data.update(extra)
    return data


def test_policy_editor_saves_steps_in_order_and_shows_errors_beside_the_field(session_client, schedule, make_user):
    alice = make_user(Role.RESPONDER, username="alice")
    admin = session_client(Role.ADMIN)
    steps = [
        {"kind": "notify_persons", "persons": [str(alice.pk)], "round_robin": "on"},
        {"kind": "wait", "wait_minutes": "5"},
        {"kind": "notify_schedule", "schedule": str(schedule.pk), "important": "on"},
        {
            "kind": "time_window",
            "window_weekdays": ["0", "1"],
            "window_start": "09:00",
            "window_end": "17:00",
            "window_time_zone": "Europe/Berlin",
        },
        {"kind": "repeat", "repeat_times": "2"},
    ]
    response = csrf_post(admin, "/oncall/policies/new/", steps_post(steps))
    assert response.status_code == 302
    policy = EscalationPolicy.objects.get()
    saved = list(policy.steps.order_by("position"))
    assert [s.kind for s in saved] == ["notify_persons", "wait", "notify_schedule", "time_window", "repeat"]
    assert saved[0].persons == [alice.pk] and saved[0].round_robin
    assert saved[2].schedule_id == schedule.pk and saved[2].important
    assert saved[3].window == {"weekdays": [0, 1], "start": "09:00", "end": "17:00", "time_zone": "Europe/Berlin"}
    # A wait of 0 minutes in the third row: the error sits beside that row's field; nothing changes.
    bad = [steps[0], steps[1], {"kind": "wait", "wait_minutes": "0"}]
    response = csrf_post(admin, f"/oncall/policies/{policy.pk}/", steps_post(bad))
    assert response.status_code == 400
    body = response.content.decode()
    row = body.split('name="steps-2-wait_minutes"')[1].split("</div>")[0]
    assert "field-error" in row
    # The service's own check (round-robin row with nobody), mapped from steps[0].persons.
    response = csrf_post(admin, f"/oncall/policies/{policy.pk}/", steps_post([{"kind": "notify_persons"}]))
    body = response.content.decode()
    assert response.status_code == 400
    assert "name at least one person" in body.split('name="steps-0-persons"')[1].split("</div>")[0]
    assert policy.steps.count() == 5


def test_route_link_and_severity_matrix(session_client, make_user):
    admin = session_client(Role.ADMIN)
    policy = EscalationPolicy.objects.create(name="Default")
    team = Team.objects.create(name="Database", slug="db")
    route = RouteFactory(name="db-route", parent=None)
    csrf_post(admin, f"/oncall/policies/{policy.pk}/routes/", {"route": route.pk})
    assert RoutePolicy.objects.get(route=route).policy == policy
    assert "db-route" in admin.get(f"/oncall/policies/{policy.pk}/").content.decode()
    csrf_post(admin, f"/oncall/policies/{policy.pk}/routes/", {"unset": route.pk})
    assert not RoutePolicy.objects.exists()
    csrf_post(admin, "/oncall/policies/severity/", {"team": team.pk, "severity": "Critical", "policy": policy.pk})
    assert SeverityPolicy.objects.get().severity == "critical"
    csrf_post(admin, "/oncall/policies/severity/", {"team": team.pk, "severity": "critical", "policy": ""})
    assert not SeverityPolicy.objects.exists()
    responder = session_client(Role.RESPONDER)
    assert csrf_post(responder, f"/oncall/policies/{policy.pk}/routes/", {"route": route.pk}).status_code == 403


# Paging and the ledger


def test_page_someone_now_redirects_to_the_group(session_client, make_user, root_route, person):
    alice = person("alice")
    responder = session_client(Role.RESPONDER)
    form = responder.get(f"/oncall/page/?target=person:{alice.pk}").content.decode()
    assert f'value="person:{alice.pk}" selected' in form
    response = csrf_post(
        responder, "/oncall/page/", {"target": f"person:{alice.pk}", "message": "DB is down", "severity": "critical"}
    )
    assert response.status_code == 302 and re.fullmatch(r"/alerts/groups/\d+/", response["Location"])
    group_id = int(response["Location"].split("/")[3])
    assert PersonNotification.objects.filter(group_id=group_id, user=alice).exists()
    empty = csrf_post(responder, "/oncall/page/", {"target": "", "message": "x", "severity": "critical"})
    assert empty.status_code == 400


def test_ledger_filters_and_links_to_groups(session_client, make_user, root_route, person):
    alice, bob = person("alice"), person("bob")
    responder = session_client(Role.RESPONDER)
    csrf_post(responder, "/oncall/page/", {"target": f"person:{alice.pk}", "message": "A", "severity": "critical"})
    PersonNotification.objects.create(
        user=bob, kind="sms", title="T", state=DeliveryState.FAILED, next_attempt_at=timezone.now(),
        created_at=timezone.now(),
    )  # fmt: skip
    viewer = session_client(Role.VIEWER)
    body = viewer.get("/oncall/notifications/").content.decode()
    assert "/alerts/groups/" in body and body.count("<tr>") >= 3
    failed = viewer.get("/oncall/notifications/?state=failed").content.decode()
    assert failed.count("<tr>") == 2 and "sms" in failed.lower()
    only_alice = viewer.get(f"/oncall/notifications/?person={alice.pk}").content.decode()
    assert f"/oncall/people/{bob.pk}/" not in only_alice and f"/oncall/people/{alice.pk}/" in only_alice


# Navigation and the Overview


def test_navigation_and_overview_show_who_is_on_call(session_client, schedule, make_user):
    alice = make_user(Role.RESPONDER, username="alice", first_name="Alice")
    weekly_layer(schedule, [alice])
    body = session_client(Role.VIEWER).get("/").content.decode()
    assert '<a href="/oncall/">On call</a>' in body
    panel = body.split('data-testid="oncall-overview"')[1].split("</section>")[0]
    assert "Primary" in panel and f"/oncall/people/{alice.pk}/" in panel


def test_my_shifts_match_the_selector(session_client, schedule):
    me = session_client(Role.RESPONDER)
    weekly_layer(schedule, [me.user])
    now = timezone.now()
    expected = shifts_of(user_id=me.user.pk, start=now, end=now + dt.timedelta(weeks=4))
    body = me.get("/oncall/me/").content.decode()
    assert body.split('data-testid="my-shifts"')[1].split("</table>")[0].count("<tr>") == len(expected) + 1


def test_override_delete_confirm_shows_the_span_in_the_schedules_zone(session_client, schedule):
    responder = session_client(Role.RESPONDER)
    start = dt.datetime(2030, 1, 7, 8, 0, tzinfo=dt.UTC)  # 09:00 in Berlin (winter)
    override = Override.objects.create(
        schedule=schedule, user=responder.user, start=start, end=start + dt.timedelta(hours=8)
    )
    page = responder.get(f"/oncall/schedules/{schedule.pk}/overrides/{override.pk}/delete/").content.decode()
    span = re.search(r"<p><time.*?\(Europe/Berlin\)", page, re.S).group(0)
    # The label says Berlin, so the times are Berlin's, and not handed to app.js to show in the viewer's zone.
    assert "Mon 7 Jan 2030 09:00" in span and "17:00" in span
    assert "data-local" not in span and "UTC" not in span
