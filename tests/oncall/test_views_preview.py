"""Override and swap editors preview the final schedule before anything is saved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from oncall.models import Override, Swap
from sre.choices import Role
from tests.oncall.test_views import csrf_post, schedule, weekly_layer  # noqa: F401 - schedule is a fixture

pytestmark = pytest.mark.django_db


def _span(hours_from: int, hours_to: int) -> tuple[str, str]:
    now = timezone.now()
    return tuple((now + dt.timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M") for h in (hours_from, hours_to))


def test_override_preview_shows_the_cover_and_saves_nothing(session_client, schedule, make_user):  # noqa: F811
    alice = make_user(Role.RESPONDER, username="alice", first_name="Alice")
    weekly_layer(schedule, [alice])
    responder = session_client(Role.RESPONDER)
    responder.user.first_name = "Rita"
    responder.user.save()
    start, end = _span(24, 30)
    url = f"/oncall/schedules/{schedule.pk}/overrides/"
    before = responder.get(f"/oncall/schedules/{schedule.pk}/").content.decode()
    assert "Rita" not in before.split("<h3>Shifts</h3>", 1)[1].split("</table>", 1)[0]
    page = csrf_post(responder, url, {"user": responder.user.pk, "start": start, "end": end, "preview": "1"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="preview-note"' in html
    shifts = html.split("<h3>Shifts</h3>", 1)[1].split("</table>", 1)[0]
    assert "Rita" in shifts  # the previewed cover is in the final schedule
    assert not Override.objects.exists()


def test_swap_preview_shows_the_offered_shifts_as_taken_and_saves_nothing(session_client, schedule):  # noqa: F811
    responder = session_client(Role.RESPONDER)
    weekly_layer(schedule, [responder.user])
    start, end = _span(24, 30)
    page = csrf_post(responder, f"/oncall/schedules/{schedule.pk}/swaps/",
                     {"start": start, "end": end, "preview": "1"})  # fmt: skip
    assert page.status_code == 200
    assert "whoever takes it" in page.content.decode().split("<h3>Shifts</h3>", 1)[1]
    assert not Swap.objects.exists()
