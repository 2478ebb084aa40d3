"""Done-when, in a real Chromium: a page-severity SLO burn alert opens an incident (policy), a responder
acknowledges, mitigates and resolves it, writes and publishes the postmortem with an action item, and sees
MTTA/MTTR on Insights; the pages work on a phone-sized screen."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from sre.domain.timewords import duration_words
from tests.incidents.factories import IncidentFactory, ServiceFactory
from tests.support.browser import login


def _watch(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.on("dialog", lambda dialog: dialog.accept())
    return problems


@pytest.mark.integration
def test_burn_alert_to_published_postmortem_in_the_browser(
    browser, live_server, transactional_db, make_user, root_route
) -> None:
    from alerts.services import alert_raise
    from incidents.models import Incident

    ServiceFactory(name="checkout", tier=1)
    alert_raise(
        labels={"alertname": "SLOErrorBudgetBurn", "service": "checkout", "slo": "checkout-availability",
                "severity": "page", "long_window": "1h", "short_window": "5m"},
        annotations={"summary": "SLO checkout-availability (checkout) burns its error budget at over 14.4x"},
        status="firing", source="slo", now=timezone.now(),
    )  # fmt: skip
    incident = Incident.objects.get()
    user = make_user("responder", username="rosa")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="America/New_York")
    page = context.new_page()
    problems = _watch(page)
    try:
        login(page, live_server.url, user.username)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Incidents", exact=True).click()
        page.get_by_role("link", name=re.compile("burns its error budget")).click()
        assert page.get_by_test_id("incident-status").inner_text() == "Triage"
        assert "New_York" in page.locator("[data-tz-name]").first.inner_text()
        with page.expect_navigation():
            page.get_by_role("button", name="Acknowledge").click()
        assert page.get_by_test_id("incident-status").inner_text() == "Investigating"
        assert page.get_by_test_id("role-commander").inner_text() == "rosa"
        page.fill("#id_note_body", "Rolled back **release 42**")
        with page.expect_navigation():
            page.keyboard.press("Control+Enter")
        page.locator(".timeline strong", has_text="release 42").wait_for()
        page.fill("#id_update_body", "We are seeing checkout errors and rolled back.")
        page.select_option("select[name=visibility]", "public")
        with page.expect_navigation():
            page.get_by_role("button", name="Post update").click()
        # Refused on the page: a public update needs the public title, asked for inline; the text stays.
        assert "public title before its first public update" in page.get_by_test_id("update-form").inner_text()
        assert page.locator("#id_update_body").input_value() == "We are seeing checkout errors and rolled back."
        problems[:] = [p for p in problems if "400" not in p]  # that refusal is a 400 page, as it should be
        page.fill("#id_update_public_title", "Checkout errors")
        with page.expect_navigation():
            page.get_by_role("button", name="Post update").click()
        assert "Checkout errors" in page.get_by_test_id("public-title").inner_text()
        with page.expect_navigation():
            page.get_by_role("button", name="Monitoring").click()
        assert page.get_by_test_id("incident-status").inner_text() == "Monitoring"
        page.locator("#resolve summary").click()
        page.get_by_label("Final public update (Markdown)").fill("Checkout works again.")
        with page.expect_navigation():
            page.get_by_test_id("resolve-form").get_by_role("button", name="Resolve").click()
        assert page.get_by_test_id("incident-status").inner_text() == "Resolved"
        with page.expect_navigation():
            page.get_by_role("button", name="Write the postmortem").click()
        page.wait_for_url(f"**/incidents/{incident.pk}/postmortem/")
        editor = page.locator("#id_body")
        assert "## Root causes and trigger" in editor.input_value()
        editor.fill("# Checkout burn\n\nA bad release. <script>window.pwned=1</script>\n\n## Action items\n")
        page.wait_for_function("() => (document.querySelector('#preview h1') || {}).textContent === 'Checkout burn'")
        assert page.evaluate("window.pwned === undefined")
        with page.expect_navigation():
            page.get_by_test_id("postmortem-save").click()
        with page.expect_navigation():
            page.get_by_role("button", name="Send for review").click()
        assert page.get_by_test_id("postmortem-state").inner_text() == "In review"
        with page.expect_navigation():
            page.get_by_role("button", name="Publish").click()
        assert page.get_by_test_id("postmortem-state").inner_text() == "Published"
        assert page.get_by_test_id("postmortem-body").locator("h1").inner_text() == "Checkout burn"
        page.get_by_label("Title").fill("Canary releases for checkout")
        page.get_by_label("Priority").select_option("p1")
        with page.expect_navigation():
            page.get_by_role("button", name="Add action item").click()
        page.get_by_role("cell", name="Canary releases for checkout", exact=True).wait_for()
        page.goto(live_server.url + "/incidents/insights/")
        overall = page.get_by_test_id("insights-overall")
        last_row = overall.locator("tbody tr").last
        cells = last_row.locator("td").all_inner_texts()
        assert cells[1] == "1"
        assert cells[2] != "—" and cells[4] != "—", cells  # MTTA and MTTR shown
        page.wait_for_selector("#chart-times .main-svg")
    finally:
        context.close()
    incident.refresh_from_db()
    assert incident.status == "resolved" and incident.acknowledged_at and incident.mitigated_at
    assert incident.updates.filter(visibility="public", public_status="resolved", body="Checkout works again.").exists()
    assert incident.postmortem.state == "published"
    assert not problems, "\n".join(problems)


@pytest.mark.integration
def test_incident_page_on_a_phone(browser, live_server, transactional_db, make_user) -> None:
    from incidents.services import incident_create

    incident = incident_create(title="Phone check", actor="t", now=timezone.now())
    user = make_user("responder", username="phil")
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    problems = _watch(page)
    try:
        login(page, live_server.url, user.username)
        page.goto(f"{live_server.url}/incidents/{incident.pk}/")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 400, f"page scrolls sideways ({width}px)"
        with page.expect_navigation():
            page.get_by_role("button", name="Acknowledge").tap()
        assert page.get_by_test_id("incident-status").inner_text() == "Investigating"
        page.keyboard.press("n")  # keyboard shortcut focuses the note box
        assert page.evaluate("document.activeElement.id") == "id_note_body"
    finally:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.integration
def test_the_live_elapsed_time_says_it_as_the_server_does(browser, live_server, transactional_db, make_user) -> None:
    """incidents.js ticks the 'since start' time every second: in sre.domain.timewords' words, the server's
    (it said '1h 05m' beside pages that say '1 h 5 min')."""
    started = timezone.now() - timedelta(hours=1, minutes=5, seconds=10)
    incident = IncidentFactory(title="Clock check", started_at=started)
    user = make_user("viewer", username="vera")
    context = browser.new_context()
    page = context.new_page()
    problems = _watch(page)
    try:
        login(page, live_server.url, user.username)
        page.goto(f"{live_server.url}/incidents/{incident.pk}/")
        served = duration_words((timezone.now() - started).total_seconds())
        assert served == "1 h 5 min"
        assert page.get_by_test_id("elapsed").inner_text().strip() == f"{served} since start"
    finally:
        context.close()
    assert not problems, "\n".join(problems)
