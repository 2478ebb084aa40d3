"""The Overview in a real Chromium at phone width: the one truth in words, nothing sideways, no serious axe
violation, no action a viewer cannot take, and the live refresh swapping the cards in place."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone

from alerts.models import Alert
from tests.incidents.factories import IncidentFactory
from tests.slo.factories import ServiceFactory, SLOFactory
from tests.support.browser import login
from tests.support.pagecheck import PHONE, axe_violations, overflow

pytestmark = [pytest.mark.integration]
SHOTS = os.environ.get("SRE_SHOTS_DIR", "")  # e.g. /work/shots/after/bench: screenshots of what was checked


def _seed() -> None:
    now = timezone.now()
    checkout = ServiceFactory(name="checkout-payments-gateway-europe-west")
    burning = SLOFactory(
        service=checkout,
        name="checkout-availability-with-a-rather-long-name",
        display_name="Checkout requests answered without a server error (a long display name)",
        status={"data_state": "ok", "error_budget": {"remaining_ratio": 0.12}},
    )
    labels = {"alertname": "SLOErrorBudgetBurn", "service": checkout.name, "slo": burning.name, "severity": "page"}
    Alert.objects.create(
        fingerprint=uuid.uuid4().hex[:16], labels=labels, source="slo", starts_at=now, received_at=now, updated_at=now
    )
    SLOFactory(service=checkout, name="latency", status={"data_state": "ok", "error_budget": {"remaining_ratio": 0.8}})
    for n in range(3):
        SLOFactory(service=ServiceFactory(name=f"quiet-{n}"), name="availability", status={})
    IncidentFactory(title="Checkout errors after the 14:02 deploy of payments-gateway")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ["viewer", "admin"])
def test_overview_at_phone_width(browser, live_server, make_user, role: str) -> None:
    from playwright.sync_api import expect

    _seed()
    user = make_user(role, username=f"overview-{role}")
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        login(page, live_server.url, user.username)
        slo_card = page.get_by_test_id("slo-overview")
        expect(slo_card).to_contain_text("1 burn alert firing")
        expect(slo_card).to_contain_text("3 SLOs have no data yet")
        expect(slo_card).not_to_contain_text("all healthy")
        assert overflow(page) == []
        assert axe_violations(page) == []
        panels = page.locator("#overview-panels")
        assert panels.locator("button, form").count() == 0  # nothing to press on the Overview, for any role
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{SHOTS}/overview-390-{role}.png", full_page=True)
        # Live refresh: what htmx asks every 30 s, asked now; the cards change in place, the page around stays.
        IncidentFactory(title="A second incident declared meanwhile")
        cache.clear()  # the cards are kept 5 s (sre.pagecache.TTL); the live server runs in this process
        page.evaluate("() => htmx.ajax('GET', '/', {source: '#overview-panels', target: '#overview-panels'})")
        expect(page.get_by_test_id("incidents-overview")).to_contain_text("A second incident declared meanwhile")
        assert page.locator("h1").count() == 1 and page.locator("#overview-panels").count() == 1
        assert overflow(page) == []
        page.set_viewport_size({"width": 1280, "height": 800})
        assert overflow(page) == []
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/overview-1280-{role}.png", full_page=True)
    finally:
        context.close()
