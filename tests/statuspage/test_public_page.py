"""The public page, its Statuspage v2 JSON and feeds, rendered from the snapshot."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.utils import timezone

from statuspage.services import sync_run
from tests.statuspage.helpers import INTERNAL_MARKERS, public_incident, resolve, world

pytestmark = pytest.mark.django_db

JSON_PATHS = [
    "api/v2/summary.json",
    "api/v2/status.json",
    "api/v2/components.json",
    "api/v2/incidents.json",
    "api/v2/incidents/unresolved.json",
    "api/v2/scheduled-maintenances.json",
    "api/v2/scheduled-maintenances/upcoming.json",
    "api/v2/scheduled-maintenances/active.json",
]
INCIDENT_KEYS = {
    "id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at", "impact", "shortlink",
    "started_at", "page_id", "incident_updates", "components",
}  # fmt: skip
UPDATE_KEYS = {
    "id", "status", "body", "incident_id", "created_at", "updated_at", "display_at", "affected_components",
    "deliver_notifications", "custom_tweet", "tweet_id",
}  # fmt: skip
COMPONENT_KEYS = {
    "id", "name", "status", "created_at", "updated_at", "position", "description", "showcase", "start_date",
    "group_id", "page_id", "group", "only_show_if_degraded",
}  # fmt: skip


def get_json(client: Client, path: str) -> dict:
    response = client.get(f"/status/{path}")
    assert response.status_code == 200, path
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    return json.loads(b"".join(response.streaming_content))


def body(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_summary_matches_statuspage_shape() -> None:
    w = world()
    sync_run(now=timezone.now())
    client = Client()
    summary = get_json(client, "api/v2/summary.json")
    assert set(summary) == {"page", "components", "incidents", "scheduled_maintenances", "status"}
    assert set(summary["page"]) == {"id", "name", "url", "time_zone", "updated_at"}
    assert summary["status"] == {"indicator": "major", "description": "Partial System Outage"}
    by_name = {c["name"]: c for c in summary["components"]}
    assert by_name["Core"]["group"] is True and set(by_name["Core"]["components"]) == {
        str(w["api"].pk),
        str(w["db"].pk),
    }
    assert set(by_name["API"]) == COMPONENT_KEYS
    assert by_name["API"]["status"] == "partial_outage"
    assert by_name["API"]["group_id"] == by_name["Core"]["id"]
    assert by_name["Database"]["status"] == "under_maintenance"
    assert by_name["Website"]["status"] == "operational"
    [incident] = summary["incidents"]
    assert set(incident) == INCIDENT_KEYS
    assert incident["status"] == "investigating" and incident["impact"] in ("none", "minor", "major", "critical")
    [update] = incident["incident_updates"]
    assert set(update) == UPDATE_KEYS
    assert update["body"] == "We are investigating."
    assert update["affected_components"] == [
        {"code": str(w["api"].pk), "name": "API", "old_status": "operational", "new_status": "partial_outage"}
    ]
    statuses = {m["name"]: m["status"] for m in summary["scheduled_maintenances"]}
    assert statuses == {"DB failover test": "in_progress", "Website deploy": "scheduled"}
    for m in summary["scheduled_maintenances"]:
        assert {"scheduled_for", "scheduled_until", "impact"} <= set(m) and m["impact"] == "maintenance"


def test_every_json_document() -> None:
    w = world()
    sync_run(now=timezone.now())
    client = Client()
    docs = {path: get_json(client, path) for path in JSON_PATHS}
    for doc in docs.values():
        assert doc["page"]["id"] == "status"
    assert docs["api/v2/status.json"]["status"]["indicator"] == "major"
    assert len(docs["api/v2/components.json"]["components"]) == 4
    assert [i["id"] for i in docs["api/v2/incidents/unresolved.json"]["incidents"]] == [str(w["incident"].pk)]
    assert [m["name"] for m in docs["api/v2/scheduled-maintenances/upcoming.json"]["scheduled_maintenances"]] == [
        "Website deploy"
    ]
    assert [m["name"] for m in docs["api/v2/scheduled-maintenances/active.json"]["scheduled_maintenances"]] == [
        "DB failover test"
    ]
    assert len(docs["api/v2/scheduled-maintenances.json"]["scheduled_maintenances"]) == 2


def test_resolved_incident_leaves_unresolved_and_the_banner() -> None:
    w = world()
    resolve(w["incident"])
    sync_run(now=timezone.now())
    client = Client()
    assert get_json(client, "api/v2/incidents/unresolved.json")["incidents"] == []
    [incident] = get_json(client, "api/v2/incidents.json")["incidents"]
    assert incident["status"] == "resolved" and incident["resolved_at"]
    assert [u["status"] for u in incident["incident_updates"]] == ["resolved", "investigating"]
    # Only the in-progress maintenance is left.
    assert get_json(client, "api/v2/status.json")["status"] == {
        "indicator": "none",
        "description": "Service Under Maintenance",
    }


def test_html_page_banner_components_bars_and_incidents() -> None:
    world()
    sync_run(now=timezone.now())
    response = Client().get("/status/")
    assert response.status_code == 200
    html = body(response)
    assert "Partial System Outage" in html
    assert "Elevated API errors" in html and "We are investigating." in html
    assert "Website deploy" in html and "DB failover test" in html
    assert html.count('class="sp-bar ') == 3 * 90  # three components, 90 days each
    assert 'aria-label="Daily uptime of API over the last 90 days"' in html
    assert "uptime, partial outage" in html  # today's bar of the API says what happened
    assert "<details" in html and "Core" in html  # collapsible group
    assert "cdn" not in html.lower() and "https://" not in html


def test_only_show_if_degraded_hides_operational_component() -> None:
    from statuspage.services import component_save

    component_save(component=None, data={"name": "Hidden Batch", "only_show_if_degraded": True})
    sync_run(now=timezone.now())
    assert "Hidden Batch" not in body(Client().get("/status/"))
    comp = get_json(Client(), "api/v2/components.json")["components"]
    assert any(c["name"] == "Hidden Batch" and c["showcase"] is False for c in comp)


def test_incident_page_history_and_feeds() -> None:
    from statuspage.models import Component

    api = Component.objects.create(name="API")
    incident = public_incident(title="Login failures", components=[(api, "major_outage")], body="Logins fail.")
    sync_run(now=timezone.now())
    client = Client()
    page = client.get(f"/status/incidents/{incident.pk}/")
    assert page.status_code == 200 and "Logins fail." in body(page)
    history = body(client.get("/status/history/"))
    assert "Login failures" in history and "Older" in history
    month = timezone.now().strftime("%Y-%m")
    assert client.get(f"/status/history/{month}/").status_code == 200
    atom = client.get("/status/history.atom")
    assert atom["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(b"".join(atom.streaming_content))
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in root.findall("a:entry", ns)]
    assert "Login failures" in titles
    rss = ET.fromstring(b"".join(client.get("/status/history.rss").streaming_content))
    assert "Login failures" in [i.findtext("title") for i in rss.iter("item")]


def test_public_pages_never_show_internal_data(make_user) -> None:
    """Scan every public page, JSON document and feed for internal material."""
    from statuspage.services import subscriber_create

    commander = make_user("responder", email="commander@corp.example", username="cmdr-user-x")
    world(user=commander)
    subscriber_create(
        kind="email", email="subscriber-secret@example.com", confirmed=True, actor="admin", now=timezone.now()
    )
    subscriber_create(
        kind="webhook", url="http://127.0.0.1:9/hook-token-abc", allow_private=True, actor="admin", now=timezone.now()
    )
    result = sync_run(now=timezone.now())
    client = Client()
    from statuspage.conf import snapshot_dir

    paths = [
        p.relative_to(snapshot_dir()).as_posix()
        for p in snapshot_dir().rglob("*")
        if p.is_file() and not p.name.startswith(".")
    ]
    assert len(paths) == result["files"]
    forbidden = (*INTERNAL_MARKERS, "cmdr-user-x", "subscriber-secret", "hook-token-abc", "alice", "bob")
    for path in paths:
        response = client.get("/status/" + path.removesuffix("index.html"))
        assert response.status_code == 200, path
        text = body(response)
        for marker in forbidden:
            assert marker not in text, f"{marker!r} leaked into /status/{path}"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("api/v2/nope.json", 404),
        ("../secret_key", 404),
        ("..%2f..%2fsecret_key", 404),
        ("incidents/999999/", 404),
        ("snapshot.json/../../x.json", 404),
        ("a" * 500 + ".json", 404),
    ],
)
def test_bad_paths_are_404_not_500(path, status) -> None:
    sync_run(now=timezone.now())
    response = Client().get("/status/" + path)
    assert response.status_code == status
    if path.endswith(".json"):
        assert json.loads(response.content)["error"]["code"] == "not_found"


def test_first_request_renders_when_no_snapshot_exists(snapshot_dir) -> None:
    assert not snapshot_dir.exists()
    response = Client().get("/status/api/v2/status.json")
    assert response.status_code == 200
    assert (snapshot_dir / "snapshot.json").exists()
