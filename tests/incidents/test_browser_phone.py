"""At 390 px in a real Chromium: the incidents list, an incident, Insights and the status page admin do not
scroll sideways and have no serious or critical axe violations; a viewer sees no button or link that
leads to a 403, a responder sees the actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.support.browser import login
from tests.support.pagecheck import PHONE, axe_violations, overflow, post_forms


def _world():
    from alerts.services import alert_raise
    from incidents import services
    from slo.models import SLO, Service
    from statuspage.services import component_save, maintenance_save

    now = timezone.now()
    service = Service.objects.create(name="checkout", tier=1)
    labels = {"alertname": "SLOErrorBudgetBurn", "service": "checkout", "slo": "checkout-availability",
              "severity": "ticket", "long_window": "3d", "short_window": "6h"}  # fmt: skip
    sli = {
        "bad": 'http_requests_total{service="checkout", code=~"5.."}',
        "total": 'http_requests_total{service="checkout"}',
    }
    objective = SLO.objects.create(
        service=service, name="checkout-availability", target="0.999", sli=sli, burn_alerts=[labels]
    )
    burning = component_save(
        component=None, data={"name": "Checkout", "status_from_slo_burn": True}, services=[service], slos=[objective]
    )
    api = component_save(component=None, data={"name": "Public API with a rather long component name"})
    alert_raise(
        labels=labels, annotations={}, status="firing", source="slo", now=now, starts_at=now - timedelta(hours=1)
    )
    maintenance_save(
        maintenance=None,
        data={"name": "Database failover rehearsal", "starts_at": now + timedelta(days=1),
              "ends_at": now + timedelta(days=1, hours=1)},
        components=[api],
        actor="tester",
        now=now,
    )  # fmt: skip
    for n in range(6):
        incident = services.incident_create(
            title=f"HighErrorRate on checkout-{n}: ratio 0.{n}1 over 5m and 1h, above 0.0144 (14.4x)",
            public_title=f"Checkout errors {n}",
            severity=("sev1", "sev2", "sev3")[n % 3],
            services=[service],
            components=[(api, "partial_outage")],
            started_at=now - timedelta(days=n * 9 + 1),
            actor="tester",
            now=now - timedelta(days=n * 9 + 1),
        )
        services.status_update_post(
            incident_id=incident.pk, body="We are investigating.", visibility="public", actor="t", now=now
        )
        if n:
            services.incident_resolve(incident_id=incident.pk, public_body="Fixed.", actor="t", now=now)
    open_incident = services.incident_create(title="Open without a public title", actor="t", now=now)
    services.timeline_note_add(incident_id=open_incident.pk, body="Looking at `db-3`", actor="t", now=now)
    return open_incident, burning


PAGES = ("/incidents/", "/incidents/{pk}/", "/incidents/insights/", "/statuspage/")


@pytest.mark.integration
@pytest.mark.parametrize("role", ["viewer", "responder"])
def test_incident_and_status_pages_at_390px(browser, live_server, transactional_db, make_user, role) -> None:
    incident, _burning = _world()
    user = make_user(role, username=f"phone-{role}")
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        login(page, live_server.url, user.username)
        for template in PAGES:
            path = template.format(pk=incident.pk)
            page.goto(live_server.url + path)
            page.wait_for_load_state("networkidle")
            assert overflow(page) == [], path
            assert axe_violations(page) == [], path
            forms = [f for f in post_forms(page) if "logout" not in f["action"]]
            hrefs = page.eval_on_selector_all(
                "main a[href^='/']", "els => els.filter(e => e.offsetParent !== null).map(e => e.getAttribute('href'))"
            )
            if role == "viewer":
                assert forms == [], (path, forms)
                for href in sorted(set(hrefs)):
                    if href.startswith(("/status/", "/static/")) or href.endswith((".csv", ".md")):
                        continue
                    status = page.request.get(live_server.url + href).status
                    assert status != 403, (path, href)
            elif path == "/statuspage/":
                assert any("/incidents/new/?component=" in h for h in hrefs), "no open-incident button"
            elif path == f"/incidents/{incident.pk}/":
                assert {"Acknowledge", "Add note", "Post update", "Resolve"} <= {f["text"] for f in forms}
        if role == "viewer":
            assert "burning since" in page.locator("#components").inner_text()
    finally:
        context.close()
    assert errors == []
