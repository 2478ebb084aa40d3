"""Public communication without accidents on the status page: only the public title goes public (HTML,
JSON, feeds, uptime bars), past incidents colour the 90-day bars consistently with the JSON, and the admin
page says which SLO burn degrades a component and offers a public incident for it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from incidents.services import incident_create, incident_transition, status_update_post
from slo.models import SLO, Service
from statuspage.services import component_save, sync_run

pytestmark = pytest.mark.django_db

INTERNAL = "HighErrorRate checkout-7f9c 5xx ratio 0.31 db-primary-3"
PUBLIC_PATHS = [
    "",
    "history/",
    "history.atom",
    "history.rss",
    "api/v2/summary.json",
    "api/v2/incidents.json",
    "api/v2/incidents/unresolved.json",
]


def _read(client: Client, path: str) -> str:
    response = client.get(f"/status/{path}")
    assert response.status_code == 200, path
    content = response.streaming_content if response.streaming else [response.content]
    return b"".join(content).decode()


def _incident(*, title: str, public_title: str, component, impact: str, start: datetime, end: datetime | None):
    incident = incident_create(
        title=title,
        public_title=public_title,
        components=[(component, impact)],
        started_at=start,
        actor="alice",
        now=start,
    )
    status_update_post(incident_id=incident.pk, body="We are investigating.", visibility="public", actor="a", now=start)
    if end is not None:
        incident_transition(incident_id=incident.pk, target="resolved", actor="alice", now=end)
    return incident


def test_only_the_public_title_goes_public_html_json_feeds_and_bars() -> None:
    api = component_save(component=None, data={"name": "API"})
    now = timezone.now()
    incident = _incident(
        title=INTERNAL, public_title="Checkout errors", component=api, impact="partial_outage", start=now, end=None
    )
    sync_run(now=timezone.now())
    client = Client()
    for path in [*PUBLIC_PATHS, f"incidents/{incident.pk}/"]:
        text = _read(client, path)
        assert INTERNAL not in text and "7f9c" not in text, path
    summary = json.loads(_read(client, "api/v2/summary.json"))
    assert [i["name"] for i in summary["incidents"]] == ["Checkout errors"]  # Statuspage's name = public title
    assert "related: Checkout errors" in _read(client, "")  # today's bar names it


def _bars(html: str, component: str) -> list[tuple[str, str]]:
    """(level, tooltip) of each bar of ``component``, oldest first."""
    block = html.split(f'aria-label="Daily uptime of {component} over the last 90 days"', 1)[1].split("</ol>", 1)[0]
    return re.findall(r'<li class="sp-bar lvl-(\w+)" tabindex="0" aria-label="([^"]*)"', block)


def test_control_characters_never_stop_the_snapshot(snapshot_dir) -> None:
    from statuspage.snapshot import snapshot_render

    now = timezone.now()
    incident = incident_create(title=INTERNAL, actor="t", now=now)
    status_update_post(
        incident_id=incident.pk,
        body="Pasted from a terminal: \x1b[31mred\x1b[0m \x01",
        visibility="public",
        public_title="Slow\tcheckout\x0b now\n",
        actor="t",
        now=now,
    )
    incident.refresh_from_db()
    assert incident.public_title == "Slow checkout now"  # one line, no control characters
    snapshot_render(now=now)  # Django's XML writer refused the control characters: no snapshot at all
    atom = (snapshot_dir / "history.atom").read_text()
    assert "Slow checkout now" in atom and "\x1b" not in atom and "[31mred" in atom


def test_past_incidents_colour_the_bars_by_worst_impact_and_match_the_json(monkeypatch) -> None:
    import slo.selectors

    service = Service.objects.create(name="api")
    objective = SLO.objects.create(service=service, name="api-avail", target="0.999")
    api = component_save(component=None, data={"name": "API"}, slos=[objective])
    web = component_save(component=None, data={"name": "Website"})

    def no_traffic(*, slo_ids, days, now, tz):
        today = now.astimezone(UTC).date()
        return {key: [(today - timedelta(days=o), None) for o in range(days - 1, -1, -1)] for key in slo_ids}

    monkeypatch.setattr(slo.selectors, "slo_daily_sli", no_traffic)
    now = timezone.now()
    day = (now - timedelta(days=10)).astimezone(UTC).date()
    noon = datetime.combine(day, time(12), tzinfo=UTC)
    _incident(title=INTERNAL, public_title="Slow API", component=api, impact="degraded_performance",
              start=noon - timedelta(hours=3), end=noon - timedelta(hours=2))  # fmt: skip
    _incident(title=INTERNAL + " 2", public_title="API down", component=api, impact="major_outage",
              start=noon, end=noon + timedelta(hours=1))  # fmt: skip
    _incident(title=INTERNAL + " 3", public_title="Website errors", component=web, impact="partial_outage",
              start=noon, end=noon + timedelta(minutes=30))  # fmt: skip
    sync_run(now=timezone.now())
    client = Client()
    html = _read(client, "")
    label = day.strftime("%b %-d, %Y")
    [(level, tip)] = [(lv, t) for lv, t in _bars(html, "API") if t.startswith(label)]
    # No SLI traffic that day, yet the day is coloured by its worst impact (a major outage) and names both.
    assert level == "critical" and "Slow API" in tip and "API down" in tip and INTERNAL not in tip
    [(web_level, web_tip)] = [(lv, t) for lv, t in _bars(html, "Website") if t.startswith(label)]
    assert web_level == "major" and "Website errors" in web_tip
    others = [lv for lv, t in _bars(html, "Website") if not t.startswith(label)]
    assert set(others) <= {"ok", "none"}
    # The JSON tells the same story: each named incident is there, on that day, on that component.
    incidents = {i["name"]: i for i in json.loads(_read(client, "api/v2/incidents.json"))["incidents"]}
    for name, component in (("Slow API", "API"), ("API down", "API"), ("Website errors", "Website")):
        item = incidents[name]
        assert item["started_at"][:10] == day.isoformat() and item["resolved_at"][:10] == day.isoformat()
        assert [c["name"] for c in item["components"]] == [component]


# --- the admin page ------------------------------------------------------------------------------------


def _burning_component(now: datetime):
    from alerts.services import alert_raise

    service = Service.objects.create(name="api")
    labels = {"alertname": "SLOErrorBudgetBurn", "service": "api", "slo": "api-avail", "severity": "ticket",
              "long_window": "3d", "short_window": "6h"}  # fmt: skip
    sli = {"bad": 'http_requests_total{service="api", code=~"5.."}', "total": 'http_requests_total{service="api"}'}
    objective = SLO.objects.create(service=service, name="api-avail", target="0.999", sli=sli, burn_alerts=[labels])
    component = component_save(component=None, data={"name": "API", "status_from_slo_burn": True}, slos=[objective])
    alert_raise(
        labels=labels, annotations={}, status="firing", source="slo", now=now, starts_at=now - timedelta(hours=2)
    )
    return component, objective


def test_admin_says_which_slo_burn_degrades_a_component_and_offers_an_incident(session_client) -> None:
    now = timezone.now()
    component, objective = _burning_component(now)
    responder = session_client("responder")
    html = responder.get("/statuspage/").content.decode()
    notice = html.split('data-testid="burn-notice"', 1)[1].split("</p>", 1)[0]
    assert "Degraded performance by SLO" in notice and f'href="/slos/{objective.pk}/"' in notice
    assert "burning since" in notice and "<time" in notice and "1 burn alert firing" in notice
    button = f'href="/incidents/new/?component={component.pk}&amp;slo={objective.pk}"'
    assert button in html
    form = responder.get(f"/incidents/new/?component={component.pk}&slo={objective.pk}").content.decode()
    assert 'value="Degraded performance of API"' in form
    assert f'<option value="{component.pk}" selected>API</option>' in form
    viewer_html = session_client("viewer").get("/statuspage/").content.decode()
    assert "burning since" in viewer_html and button not in viewer_html
    assert "Responders and admins can open a public incident" in viewer_html
    assert session_client("viewer").get(f"/incidents/new/?component={component.pk}").status_code == 403


def test_one_open_incident_button_when_two_slos_burn_one_component(session_client) -> None:
    from alerts.services import alert_raise

    now = timezone.now()
    component, first = _burning_component(now)
    labels = {**first.burn_alerts[0], "slo": "api-latency"}
    second = SLO.objects.create(
        service=first.service, name="api-latency", target="0.99", sli=first.sli, burn_alerts=[labels]
    )
    component_save(component=component, data={"name": "API", "status_from_slo_burn": True}, slos=[first, second])
    alert_raise(labels=labels, annotations={}, status="firing", source="slo", now=now, starts_at=now)
    html = session_client("responder").get("/statuspage/").content.decode()
    assert html.count('data-testid="burn-notice"') == 2
    assert html.count('data-testid="open-incident"') == 1


def test_no_open_incident_button_once_an_incident_covers_the_component(session_client) -> None:
    now = timezone.now()
    component, _ = _burning_component(now)
    _incident(
        title="t", public_title="API slow", component=component, impact="degraded_performance", start=now, end=None
    )
    html = session_client("responder").get("/statuspage/").content.decode()
    assert 'data-testid="burn-notice"' in html and 'data-testid="open-incident"' not in html


def test_admin_links_resolve_no_404(session_client) -> None:
    now = timezone.now()
    component, objective = _burning_component(now)
    component_save(component=component, data={}, services=[objective.service], slos=[objective])
    client = session_client("admin")
    html = client.get("/statuspage/").content.decode()
    hrefs = sorted(set(re.findall(r'href="(/[^"#]*)"', html)))
    assert f"/slos/services/{objective.service.pk}/" in hrefs
    for href in hrefs:
        if href.startswith(("/static/", "/status/", "/accounts/logout")):
            continue
        response = client.get(href.replace("&amp;", "&"))
        assert response.status_code in (200, 302), href


def test_snapshot_time_in_words_and_live_refresh(session_client) -> None:
    component_save(component=None, data={"name": "API"})
    sync_run(now=timezone.now())
    client = session_client("viewer")
    html = client.get("/statuspage/").content.decode()
    snap = html.split('data-testid="snapshot-time"', 1)[1].split("</p>", 1)[0]
    shown = re.sub(r"<[^>]+>", "", snap.split(">", 1)[1])
    assert "<time datetime=" in snap and not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", shown)
    assert 'hx-trigger="every 30s"' in html and 'data-poll-toggle="[data-live-toggle]"' in html
    partial = client.get("/statuspage/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and 'data-testid="components"' in partial


def test_admin_queries_are_bounded_with_30_components(session_client, django_assert_max_num_queries) -> None:
    now = timezone.now()
    _burning_component(now)
    objective = SLO.objects.get()
    for n in range(30):
        component_save(
            component=None,
            data={"name": f"C{n}", "status_from_slo_burn": True},
            services=[objective.service],
            slos=[objective],
        )
    client = session_client("responder")
    with django_assert_max_num_queries(20):
        response = client.get("/statuspage/")
    assert response.status_code == 200 and response.content.decode().count('data-testid="burn-notice"') == 31
