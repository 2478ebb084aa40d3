"""The on-call API: schedules with who is on call and the final schedule, policies, direct pages, roles."""

from __future__ import annotations

import datetime as dt

import pytest

from oncall.models import Escalation, Layer, Override, Schedule
from sre.choices import Role

pytestmark = pytest.mark.django_db

BERLIN_LAYER = {
    "name": "weekly",
    "level": 0,
    "rotation": "weeks",
    "every": 1,
    "start_date": "2026-03-23",
    "handoff_time": "09:00:00",
}


@pytest.fixture
def admin(token_client):
    return token_client(Role.ADMIN)


def make_schedule(admin, people, zone="Europe/Berlin"):
    response = admin.post("/api/v1/oncall/schedules/", {"name": "primary", "time_zone": zone}, format="json")
    assert response.status_code == 201, response.json()
    schedule_id = response.json()["id"]
    body = {**BERLIN_LAYER, "schedule": schedule_id, "participants": [p.pk for p in people]}
    response = admin.post("/api/v1/oncall/layers/", body, format="json")
    assert response.status_code == 201, response.json()
    return schedule_id


def test_who_is_on_call_hands_off_at_nine_local_across_dst(admin, make_user):
    alice, bob = make_user(username="alice"), make_user(username="bob")
    schedule_id = make_schedule(admin, [alice, bob])
    # Berlin moves to summer time on 2026-03-29: the handoff on 2026-03-30 is 09:00 CEST = 07:00 UTC.
    before = admin.get(f"/api/v1/oncall/schedules/{schedule_id}/oncall/", {"at": "2026-03-30T06:59:00Z"})
    after = admin.get(f"/api/v1/oncall/schedules/{schedule_id}/oncall/", {"at": "2026-03-30T07:00:00Z"})
    assert [p["username"] for p in before.json()["people"]] == ["alice"]
    assert [p["username"] for p in after.json()["people"]] == ["bob"]


def test_shifts_gives_the_final_schedule_with_overrides_and_gaps(admin, make_user):
    alice, bob, carol = (make_user(username=n) for n in ("alice", "bob", "carol"))
    schedule_id = make_schedule(admin, [alice, bob])
    response = admin.post(
        "/api/v1/oncall/overrides/",
        {"schedule": schedule_id, "user": carol.pk, "start": "2026-03-24T10:00:00Z", "end": "2026-03-24T12:00:00Z"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    response = admin.get(
        f"/api/v1/oncall/schedules/{schedule_id}/shifts/",
        {"start": "2026-03-24T00:00:00Z", "end": "2026-03-25T00:00:00Z"},
    )
    assert response.status_code == 200
    shifts = [(s["start"], s["end"], [p["username"] for p in s["people"]]) for s in response.json()["shifts"]]
    assert shifts == [
        ("2026-03-24T00:00:00Z", "2026-03-24T10:00:00Z", ["alice"]),
        ("2026-03-24T10:00:00Z", "2026-03-24T12:00:00Z", ["carol"]),
        ("2026-03-24T12:00:00Z", "2026-03-25T00:00:00Z", ["alice"]),
    ]
    # Before the layer starts nobody is on call: a gap.
    early = admin.get(
        f"/api/v1/oncall/schedules/{schedule_id}/shifts/",
        {"start": "2026-03-20T00:00:00Z", "end": "2026-03-24T00:00:00Z"},
    ).json()
    assert early["gaps"][0]["start"] == "2026-03-20T00:00:00Z"


def test_ical_export_is_a_calendar(admin, make_user):
    schedule_id = make_schedule(admin, [make_user(username="alice")])
    response = admin.get(f"/api/v1/oncall/schedules/{schedule_id}/ical/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VCALENDAR" in response.content


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"handoff_time": "02:30:00", "start_date": "2026-03-29"}, "start"),
        ({"restrictions": [{"weekdays": [0], "start": "09:00", "end": "09:00"}]}, "restrictions"),
        ({"every": 0}, "every"),
        ({"participants": []}, "participants"),
        ({"rotation": "months"}, "rotation"),
    ],
)
def test_bad_layers_are_refused_naming_the_field(admin, make_user, change, field):
    alice = make_user(username="alice")
    schedule = Schedule.objects.create(name="s", time_zone="Europe/Berlin")
    body = {**BERLIN_LAYER, "schedule": schedule.pk, "participants": [alice.pk], **change}
    response = admin.post("/api/v1/oncall/layers/", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]
    assert not Layer.objects.exists()


def test_unknown_time_zone_is_refused(admin):
    response = admin.post("/api/v1/oncall/schedules/", {"name": "x", "time_zone": "Mars/Olympus"}, format="json")
    assert response.status_code == 400
    assert "time_zone" in response.json()["error"]["fields"]


def test_bad_instant_is_a_400(admin, make_user):
    schedule_id = make_schedule(admin, [make_user(username="alice")])
    response = admin.get(f"/api/v1/oncall/schedules/{schedule_id}/oncall/", {"at": "yesterday"})
    assert response.status_code == 400
    assert "at" in response.json()["error"]["fields"]


def test_roles(token_client, make_user):
    viewer, responder = token_client(Role.VIEWER), token_client(Role.RESPONDER)
    schedule = Schedule.objects.create(name="s", time_zone="UTC")
    other = make_user(username="other")
    assert viewer.get("/api/v1/oncall/schedules/").status_code == 200
    assert viewer.post("/api/v1/oncall/schedules/", {"name": "x"}, format="json").status_code == 403
    assert responder.post("/api/v1/oncall/schedules/", {"name": "x"}, format="json").status_code == 403
    window = {"start": "2026-03-24T10:00:00Z", "end": "2026-03-24T12:00:00Z", "schedule": schedule.pk}
    own = responder.post("/api/v1/oncall/overrides/", {**window, "user": responder.user.pk}, format="json")
    assert own.status_code == 201
    theirs = responder.post("/api/v1/oncall/overrides/", {**window, "user": other.pk}, format="json")
    assert theirs.status_code == 403
    assert Override.objects.count() == 1
    assert (
        viewer.post("/api/v1/oncall/overrides/", {**window, "user": viewer.user.pk}, format="json").status_code == 403
    )


def test_swap_offer_and_take(token_client, make_user):
    alice, bob = token_client(Role.RESPONDER), token_client(Role.RESPONDER)
    schedule = Schedule.objects.create(name="s", time_zone="UTC")
    Layer.objects.create(schedule=schedule, participants=[alice.user.pk], rotation="weeks", every=1,
                         start_date=dt.date(2026, 1, 1), handoff_time=dt.time(9))  # fmt: skip
    offer = alice.post("/api/v1/oncall/swaps/", {"schedule": schedule.pk, "start": "2026-03-24T00:00:00Z",
                                                  "end": "2026-03-25T00:00:00Z"}, format="json")  # fmt: skip
    assert offer.status_code == 201, offer.json()
    swap_id = offer.json()["id"]
    assert alice.post(f"/api/v1/oncall/swaps/{swap_id}/take/").status_code == 409
    assert bob.post(f"/api/v1/oncall/swaps/{swap_id}/take/").status_code == 200
    assert bob.post(f"/api/v1/oncall/swaps/{swap_id}/take/").status_code == 409
    now = bob.get(f"/api/v1/oncall/schedules/{schedule.pk}/oncall/", {"at": "2026-03-24T12:00:00Z"}).json()
    assert [p["id"] for p in now["people"]] == [bob.user.pk]


def test_policy_crud_and_cycle(admin, make_user):
    alice = make_user(username="alice")
    steps = [{"kind": "notify_persons", "persons": [alice.pk]}, {"kind": "wait", "wait_minutes": 5}]
    first = admin.post("/api/v1/oncall/escalation-policies/", {"name": "first", "steps": steps}, format="json")
    assert first.status_code == 201, first.json()
    second = admin.post("/api/v1/oncall/escalation-policies/", {"name": "second", "steps": [
        {"kind": "policy", "target_policy": first.json()["id"]}]}, format="json")  # fmt: skip
    assert second.status_code == 201
    loop = admin.patch(f"/api/v1/oncall/escalation-policies/{first.json()['id']}/", {"steps": [
        {"kind": "policy", "target_policy": second.json()["id"]}]}, format="json")  # fmt: skip
    assert loop.status_code == 400
    assert "steps" in loop.json()["error"]["fields"]
    bad_wait = admin.post("/api/v1/oncall/escalation-policies/", {"name": "w", "steps": [
        {"kind": "wait", "wait_minutes": 0}]}, format="json")  # fmt: skip
    assert bad_wait.status_code == 400
    assert "steps[0].wait_minutes" in bad_wait.json()["error"]["fields"]


def test_direct_page_creates_an_escalating_group(token_client, make_user, db):
    from oncall.models import ContactMethod

    responder = token_client(Role.RESPONDER)
    alice = make_user(username="alice")
    ContactMethod.objects.create(
        user=alice, kind="email", address="alice@example.com", verified_at=dt.datetime.now(dt.UTC)
    )
    response = responder.post("/api/v1/oncall/pages", {"message": "DB is on fire", "user": alice.pk}, format="json")
    assert response.status_code == 201, response.json()
    escalation = Escalation.objects.get(pk=response.json()["escalation_id"])
    assert escalation.group_id == response.json()["group_id"]
    assert escalation.snapshot["steps"][0]["persons"] == [alice.pk]
    assert token_client(Role.VIEWER).post("/api/v1/oncall/pages", {"message": "x", "user": alice.pk},
                                          format="json").status_code == 403  # fmt: skip
    both = responder.post("/api/v1/oncall/pages", {"message": "x", "user": alice.pk, "team": 1}, format="json")
    assert both.status_code == 400


def test_contact_methods_never_echo_the_address_or_secret(token_client):
    assert token_client(Role.VIEWER).post("/api/v1/oncall/contact-methods/", {"kind": "email", "address": "v@x.org"},
                                          format="json").status_code == 403  # fmt: skip
    me = token_client(Role.RESPONDER)
    response = me.post("/api/v1/oncall/contact-methods/", {"kind": "email", "address": "me@example.org",
                                                           "label": "work"}, format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert "address" not in body and "secret" not in body
    assert body["address_display"] == "m…@example.org"
    assert body["verified"] is False
    bad = me.post("/api/v1/oncall/contact-methods/", {"kind": "sms", "address": "12345"}, format="json")
    assert bad.status_code == 400
    assert "address" in bad.json()["error"]["fields"]


def test_list_endpoints_use_a_bounded_number_of_queries(admin, make_user, django_assert_max_num_queries):
    people = [make_user(username=f"p{i}") for i in range(3)]
    for i in range(5):
        schedule = Schedule.objects.create(name=f"s{i}", time_zone="UTC")
        Layer.objects.create(schedule=schedule, participants=[p.pk for p in people], rotation="days", every=1,
                             start_date=dt.date(2026, 1, 1), handoff_time=dt.time(9))  # fmt: skip
        admin.post("/api/v1/oncall/escalation-policies/", {"name": f"p{i}", "steps": [
            {"kind": "notify_schedule", "schedule": schedule.pk}]}, format="json")  # fmt: skip
    for path in ("/api/v1/oncall/schedules/", "/api/v1/oncall/escalation-policies/", "/api/v1/oncall/teams/",
                 "/api/v1/oncall/layers/", "/api/v1/oncall/escalations/", "/api/v1/oncall/notifications/"):  # fmt: skip
        with django_assert_max_num_queries(12):
            response = admin.get(path)
        assert response.status_code == 200, path


def test_overrides_and_swaps_last_a_year_at_most(token_client):
    responder = token_client(Role.RESPONDER)
    schedule = Schedule.objects.create(name="s", time_zone="UTC")
    span = {"schedule": schedule.pk, "start": "2026-03-24T00:00:00Z", "end": "9999-12-31T00:00:00Z"}
    swap = responder.post("/api/v1/oncall/swaps/", span, format="json")
    override = responder.post("/api/v1/oncall/overrides/", {**span, "user": responder.user.pk}, format="json")
    for response in (swap, override):
        assert response.status_code == 400, response.json()
        assert "end" in response.json()["error"]["fields"]
