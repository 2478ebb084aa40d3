"""Import from Grafana OnCall and PagerDuty: the service, the management command and the API."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from oncall.models import EscalationPolicy, EscalationStep, Layer, Override, Schedule
from oncall.selectors import schedule_list, schedule_oncall_at
from oncall.services.imports import oncall_import
from sre.choices import Role
from sre.errors import InvalidInputError

FIXTURES = Path(__file__).parent / "fixtures"
NOW = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)
URL = "/api/v1/oncall/import"


def _doc(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def people(make_user):
    """Alice, Bob and Carol exist here (Dave and Erin do not)."""
    return {
        name: make_user(Role.RESPONDER, username=name, email=f"{name}@example.com")
        for name in ("alice", "bob", "carol")
    }


def _on_call(name: str, at: dt.datetime) -> list[str]:
    schedule = schedule_list().get(name=name)
    keys = schedule_oncall_at(schedule, at=at)
    return sorted(get_user_model().objects.filter(pk__in=[int(k) for k in keys]).values_list("username", flat=True))


def _utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def test_grafana_import_creates_what_maps(people):
    report = oncall_import(source="grafana", document=_doc("grafana_oncall.json"), dry_run=False, now=NOW)
    assert report.created["schedules"] == ["Platform primary", "Office hours"]
    assert report.created["layers"] == ["Platform primary / Weekly primary", "Office hours / Business hours"]
    assert report.created["policies"] == ["Platform critical"]
    assert len(report.created["overrides"]) == 1
    assert report.people == {"UALICE01": "alice", "UBOB0002": "bob", "UCAROL03": "carol"}
    # Who Grafana OnCall has on call, at fixed instants.
    assert _on_call("Platform primary", _utc(2026, 1, 5, 7, 59)) == ["bob"]
    assert _on_call("Platform primary", _utc(2026, 1, 5, 8, 0)) == ["carol"]  # 09:00 Berlin handoff
    assert _on_call("Platform primary", _utc(2026, 1, 7, 17, 30)) == ["alice"]  # the override
    assert _on_call("Platform primary", _utc(2026, 3, 30, 7, 0)) == ["carol"]  # 09:00 CEST
    assert _on_call("Office hours", _utc(2026, 1, 5, 12)) == ["bob"]
    assert _on_call("Office hours", _utc(2026, 1, 6, 12)) == ["alice"]
    assert _on_call("Office hours", _utc(2026, 1, 10, 12)) == []  # Saturday
    layer = Layer.objects.get(name="Business hours")
    assert layer.restrictions == [{"weekdays": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}]
    steps = list(EscalationStep.objects.filter(policy__name="Platform critical").order_by("position"))
    assert [s.kind for s in steps] == ["notify_persons", "wait", "notify_schedule", "wait", "time_window", "repeat"]
    assert steps[0].persons == [people["alice"].pk, people["bob"].pk]
    assert steps[2].schedule.name == "Platform primary" and steps[2].important
    assert (steps[1].wait_minutes, steps[3].wait_minutes, steps[5].repeat_times) == (5, 15, 5)
    assert steps[4].window == {"weekdays": list(range(7)), "start": "07:00:00", "end": "19:00:00", "time_zone": "UTC"}
    items = [u.item for u in report.unmapped]
    assert items == [
        'schedule "Platform primary" shift "Monthly review duty"',
        'schedule "Office hours" shift "Business hours backup"',
        'escalation chain "Platform critical" step 5 (trigger_webhook)',
        'escalation chain "Platform critical" step 8 (resolve)',
        "user UDAVE004 <dave@elsewhere.example>",
    ]


def test_pagerduty_import_creates_what_maps(people):
    report = oncall_import(source="pagerduty", document=_doc("pagerduty.json"), dry_run=False, now=NOW)
    assert report.created["schedules"] == ["PD Primary"]
    assert report.created["layers"] == ["PD Primary / Weekday days", "PD Primary / Follow the week"]
    assert report.created["policies"] == ["PD Primary policy"]
    # Who PagerDuty has on call, at fixed instants (America/New_York).
    assert _on_call("PD Primary", _utc(2026, 1, 5, 12)) == ["alice"]  # Mon 07:00: Layer 1
    assert _on_call("PD Primary", _utc(2026, 1, 13, 15)) == ["carol"]  # Tue 10:00: Layer 2 wins
    assert _on_call("PD Primary", _utc(2026, 1, 10, 17)) == ["bob"]  # Saturday: Layer 1
    assert _on_call("PD Primary", _utc(2026, 1, 7, 3)) == ["bob"]  # the override
    assert _on_call("PD Primary", _utc(2026, 3, 9, 13)) == ["carol"]  # Mon 09:00 EDT
    steps = list(EscalationStep.objects.filter(policy__name="PD Primary policy").order_by("position"))
    assert [(s.kind, s.wait_minutes, s.repeat_times) for s in steps] == [
        ("notify_schedule", 0, 0),
        ("wait", 15, 0),
        ("notify_persons", 0, 0),
        ("wait", 30, 0),
        ("repeat", 0, 2),
    ]
    assert steps[2].persons == [people["carol"].pk]
    assert [(u.item, u.reason) for u in report.unmapped] == [
        ("user PERIN04 <erin@nowhere.example>", "no active user here has this email (people are never created)"),
        ('escalation policy "PD Primary policy" rule 2', "not paged, not matched here: PERIN04"),
    ]


def test_dry_run_creates_nothing_and_reports_the_same(people):
    dry = oncall_import(source="pagerduty", document=_doc("pagerduty.json"), dry_run=True, now=NOW)
    assert not Schedule.objects.exists() and not EscalationPolicy.objects.exists() and not Override.objects.exists()
    real = oncall_import(source="pagerduty", document=_doc("pagerduty.json"), dry_run=False, now=NOW)
    assert dry.created == real.created and dry.unmapped == real.unmapped


def test_reimport_reports_duplicates_and_overwrites_nothing(people):
    oncall_import(source="grafana", document=_doc("grafana_oncall.json"), dry_run=False, now=NOW)
    before = Layer.objects.count(), EscalationStep.objects.count(), Override.objects.count()
    again = oncall_import(source="grafana", document=_doc("grafana_oncall.json"), dry_run=False, now=NOW)
    assert not again.created_any
    assert (Layer.objects.count(), EscalationStep.objects.count(), Override.objects.count()) == before
    reasons = {u.item: u.reason for u in again.unmapped}
    assert "exists already" in reasons['schedule "Platform primary"']
    assert "exists already" in reasons['escalation policy "Platform critical"']


def test_unmatched_participant_leaves_the_layer_out(make_user):
    make_user(Role.RESPONDER, username="alice", email="alice@example.com")
    report = oncall_import(source="grafana", document=_doc("grafana_oncall.json"), dry_run=False, now=NOW)
    reasons = {u.item: u.reason for u in report.unmapped}
    assert (
        reasons['schedule "Platform primary" shift "Weekly primary"'] == "people not matched here: UBOB0002, UCAROL03"
    )
    assert not Layer.objects.filter(name="Weekly primary").exists()
    assert "user UBOB0002 <Bob@Example.com>" in reasons


def test_email_matching_is_case_insensitive_and_ambiguity_is_listed(make_user):
    make_user(Role.RESPONDER, username="bob", email="BOB@example.com")
    make_user(Role.RESPONDER, username="bob2", email="bob@EXAMPLE.com")
    make_user(Role.RESPONDER, username="carol", email="Carol@Example.COM")
    report = oncall_import(source="grafana", document=_doc("grafana_oncall.json"), dry_run=True, now=NOW)
    assert report.people["UCAROL03"] == "carol"
    assert {u.item: u.reason for u in report.unmapped}["user UBOB0002 <Bob@Example.com>"].startswith("several users")


@pytest.mark.parametrize(
    ("source", "document", "field"),
    [
        ("opsgenie", {}, "source"),
        ("grafana", {"teams": []}, "document.teams"),
        ("pagerduty", {"schedules": [{"id": "S", "time_zone": "Mars/Olympus"}]}, "schedules[0].time_zone"),
    ],
)
def test_bad_input_names_the_field(db, source, document, field):
    with pytest.raises(InvalidInputError) as caught:
        oncall_import(source=source, document=document, dry_run=True, now=NOW)
    assert field in caught.value.fields


# --- API ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.VIEWER, Role.RESPONDER])
def test_api_needs_admin(token_client, role):
    response = token_client(role).post(URL, {"source": "grafana", "dry_run": True, "document": {}}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == f"This needs the admin role; you have {role.value}."


def test_api_dry_run_200_then_201(token_client, people):
    client = token_client(Role.ADMIN)
    body = {"source": "pagerduty", "dry_run": True, "document": _doc("pagerduty.json")}
    response = client.post(URL, body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["created"]["policies"] == ["PD Primary policy"]
    assert {
        "item": "user PERIN04 <erin@nowhere.example>",
        "reason": "no active user here has this email (people are never created)",
    } in response.json()["unmapped"]
    assert not Schedule.objects.exists()
    response = client.post(URL, {**body, "dry_run": False}, format="json")
    assert response.status_code == 201
    assert Schedule.objects.filter(name="PD Primary").exists()
    again = client.post(URL, {**body, "dry_run": False}, format="json")
    assert again.status_code == 200 and not any(again.json()["created"].values())


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"source": "grafana", "dry_run": True, "document": []}, "document"),
        ({"source": "grafana", "dry_run": True, "document": "{}"}, "document"),
        ({"source": "opsgenie", "dry_run": True, "document": {}}, "source"),
        ({"source": "grafana", "dry_run": True, "document": {}, "extra": 1}, "extra"),
        ({"source": "grafana", "dry_run": True, "document": {"users": "x"}}, "document.users"),
        ({"source": "grafana", "dry_run": True, "document": {"dashboards": []}}, "document.dashboards"),
        (
            {"source": "pagerduty", "dry_run": True, "document": {"users": [{"id": str(i)} for i in range(5001)]}},
            "document.users",
        ),
    ],
)
def test_api_bad_input_400_naming_the_field(token_client, body, field):
    response = token_client(Role.ADMIN).post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


def test_api_body_not_an_object_is_400(token_client):
    response = token_client(Role.ADMIN).post(URL, [1, 2], format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid" and response.json()["error"]["message"], response.json()
    assert not Schedule.objects.exists() and not EscalationPolicy.objects.exists()


# --- management command ---------------------------------------------------------------------------


def test_command_dry_run_prints_the_report(people, capsys):
    call_command("oncall_import", "--from", "grafana", str(FIXTURES / "grafana_oncall.json"), "--dry-run")
    out = capsys.readouterr().out
    assert "Would create" in out and "Weekly primary" in out
    assert 'escalation chain "Platform critical" step 8 (resolve): we never resolve' in out
    assert not Schedule.objects.exists()


def test_command_imports(people, capsys):
    call_command("oncall_import", "--from", "pagerduty", str(FIXTURES / "pagerduty.json"))
    assert "Created (from pagerduty)" in capsys.readouterr().out
    assert Override.objects.get().created_by == "import:pagerduty"


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"\xff\xfe", b"[]", json.dumps({"schedules": [{"id": "S", "type": "weird"}]}).encode()],
)
def test_command_bad_input_exits_2(db, tmp_path, capsys, content):
    path = tmp_path / "doc.json"
    path.write_bytes(content)
    with pytest.raises(SystemExit) as caught:
        call_command("oncall_import", "--from", "grafana", str(path))
    assert caught.value.code == 2
    assert str(path) in capsys.readouterr().err


def test_command_missing_file_exits_2(db, tmp_path, capsys):
    with pytest.raises(SystemExit) as caught:
        call_command("oncall_import", "--from", "pagerduty", str(tmp_path / "nope.json"))
    assert caught.value.code == 2
    assert "cannot read" in capsys.readouterr().err


def test_fixture_documents_are_not_mutated(people):
    document = _doc("grafana_oncall.json")
    kept = copy.deepcopy(document)
    oncall_import(source="grafana", document=document, dry_run=True, now=NOW)
    assert document == kept
