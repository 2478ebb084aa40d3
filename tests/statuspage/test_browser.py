"""The public page in a real Chromium: keyboard focus on a day's bar shows its numbers, groups collapse,
no request fails, contrast of the banner, and the phone-sized layout shows 30 days."""

from __future__ import annotations

import pytest
from django.utils import timezone

from statuspage.services import sync_run
from tests.statuspage.helpers import world


def _luminance(rgb: str) -> float:
    values = [int(v) / 255 for v in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    linear = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in values]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.integration
def test_public_page_keyboard_and_phone(browser, live_server, transactional_db) -> None:
    from incidents.services.config import incident_defaults_ensure

    incident_defaults_ensure()
    world()
    sync_run(now=timezone.now())
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.goto(live_server.url + "/status/")
    banner = page.get_by_role("status").first
    assert banner.inner_text() == "Partial System Outage"
    colour = banner.evaluate("e => getComputedStyle(e).color")
    background = banner.evaluate("e => getComputedStyle(e).backgroundColor")
    light, dark = sorted((_luminance(colour), _luminance(background)), reverse=True)
    assert (light + 0.05) / (dark + 0.05) >= 4.5  # WCAG AA

    bars = page.get_by_role("list", name="Daily uptime of API over the last 90 days").get_by_role("listitem")
    assert bars.count() == 90
    today = bars.last
    today.focus()
    label = today.get_attribute("aria-label")
    assert "uptime" in label and "Elevated API errors" in label
    tooltip = today.evaluate("e => getComputedStyle(e, '::after').content")
    assert "Elevated API errors" in tooltip  # the focused bar shows the day's details
    page.keyboard.press("Escape")
    assert today.evaluate("e => getComputedStyle(e, '::after').content") in ("none", "normal")

    group = page.locator("details.sp-group").first
    assert group.evaluate("e => e.open")
    group.locator("summary").click()
    assert not group.evaluate("e => e.open")

    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    phone.goto(live_server.url + "/status/")
    visible = phone.locator("ol.sp-bars").first.locator("li:visible")
    assert visible.count() == 30
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert problems == []
    context.close()
