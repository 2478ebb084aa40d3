"""A real Chromium: the SLO detail page draws its three plotly charts without errors, the form shows
only the fields of the chosen SLI kind and previews the SLI through htmx."""

from __future__ import annotations

import pytest
from django.utils import timezone

from slo.services import slo_evaluate_all
from tests.slo.conftest import push, traffic
from tests.slo.factories import ServiceFactory, SLOFactory
from tests.support.browser import login

pytestmark = [pytest.mark.integration]


def _watch(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    return problems


@pytest.mark.django_db(transaction=True)
def test_detail_charts_and_form_preview(browser, live_server, make_user):
    now = timezone.now().replace(microsecond=0)
    push(traffic(service="checkout", now=now, minutes=180, ok=990, errors=lambda m: 100 if m < 10 else 1), now=now)
    SLOFactory(service=ServiceFactory(name="checkout"), name="checkout-availability")
    slo_evaluate_all(now=now)
    user = make_user("admin", username="browser-slo")
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    problems = _watch(page)
    try:
        login(page, live_server.url, user.username)
        page.goto(f"{live_server.url}/slos/")
        page.get_by_role("link", name="checkout-availability").click()
        for chart in ("burndown", "burn", "sli"):
            page.wait_for_selector(f'[data-slo-chart="{chart}"] .main-svg', timeout=20000)
        assert page.locator('[data-slo-chart="burn"] .bars .point').count() == 8  # 7 windows + the SLO window
        assert "0.0144" in page.get_by_test_id("slo-conditions").inner_text()
        page.goto(f"{live_server.url}/slos/new/")
        assert page.locator('[data-slo-field="latency_selector"]').is_hidden()
        page.select_option("#id_sli_kind", "latency")
        assert page.locator('[data-slo-field="latency_selector"]').is_visible()
        assert page.locator('[data-slo-field="ratio_total_selector"]').is_hidden()
        page.select_option("#id_sli_kind", "ratio")
        page.fill("#id_ratio_numerator_selector", 'http_requests_total{service="checkout", code="500"}')
        page.fill("#id_ratio_total_selector", 'http_requests_total{service="checkout"}')
        page.get_by_role("button", name="Preview SLI (last 24 h)").click()
        preview = page.get_by_test_id("slo-preview")
        preview.wait_for(timeout=20000)
        assert "SLI over the last 24 h" in preview.inner_text()
    finally:
        context.close()
    assert not problems, "\n".join(problems)
