"""A real Chromium at phone width (390 x 844) on the SLO pages: nothing scrolls sideways, no serious axe-core
violation, the range buttons redraw the charts, the burn chart's threshold labels sit beside the bars (not on
them) and no bar is cut off, a live refresh redraws the charts, and the form's policy rows and suggestions work."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from slo.services import slo_evaluate_all
from tests.incidents.factories import IncidentFactory
from tests.releases.factories import DeploymentFactory
from tests.slo.conftest import push, traffic
from tests.slo.factories import ServiceFactory, SLOFactory
from tests.slo.test_browser import _watch
from tests.support.browser import login
from tests.support.pagecheck import PHONE, axe_violations, overflow

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def slo_data():
    now = timezone.now().replace(microsecond=0)
    # a 60x burn over the last 10 minutes: bars far above the 14.4x line
    push(traffic(service="checkout", now=now, minutes=180, ok=940, errors=lambda m: 60 if m < 10 else 0), now=now)
    service = ServiceFactory(name="checkout")
    slo = SLOFactory(service=service, name="checkout-availability")
    SLOFactory(service=ServiceFactory(name="quiet"), name="quiet-availability")
    DeploymentFactory(service=service, version="2.4.1", at=now - dt.timedelta(minutes=40))
    IncidentFactory(title="Checkout errors", started_at=now - dt.timedelta(minutes=12)).services.add(service)
    for minutes in (3, 2, 1, 0):
        slo_evaluate_all(now=now - dt.timedelta(minutes=minutes))
    return slo


def _charts_drawn(page) -> None:
    for chart in ("burndown", "burn", "sli", "events"):
        expect(page.locator(f'[data-slo-chart="{chart}"] .main-svg').first).to_be_visible(timeout=20000)


def test_list_and_detail_at_phone_width(browser, live_server, make_user, slo_data):
    user = make_user("viewer", username="slo-phone-viewer")
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    problems = _watch(page)
    try:
        login(page, live_server.url, user.username)
        page.goto(f"{live_server.url}/slos/")
        expect(page.get_by_test_id("slo-list")).to_be_visible()
        assert page.locator("[data-slo] svg.sparkline polyline").count() == 1  # the quiet SLO has no history
        assert overflow(page) == []
        assert axe_violations(page) == []
        assert page.get_by_role("link", name="New SLO").count() == 0

        page.get_by_role("link", name="checkout-availability").click()
        page.wait_for_url(f"**/slos/{slo_data.pk}/")
        _charts_drawn(page)
        assert overflow(page) == []
        assert axe_violations(page) == []
        assert page.get_by_role("link", name="Edit").count() == 0
        assert page.get_by_role("link", name="Delete").count() == 0

        # threshold labels beside the bars, never on them; every bar inside the plot (none cut off at the top)
        burn = page.locator('[data-slo-chart="burn"]')
        bars = [b for b in (p.bounding_box() for p in burn.locator(".bars .point path").all()) if b]
        plot = burn.locator(".draglayer .nsewdrag").first.bounding_box()
        labels = [burn.locator(".annotation").nth(i).bounding_box() for i in range(burn.locator(".annotation").count())]
        assert len(labels) == 3 and bars
        assert max(b["x"] + b["width"] for b in bars) <= min(label["x"] for label in labels) + 1
        assert min(b["y"] for b in bars) >= plot["y"] - 1
        ys = sorted(label["y"] for label in labels)
        assert all(b - a >= 10 for a, b in itertools.pairwise(ys))  # labels do not overlap one another
        # releases and incidents on the time axis
        assert page.locator('[data-slo-chart="sli"] .scatterlayer .point').count() >= 2

        page.get_by_role("link", name="1h").click()
        page.wait_for_url("**/?range=1h")
        _charts_drawn(page)
        expect(page.locator('a[data-range="1h"]')).to_have_attribute("aria-current", "true")
        expect(page.get_by_role("heading", name="SLI per 1 min")).to_be_visible()
        assert overflow(page) == []

        # a live refresh swaps the body and draws the charts again
        page.evaluate("document.querySelector('[data-slo-chart=burn]').setAttribute('data-old', '1')")
        page.evaluate("htmx.ajax('GET', location.pathname + '?range=1h', {target: '#slo-detail', swap: 'innerHTML'})")
        expect(page.locator('[data-slo-chart="burn"][data-old]')).to_have_count(0)
        _charts_drawn(page)

        page.set_viewport_size({"width": 844, "height": 390})  # turned sideways: the charts follow the width
        page.wait_for_function(
            "() => Math.abs(document.querySelector('[data-slo-chart=sli] .main-svg').getBoundingClientRect().width"
            " - document.querySelector('[data-slo-chart=sli]').getBoundingClientRect().width) < 2"
        )
        assert overflow(page) == []
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_form_and_service_pages_at_phone_width(browser, live_server, make_user, slo_data):
    user = make_user("admin", username="slo-phone-admin")
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    problems = _watch(page)
    try:
        login(page, live_server.url, user.username)
        page.goto(f"{live_server.url}/slos/{slo_data.pk}/edit/")
        expect(page.get_by_test_id("policy-rows")).to_be_visible()
        assert overflow(page) == []
        assert axe_violations(page) == []
        rows = page.locator("[data-policy-row]")
        assert rows.count() == 5  # the three conditions and two blank rows (what works without script)
        page.get_by_role("button", name="Add row").click()
        expect(rows).to_have_count(6)
        assert page.locator('input[name="policy-5-long_window"]').is_visible()
        rows.nth(0).get_by_role("button", name="Remove").click()
        expect(rows).to_have_count(5)
        assert page.locator('input[name="policy-0-long_window"]').count() == 0

        selector = page.locator("#id_ratio_total_selector")
        selector.fill("http_req")
        expect(page.locator("#suggest-id_ratio_total_selector option[value='http_requests_total']")).to_have_count(1)
        selector.fill('http_requests_total{service="ch')
        option = "#suggest-id_ratio_total_selector option[value='http_requests_total{service=\"checkout\"']"
        expect(page.locator(option)).to_have_count(1)

        page.fill("#id_target", "0.999")
        page.get_by_role("button", name="Save SLO").click()
        expect(page.get_by_text("the target is a percentage")).to_be_visible()
        assert overflow(page) == []

        for path in (f"/slos/services/{slo_data.service_id}/", "/slos/import/", "/slos/new/"):
            page.goto(live_server.url + path)
            expect(page.locator("h1")).to_be_visible()
            assert overflow(page) == [], path
            assert axe_violations(page) == [], path
    finally:
        context.close()
    problems = [p for p in problems if "HTTP 400" not in p and "status of 400" not in p]  # the refused target: 400
    assert not problems, "\n".join(problems)
