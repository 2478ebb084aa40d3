"""The On call pages in a real Chromium: an admin adds a layer (two people in order, one added with the row
script), previews it (nothing saved), saves it and sees it on the timeline; a policy step's fields follow its
kind; the schedule and home pages fit a 390 px phone without scrolling the page sideways. Screenshots of both
pages at phone and desktop width go to /tmp/oncall-*.png."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from oncall.models import EscalationPolicy, Layer, Override, Schedule, Team
from sre.choices import Role
from tests.support.browser import login

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
NO_SIDEWAYS = (
    "document.documentElement.scrollWidth <= window.innerWidth && document.body.scrollWidth <= window.innerWidth"
)
# What sticks out past the right edge (outside boxes that scroll on their own), to say why a page scrolls.
WIDE = """[...document.querySelectorAll('body *')].filter(el => el.getBoundingClientRect().right > window.innerWidth + 1
  && !el.closest('.oc-tl-scroll, .table-wrap')).slice(0, 8).map(el => el.tagName + '.' + el.className + ' ' +
  Math.round(el.getBoundingClientRect().right))"""


@pytest.mark.integration
def test_layer_preview_save_timeline_and_phone_width(browser, live_server, transactional_db, make_user):
    admin = make_user(Role.ADMIN, username="ada", first_name="Ada", last_name="Admin")
    alice = make_user(Role.RESPONDER, username="alice", first_name="Alice", last_name="Andersen")
    bob = make_user(Role.RESPONDER, username="bob", first_name="Bob", last_name="Berg")
    team = Team.objects.create(name="Database", slug="db")
    schedule = Schedule.objects.create(name="Database primary", time_zone="Europe/Berlin", team=team)
    base = live_server.url
    page = browser.new_context(viewport=DESKTOP).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, base, admin.username)

    page.goto(f"{base}/oncall/schedules/{schedule.pk}/")
    assert "No layers yet" in page.content()
    page.get_by_role("link", name="Add layer").first.click()
    page.fill("#id_name", "Weekdays")
    page.select_option("#id_rotation", "days")
    page.fill("#id_start_date", (timezone.localdate() - dt.timedelta(days=2)).isoformat())
    page.select_option("#id_participants-0-user", str(alice.pk))
    page.get_by_role("button", name="Add person").click()  # a row added by oncall.js
    page.select_option("#id_participants-1-user", str(bob.pk))
    with page.expect_navigation():
        page.get_by_role("button", name="Preview").click()
    preview = page.get_by_test_id("preview")
    assert "Weekdays (preview)" in preview.inner_text()
    final = preview.get_by_test_id("tl-row-final")
    assert "Alice Andersen" in final.inner_text() and "Bob Berg" in final.inner_text()
    assert not Layer.objects.exists()  # previewing saves nothing
    # The preview keeps what was typed, in order.
    assert page.input_value("#id_participants-0-user") == str(alice.pk)
    assert page.input_value("#id_participants-1-user") == str(bob.pk)
    with page.expect_navigation():
        page.get_by_role("button", name="Save layer").click()
    layer = Layer.objects.get()
    assert layer.participants == [alice.pk, bob.pk] and layer.rotation == "days"
    assert page.url == f"{base}/oncall/schedules/{schedule.pk}/"
    timeline = page.get_by_test_id("timeline")
    layer_row = timeline.get_by_test_id("tl-row-layer")
    assert "Weekdays" in layer_row.inner_text() and layer_row.locator(".oc-bar").count() >= 14
    assert timeline.get_by_test_id("tl-row-final").locator(".oc-bar-shift").count() >= 14
    assert "Europe/Berlin" in timeline.inner_text()

    # A gap (an override elsewhere, none here) and an override to see on the screenshots.
    Override.objects.create(
        schedule=schedule, user=admin, start=timezone.now() + dt.timedelta(days=3),
        end=timezone.now() + dt.timedelta(days=4),
    )  # fmt: skip
    Layer.objects.filter(pk=layer.pk).update(end_date=timezone.localdate() + dt.timedelta(days=10))
    page.goto(f"{base}/oncall/schedules/{schedule.pk}/")
    assert page.locator(".oc-bar-gap").count() >= 1 and page.locator(".oc-bar-override").count() == 1
    page.screenshot(path="/tmp/oncall-schedule-desktop.png", full_page=True)
    page.goto(f"{base}/oncall/")
    page.screenshot(path="/tmp/oncall-home-desktop.png", full_page=True)

    phone = browser.new_context(viewport=PHONE, device_scale_factor=2).new_page()
    phone.on("pageerror", lambda exc: errors.append(str(exc)))
    login(phone, base, admin.username)
    for name, url in (("schedule", f"/oncall/schedules/{schedule.pk}/"), ("home", "/oncall/")):
        phone.goto(base + url)
        assert phone.evaluate(NO_SIDEWAYS), f"{url} scrolls sideways at 390 px: {phone.evaluate(WIDE)}"
        phone.screenshot(path=f"/tmp/oncall-{name}-phone.png", full_page=True)
        phone.screenshot(path=f"/tmp/oncall-{name}-phone-top.png")
    for url in (f"/oncall/schedules/{schedule.pk}/layers/{layer.pk}/", "/oncall/policies/new/", "/oncall/me/"):
        phone.goto(base + url)
        assert phone.evaluate(NO_SIDEWAYS), f"{url} scrolls sideways at 390 px: {phone.evaluate(WIDE)}"
    phone.screenshot(path="/tmp/oncall-me-phone.png", full_page=True)
    assert errors == []


@pytest.mark.integration
def test_policy_rows_follow_their_kind_and_reorder(browser, live_server, transactional_db, make_user):
    admin = make_user(Role.ADMIN, username="ada")
    alice = make_user(Role.RESPONDER, username="alice", first_name="Alice")
    base = live_server.url
    page = browser.new_context(viewport=DESKTOP).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, base, admin.username)
    page.goto(f"{base}/oncall/policies/new/")
    page.fill("#id_name", "Database")
    row0 = page.locator("[data-rows=steps] [data-row]").nth(0)
    assert row0.locator("#id_steps-0-persons").is_visible()
    assert not row0.locator("#id_steps-0-wait_minutes").is_visible()  # only the kind's fields are shown
    page.check("#id_steps-0-important")  # a notify-persons row naming nobody yet
    page.get_by_role("button", name="Add step").click()
    page.select_option("#id_steps-1-kind", "wait")
    assert page.locator("#id_steps-1-wait_minutes").is_visible()
    assert not page.locator("#id_steps-1-persons").is_visible()
    page.fill("#id_steps-1-wait_minutes", "5")
    # Move the wait first: the rows are renumbered, so the service sees it as step 0.
    page.locator("[data-rows=steps] [data-row]").nth(1).get_by_role("button", name="Move up").click()
    assert page.input_value("#id_steps-0-kind") == "wait"
    with page.expect_navigation():
        page.get_by_role("button", name="Save policy").click()
    # The service refuses steps[1].persons: the error is beside that row's people field.
    page.screenshot(path="/tmp/oncall-policy-desktop.png", full_page=True)
    second = page.locator("[data-rows=steps] [data-row]").nth(1)
    assert "name at least one person" in second.inner_text()
    assert not EscalationPolicy.objects.exists()
    page.select_option("#id_steps-1-persons", str(alice.pk))
    with page.expect_navigation():
        page.get_by_role("button", name="Save policy").click()
    steps = list(EscalationPolicy.objects.get(name="Database").steps.order_by("position"))
    assert [(s.kind, s.wait_minutes, s.persons) for s in steps] == [("wait", 5, []), ("notify_persons", 0, [alice.pk])]
    assert errors == []
