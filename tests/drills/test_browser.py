"""Chromium: the RTO/RPO trend chart draws with the vendored plotly, and run progress updates live via htmx."""

from __future__ import annotations

import pytest

from drills.choices import RunStatus
from drills.models import DrillRun
from tests.drills.factories import BackupTargetFactory, DrillRunFactory
from tests.support.browser import login


def _sign_in(browser, live_server, make_user):
    user = make_user("responder", username="drills-browser")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    login(page, live_server.url, user.username)
    return page, problems


@pytest.mark.integration
def test_trend_chart_and_live_progress(browser, live_server, make_user):
    target = BackupTargetFactory(name="chart-db")
    for index, status in enumerate(("passed", "failed", "passed")):
        DrillRunFactory(target=target, status=status, finished_at=f"2026-01-0{index + 1}T00:00:00Z",
                        rto_seconds=60 + index, rpo_seconds=30 * (index + 1))  # fmt: skip
    active = DrillRunFactory(target=BackupTargetFactory(name="live-db"), status=RunStatus.RUNNING)
    active.steps.create(name="restore", position=1, status="running")
    page, problems = _sign_in(browser, live_server, make_user)

    page.goto(f"{live_server.url}/drills/targets/{target.pk}/")
    page.wait_for_selector("#drill-trend-chart .main-svg", timeout=15000)
    legend = page.locator("#drill-trend-chart .legendtext").all_text_contents()
    assert legend == ["RTO achieved", "RTO target", "RPO achieved", "RPO target"]

    page.goto(f"{live_server.url}/drills/runs/{active.pk}/")
    assert page.get_by_test_id("run-status").inner_text() == "Running"
    DrillRun.objects.filter(pk=active.pk).update(
        status=RunStatus.PASSED, message="All checks passed within RTO and RPO."
    )
    page.wait_for_function(
        "() => document.querySelector('[data-testid=run-status]').textContent === 'Passed'", timeout=15000
    )
    assert "All checks passed" in page.content()
    assert problems == []
