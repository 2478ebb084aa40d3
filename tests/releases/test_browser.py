"""The Releases pages in a real Chromium: a responder overrides a frozen gate (the browser asks to confirm;
declining sends nothing), the gate then allows; the SLO page draws the release markers without a script error;
the index, service and deployments pages fit a 390 px phone without scrolling sideways (screenshots in
/tmp/releases-*-phone.png)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from releases.models import GateOverride
from releases.services.deployments import deployment_record
from sre.choices import Role
from tests.releases.conftest import set_consumed
from tests.slo.factories import ServiceFactory, SLOFactory
from tests.support.browser import login

NO_SIDEWAYS = (
    "document.documentElement.scrollWidth <= window.innerWidth && document.body.scrollWidth <= window.innerWidth"
)

# What sticks out past the right edge (outside boxes that scroll on their own), to say why a page scrolls.
WIDE = """[...document.querySelectorAll('body *')].filter(el => el.getBoundingClientRect().right > window.innerWidth + 1
  && !el.closest('.table-wrap')).slice(0, 8).map(el => el.tagName + '.' + el.className + ' ' +
  Math.round(el.getBoundingClientRect().right))"""


@pytest.mark.integration
def test_override_with_confirmation_and_markers(browser, live_server, transactional_db, make_user):
    responder = make_user(Role.RESPONDER, username="rita")
    checkout = ServiceFactory(name="checkout", owner_team="payments")
    slo = SLOFactory(service=checkout, name="checkout-availability")
    set_consumed(slo, 150, at=timezone.now())
    deployment_record(service=checkout, version="7.7.7", now=timezone.now() - dt.timedelta(hours=1))
    base = live_server.url
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, base, responder.username)

    page.goto(f"{base}/releases/services/{checkout.pk}/")
    assert page.get_by_test_id("gate-decision").inner_text() == "deny"
    page.fill("#id_reason", "hotfix for card declines")
    page.fill("#id_hours", "2")
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Override until then").click()
    assert not GateOverride.objects.exists()
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_role("button", name="Override until then").click()
    assert len(posts) == 1, posts  # the accepted override's: the declined one sent nothing
    assert "allows releases until" in page.content()
    assert page.get_by_test_id("gate-decision").inner_text() == "allow"
    assert GateOverride.objects.get().created_by == responder

    page.goto(f"{base}/slos/{slo.pk}/")
    page.wait_for_function("document.querySelector('[data-slo-chart=burndown]').textContent !== ''")
    assert "7.7.7" in page.get_by_test_id("slo-releases").inner_text()
    assert not errors, errors

    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    login(phone, base, responder.username)
    for name, path in (("index", "/releases/"), ("service", f"/releases/services/{checkout.pk}/"),
                       ("deployments", "/releases/deployments/")):  # fmt: skip
        phone.goto(base + path)
        phone.screenshot(path=f"/tmp/releases-{name}-phone.png", full_page=True)
        assert phone.evaluate(NO_SIDEWAYS), (path, phone.evaluate(WIDE))
