"""The heartbeats pages in a real Chromium: an admin creates a cron check (the form shows the period or the cron
fields for the chosen kind), the job pings it over HTTP with curl's shape, the check page draws the run-duration
chart (no script errors: the CSP allows no inline script) and shows the copyable ping URL; list and check pages
fit a 390 px phone. Screenshots go to /tmp/heartbeats-*.png."""

from __future__ import annotations

import datetime as dt
import urllib.request

import pytest

from heartbeats.choices import PingKind
from heartbeats.models import Check
from heartbeats.services import heartbeat_ping
from sre.choices import Role
from tests.alerts.factories import ReceiverFactory, RouteFactory
from tests.support.browser import login

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
NO_SIDEWAYS = (
    "document.documentElement.scrollWidth <= window.innerWidth && document.body.scrollWidth <= window.innerWidth"
)
# What sticks out past the right edge (outside boxes that scroll on their own), to say why a page scrolls.
WIDE = """[...document.querySelectorAll('body *')].filter(el => el.getBoundingClientRect().right > window.innerWidth + 1
  && !el.closest('.table-wrap, .hb-example, .js-plotly-plot')).slice(0, 8).map(el => el.tagName + '.' + el.className
  + ' ' + Math.round(el.getBoundingClientRect().right))"""


@pytest.mark.integration
def test_create_ping_chart_and_phone_width(browser, live_server, transactional_db, make_user):
    RouteFactory(name="root", parent=None, receiver=ReceiverFactory(name="default"), group_by=["alertname"],
                 group_wait=0)  # fmt: skip
    admin = make_user(Role.ADMIN, username="ada")
    base = live_server.url
    page = browser.new_context(viewport=DESKTOP).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Console errors too (a CSP violation is one); the form's own 400 answer (a refused cron) is expected.
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "status of 400" not in msg.text
            else None)  # fmt: skip
    login(page, base, admin.username)

    page.goto(f"{base}/heartbeats/")
    assert "No heartbeat checks yet" in page.content()
    page.screenshot(path="/tmp/heartbeats-empty-desktop.png", full_page=True)
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name="New check").first.click()
    assert page.locator("#id_period").is_visible() and not page.locator("#id_cron").is_visible()
    page.get_by_label("Cron expression").check()
    assert page.locator("#id_cron").is_visible() and not page.locator("#id_period").is_visible()
    page.fill("#id_name", "nightly-backup")
    page.fill("#id_cron", "0 0 31 2 *")
    page.fill("#id_timezone", "Europe/Berlin")
    with page.expect_navigation():
        page.get_by_role("button", name="Save check").click()
    assert "never fires" in page.locator("[data-hb-kind=cron] .field-error").first.inner_text()
    assert page.locator("#id_cron").is_visible()  # the chosen kind's fields stay shown with their error
    assert not Check.objects.exists()
    page.fill("#id_cron", "30 2 * * *")
    with page.expect_navigation():
        page.get_by_role("button", name="Save check").click()
    check = Check.objects.get()
    assert page.url == f"{base}/heartbeats/{check.pk}/"
    assert "At 02:30 (Europe/Berlin; cron 30 2 * * *)" in page.get_by_test_id("hb-schedule").inner_text()
    ping_url = page.input_value("[data-testid=hb-ping-url]")
    assert ping_url.endswith(f"/api/v1/heartbeats/{check.ping_key}")

    # Earlier runs (the second one two days after the first: late; the third failed), then the job itself: start,
    # then success with its output, over HTTP to the live server (no credentials).
    first = dt.datetime.now(dt.UTC) - dt.timedelta(days=4)
    for at, kind, seconds in ((first, PingKind.SUCCESS, 35), (first + dt.timedelta(days=2), PingKind.SUCCESS, 50),
                              (first + dt.timedelta(days=3), PingKind.FAIL, 80)):  # fmt: skip
        heartbeat_ping(key=check.ping_key, kind=PingKind.START, now=at)
        heartbeat_ping(key=check.ping_key, kind=kind, now=at + dt.timedelta(seconds=seconds))
    for suffix, body in (("/start", None), ("", b"dumped 42 tables")):
        request = urllib.request.Request(f"{base}/api/v1/heartbeats/{check.ping_key}{suffix}", data=body,
                                         method="POST", headers={"User-Agent": "curl/8.5.0"})  # fmt: skip
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200
    page.reload()
    chart = page.locator("#hb-chart")
    chart.locator(".main-svg").first.wait_for()
    legend = chart.locator(".legend").text_content()
    assert "run duration (success)" in legend and "failed" in legend and "late" in legend
    assert page.get_by_test_id("hb-pings").locator("tbody tr").count() == 8
    page.screenshot(path="/tmp/heartbeats-detail-desktop.png", full_page=True)

    phone = browser.new_context(viewport=PHONE, device_scale_factor=2).new_page()
    phone.on("pageerror", lambda exc: errors.append(str(exc)))
    login(phone, base, admin.username)
    for name, url in (("list", "/heartbeats/"), ("detail", f"/heartbeats/{check.pk}/"), ("form", "/heartbeats/new/")):
        phone.goto(base + url)
        assert phone.evaluate(NO_SIDEWAYS), f"{url} scrolls sideways at 390 px: {phone.evaluate(WIDE)}"
        phone.screenshot(path=f"/tmp/heartbeats-{name}-phone.png", full_page=True)
    assert errors == []
