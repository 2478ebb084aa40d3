"""The Logs page in a real Chromium: histogram drawn by plotly, live tail that pauses while scrolled."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from telemetry.domain.logs import LogRecord
from telemetry.services import logs_ingest
from tests.support.browser import login

pytestmark = pytest.mark.integration


def _log(message: str, *, seconds_ago: float = 0) -> None:
    now = timezone.now()
    record = LogRecord(now - dt.timedelta(seconds=seconds_ago), "checkout", "error", message, {"k": "v"}, "")
    logs_ingest(records=[record], scope="test", batch_id=None, now=now)


def test_histogram_and_live_tail_pausing_on_scroll(browser, live_server, make_user):
    user = make_user("viewer", username="logs-viewer")
    for i in range(80):
        _log(f"existing line {i}", seconds_ago=600 - i)
    context = browser.new_context(viewport={"width": 1280, "height": 700})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    tail_requests: list[str] = []
    page.on("request", lambda request: tail_requests.append(request.url) if "/logs/tail" in request.url else None)
    page.clock.install()  # the page's timers run on a clock the test moves (time also passes as usual)
    try:
        login(page, live_server.url, user.username)
        page.goto(live_server.url + "/logs/")
        page.wait_for_selector("#log-histogram .main-svg", timeout=15_000)
        assert page.get_by_test_id("tail-state").inner_text() == "live"
        assert page.locator("[data-testid=log-line]").count() == 50

        _log("fresh line while live")
        page.clock.run_for(3_000)  # one polling period (htmx, every 3 s)
        page.wait_for_selector("text=fresh line while live", timeout=15_000)
        first = page.locator("[data-testid=log-line] .log-message").first.inner_text()
        assert first == "fresh line while live"

        page.mouse.wheel(0, 3000)
        page.wait_for_function(
            "() => document.getElementById('tail-state').textContent.includes('paused')", timeout=5_000
        )
        _log("line while scrolled")
        polled = len(tail_requests)
        page.clock.run_for(7_000)  # two polling periods pass while paused: no request leaves the page
        assert len(tail_requests) == polled, tail_requests[polled:]
        assert page.locator("text=line while scrolled").count() == 0

        page.evaluate("window.scrollTo(0, 0)")
        page.clock.run_for(3_000)
        page.wait_for_selector("text=line while scrolled", timeout=15_000)
        assert len(tail_requests) > polled  # live again: the poll that brought the line
        assert page.get_by_test_id("tail-state").inner_text() == "live"
        page.locator("[data-testid=log-line] summary").first.click()
        assert page.locator("[data-testid=log-line] dd pre").first.inner_text().strip() == "k: v"
    finally:
        context.close()
    assert not errors, errors
