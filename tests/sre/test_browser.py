"""A real Chromium (driven by Playwright) signs in as each role and opens every navigation page with no console
errors and no failed requests."""

from __future__ import annotations

import pytest

NAV_LABELS = ["Overview", "SLOs", "Alerts", "Incidents", "Status page", "Drills", "Logs", "Settings"]


@pytest.mark.integration
@pytest.mark.parametrize("role", ["viewer", "responder", "admin"])
def test_each_role_signs_in_and_opens_every_page(browser, live_server, make_user, role: str) -> None:
    user = make_user(role, username=f"browser-{role}")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("requestfailed", lambda req: problems.append(f"request failed: {req.url} {req.failure}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    try:
        page.goto(live_server.url + "/")
        assert "/accounts/login/" in page.url
        page.fill("#id_username", user.username)
        page.fill("#id_password", "pw-for-tests")
        page.click("button[type=submit]")
        page.wait_for_url(live_server.url + "/")
        assert page.get_by_test_id("role").text_content().strip() == role
        for label in NAV_LABELS:
            page.get_by_role("navigation", name="Main").get_by_role("link", name=label, exact=True).click()
            page.wait_for_load_state("networkidle")
            current = page.get_by_role("navigation", name="Main").locator('[aria-current="page"]')
            assert current.inner_text() == label
            assert page.locator("h1").first.is_visible()
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url("**/accounts/login/")
    finally:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.integration
def test_phone_layout_has_a_working_menu(browser, live_server, make_user) -> None:
    user = make_user("viewer", username="phone-user")
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", "pw-for-tests")
        page.click("button[type=submit]")
        page.wait_for_url(live_server.url + "/")
        nav = page.get_by_role("navigation", name="Main")
        assert not nav.is_visible()
        page.get_by_role("button", name="Menu").click()
        assert nav.is_visible()
        assert page.get_by_role("button", name="Menu").get_attribute("aria-expanded") == "true"
    finally:
        context.close()
