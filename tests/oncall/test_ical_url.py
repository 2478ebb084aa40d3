"""iCalendar layers from a URL: fetched through the outbound guard, refused naming ``ical_url`` when the URL
is not a calendar, and used for who is on call."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from oncall.models import Schedule
from oncall.services.schedules import ical_refresh
from sre.choices import Role

CALENDAR = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:shift-1@test
DTSTAMP:20260101T000000Z
DTSTART:20260105T090000Z
DTEND:20260105T170000Z
RRULE:FREQ=DAILY;COUNT=30
SUMMARY:alice
END:VEVENT
END:VCALENDAR
"""


class _Handler(BaseHTTPRequestHandler):
    bodies: dict[str, tuple[str, bytes]] = {}

    def do_GET(self) -> None:
        content_type, body = self.bodies.get(self.path, ("text/plain", b"missing"))
        self.send_response(200 if self.path in self.bodies else 404)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def calendars(settings):
    settings.SRE = {**settings.SRE, "ALERTS_ALLOW_PRIVATE_TARGETS": True}
    _Handler.bodies = {
        "/cal.ics": ("text/calendar", CALENDAR.encode()),
        "/page.html": ("text/html", b"<html>hi</html>"),
    }
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_url_that_is_not_a_calendar_is_refused_naming_the_field(token_client, calendars):
    admin = token_client(Role.ADMIN)
    for path in ("/page.html", "/nothing.ics"):
        response = admin.post("/api/v1/oncall/schedules/", {"name": "s", "ical_url": calendars + path}, format="json")
        assert response.status_code == 400, response.json()
        assert "ical_url" in response.json()["error"]["fields"]
    assert not Schedule.objects.exists()


def test_a_calendar_url_gives_the_people_on_call(token_client, make_user, calendars):
    alice = make_user(username="alice")
    admin = token_client(Role.ADMIN)
    response = admin.post("/api/v1/oncall/schedules/", {"name": "s", "ical_url": calendars + "/cal.ics"}, format="json")
    assert response.status_code == 201, response.json()
    schedule_id = response.json()["id"]
    during = admin.get(f"/api/v1/oncall/schedules/{schedule_id}/oncall/", {"at": "2026-01-07T10:00:00Z"}).json()
    assert [p["id"] for p in during["people"]] == [alice.pk]
    after = admin.get(f"/api/v1/oncall/schedules/{schedule_id}/oncall/", {"at": "2026-01-07T18:00:00Z"}).json()
    assert after["people"] == []
    # The refresh task keeps the last good calendar when the URL starts answering something else.
    _Handler.bodies["/cal.ics"] = ("text/html", b"<html>moved</html>")
    assert ical_refresh(schedule_id=schedule_id, now=Schedule.objects.get().updated_at) == 0
    schedule = Schedule.objects.get()
    assert schedule.ical_error and "BEGIN:VCALENDAR" in schedule.ical_text


def test_private_addresses_are_refused_unless_allowed(token_client, settings):
    settings.SRE = {**settings.SRE, "ALERTS_ALLOW_PRIVATE_TARGETS": False}
    admin = token_client(Role.ADMIN)
    response = admin.post("/api/v1/oncall/schedules/", {"name": "s", "ical_url": "http://127.0.0.1:9/x.ics"},
                          format="json")  # fmt: skip
    assert response.status_code == 400
    assert "ical_url" in response.json()["error"]["fields"]
