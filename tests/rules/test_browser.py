"""The rule editor in a real Chromium: an admin fills a metric rule over pushed history, presses Backtest and sees
the chart (a line per label set, the dashed threshold, a firing band), switches kinds (only that kind's fields
show), gets a bad expression named beside its field without saving, adds a label row, saves, and finds the same
chart drawn on the rule's page. The pages fit a 390 px phone. Screenshots go to /tmp/rules-*.png."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from rules.models import AlertRule
from sre.choices import Role
from tests.rules.conftest import push
from tests.rules.test_api import gauge
from tests.support.browser import login

pytestmark = [pytest.mark.integration]

DESKTOP = {"width": 1280, "height": 1000}
PHONE = {"width": 390, "height": 844}
NO_SIDEWAYS = (
    "document.documentElement.scrollWidth <= window.innerWidth && document.body.scrollWidth <= window.innerWidth"
)


def _watch(page) -> list[str]:
    """Script errors, and console errors other than the 400 the bad expression's backtest answers on purpose."""
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" and "400" not in msg.text else None,
    )
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    return problems


def _history() -> None:
    """Three hours of queue_depth per minute: mail above 100 from 90 to 70 minutes ago, sms always low."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    samples = []
    for m in range(1, 180):
        at = now - dt.timedelta(minutes=m)
        samples += [gauge(150 if 70 <= m < 90 else 10, at, queue="mail"), gauge(5, at, queue="sms")]
    push(samples, now=now)


@pytest.mark.django_db(transaction=True)
def test_backtest_an_unsaved_rule_then_save_it(browser, live_server, make_user):
    _history()
    admin = make_user(Role.ADMIN, username="rules-admin")
    base = live_server.url
    page = browser.new_context(viewport=DESKTOP).new_page()
    problems = _watch(page)
    login(page, base, admin.username)
    page.goto(f"{base}/rules/")
    page.get_by_role("link", name="New rule").first.click()

    # Only the chosen kind's fields show.
    # The click starts a navigation; expect() waits for the new page and its script instead of reading the old one.
    page.wait_for_url(f"{base}/rules/new/")
    expect(page.locator("#id_expr")).to_be_visible()
    expect(page.locator("#id_threshold")).to_be_hidden()
    page.select_option("#id_kind", "log_count")
    expect(page.locator("#id_threshold")).to_be_visible()
    expect(page.locator("#id_expr")).to_be_hidden()
    page.select_option("#id_kind", "metric")
    expect(page.locator("#id_expr")).to_be_visible()

    page.fill("#id_name", "QueueDeep")
    page.fill("#id_group", "queues")
    page.fill("#id_expr", "max by (queue) (queue_depth) >")  # does not parse
    chart = page.get_by_test_id("backtest-chart")
    page.get_by_role("button", name="Backtest", exact=True).click()
    expr_box = page.locator("[data-rule-field=expr]")
    expr_box.locator("[data-js-error]").wait_for()
    assert "parse" in expr_box.inner_text()
    assert not AlertRule.objects.exists()

    page.fill("#id_expr", "max by (queue) (queue_depth) > 100")
    page.fill("#id_for_seconds", "2m")
    page.get_by_role("button", name="Backtest", exact=True).click()
    threshold = chart.get_by_test_id("threshold-line")
    threshold.wait_for(state="attached")  # a horizontal line has no height: "hidden" to Playwright
    assert expr_box.locator("[data-js-error]").count() == 0  # the old error is gone
    assert "threshold > 100" in chart.locator("svg .rl-threshold-label").text_content()
    assert threshold.get_attribute("class") == "rl-threshold"  # dashed by the stylesheet
    assert chart.get_by_test_id("series-line").count() == 2  # mail and sms
    assert chart.get_by_test_id("firing-band").count() == 1
    status = page.locator("[data-backtest-status]").inner_text()
    assert status.startswith("Would have fired 1 time (1 label set) over the last 24 hours"), status
    assert "Times in" in chart.get_by_test_id("backtest-zone").inner_text()
    assert not AlertRule.objects.exists()  # a backtest saves nothing

    # Another range redraws it.
    page.get_by_role("button", name="6 h").click()
    page.wait_for_function("document.querySelector('[data-backtest-status]').textContent.includes('6 hours')")
    assert chart.get_by_test_id("firing-band").count() == 1
    page.screenshot(path="/tmp/rules-editor-desktop.png", full_page=True)

    labels = page.locator("[data-pairs=labels]")
    labels.locator("input[name=labels-key]").last.fill("severity")
    labels.locator("input[name=labels-value]").last.fill("critical")
    labels.get_by_role("button", name="Add label").click()
    labels.locator("input[name=labels-key]").last.fill("team")
    labels.locator("input[name=labels-value]").last.fill("mail")
    with page.expect_navigation():
        page.get_by_role("button", name="Save rule").click()
    rule = AlertRule.objects.get()
    assert (rule.name, rule.group, rule.for_seconds) == ("QueueDeep", "queues", 120)
    assert rule.labels == {"severity": "critical", "team": "mail"}
    assert page.url == f"{base}/rules/{rule.pk}/"

    # The rule's page draws the saved rule's backtest by itself.
    page.get_by_test_id("backtest-chart").get_by_test_id("threshold-line").wait_for(state="attached")
    assert page.get_by_test_id("backtest-chart").get_by_test_id("firing-band").count() == 1
    page.screenshot(path="/tmp/rules-detail-desktop.png", full_page=True)

    phone = browser.new_context(viewport=PHONE, device_scale_factor=2).new_page()
    problems += _watch(phone)
    login(phone, base, admin.username)
    for name, url in (("list", "/rules/"), ("detail", f"/rules/{rule.pk}/"), ("editor", f"/rules/{rule.pk}/edit/")):
        phone.goto(base + url)
        if name == "detail":
            phone.get_by_test_id("threshold-line").wait_for(state="attached")
        assert phone.evaluate(NO_SIDEWAYS), f"{url} scrolls sideways at 390 px"
        phone.screenshot(path=f"/tmp/rules-{name}-phone.png", full_page=True)
    assert problems == []
