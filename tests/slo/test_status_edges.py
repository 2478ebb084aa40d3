"""Edges of the SLO status and history: calendar windows start at the period start, a push answered
before the status is counted (staged rows on PostgreSQL), counts are JSON integers, history uses the
status's names, and the OpenAPI schema describes both responses exactly."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.db import connection
from drf_spectacular.generators import SchemaGenerator
from jsonschema import Draft4Validator

from slo.services import slo_evaluate, slo_evaluate_all
from tests.slo.conftest import push, traffic
from tests.slo.factories import ServiceFactory, SLOFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
SPEC = {"bad": 'http_requests_total{service="cal", code="500"}', "total": 'http_requests_total{service="cal"}'}


def _delta(ts: dt.datetime, *, ok: int, bad: int, service: str = "cal") -> list[dict]:
    return [
        {"metric": "http_requests_total", "labels": {"service": service, "code": code}, "value": value,
         "timestamp": ts.timestamp(), "kind": "delta"}
        for code, value in (("200", ok), ("500", bad))
    ]  # fmt: skip


def test_a_calendar_month_in_berlin_counts_from_its_first_second():
    at = dt.datetime(2026, 12, 1, 21, 23, 22, tzinfo=UTC)  # 22:23:22 in Berlin; the month began 23:00:00Z
    period_start = dt.datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    samples = _delta(period_start - dt.timedelta(seconds=30), ok=0, bad=7)  # minute 22:59: November
    samples += _delta(period_start, ok=0, bad=50)  # stamped 23:00:00: November's last minute, left out
    for minute in range(1, 11):  # 23:01 ... 23:10: December
        samples += _delta(period_start + dt.timedelta(minutes=minute), ok=99, bad=1)
    samples += _delta(at.replace(second=0), ok=100, bad=0)  # the current minute, 21:23:00
    push(samples, now=at)
    slo = SLOFactory(service=ServiceFactory(name="cal"), sli=SPEC, window_kind="calendar", calendar_unit="month",
                     timezone="Europe/Berlin")  # fmt: skip
    doc = slo_evaluate(slos=[slo], now=at)[0].document
    assert doc["window"]["start"] == "2026-11-30T23:00:00+00:00"  # not 22:59:22
    assert doc["window"]["end"] == "2026-12-01T21:23:22+00:00"
    assert doc["window"]["seconds"] == 22 * 3600 + 23 * 60 + 22
    budget = doc["error_budget"]
    assert (budget["bad_events"], budget["total_events"]) == (10, 1100)
    assert type(budget["bad_events"]) is int and type(budget["total_events"]) is int
    assert doc["burn_rates"]["5m"] == 0  # (21:18:22, 21:23:22] holds the 21:23 minute: 100 good


def test_a_rolling_window_between_minute_boundaries():
    at = dt.datetime(2026, 12, 1, 21, 23, 22, tzinfo=UTC)
    samples = []
    for minute in range(8):  # 21:16 ... 21:23, one bad event of ten each
        samples += _delta(at.replace(second=0) - dt.timedelta(minutes=minute), ok=9, bad=1)
    push(samples, now=at)
    samples += _delta(at.replace(second=0) - dt.timedelta(minutes=8), ok=0, bad=1000)  # 21:15: outside both
    push(samples, now=at)
    slo = SLOFactory(service=ServiceFactory(name="cal"), sli=SPEC, alert_policy=[
        {"name": "x", "severity": "page", "factor": "1", "long_window": "6m", "short_window": "1m"}])  # fmt: skip
    doc = slo_evaluate(slos=[slo], now=at)[0].document
    [condition] = doc["conditions"]
    # 6m: (21:17:22, 21:23:22] holds 21:18 ... 21:23; 1m: (21:22:22, 21:23:22] holds 21:23 (the current minute).
    assert condition["long_ratio"] == pytest.approx(0.1) and condition["short_ratio"] == pytest.approx(0.1)
    # 5m: (21:18:22, 21:23:22] holds 21:19 ... 21:23, five minutes of 1 bad in 10.
    assert doc["burn_rates"]["5m"] == pytest.approx(100)


@pytest.fixture
def staged(monkeypatch):
    """Accepted batches stay staged (PostgreSQL: not folded into the rollups) as they do for up to a
    second under gunicorn, where a thread folds them."""
    monkeypatch.setattr("telemetry.services.fold_after_ingest", lambda **kwargs: None)


def _pending() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM telemetry_pendingrollup")
        return cursor.fetchone()[0]


def test_the_status_counts_a_push_answered_just_before(token_client, staged):
    now = dt.datetime.fromtimestamp(time.time() // 1, tz=UTC)
    client = token_client(role="admin", scopes=("read", "write", "ingest"))
    service = ServiceFactory(name="cal")
    occurrences = SLOFactory(service=service, sli=SPEC)
    slices = SLOFactory(service=service, sli=SPEC, budgeting_method="Timeslices", timeslice_target="0.95")
    samples = []
    for minute in range(1, 21):
        samples += _delta(now - dt.timedelta(minutes=minute), ok=90, bad=10 if minute <= 5 else 0)
    response = client.post("/api/v1/metrics", {"samples": samples}, format="json")
    assert response.status_code == 200 and response.json()["rejected"] == 0, response.content
    if connection.vendor == "postgresql":
        assert _pending() > 0  # the batch is staged, not folded: the status must still count it
    body = client.get(f"/api/v1/slos/{occurrences.pk}/status").json()
    assert (body["error_budget"]["bad_events"], body["error_budget"]["total_events"]) == (50, 1850)
    assert dt.datetime.fromisoformat(body["window"]["end"]) >= now
    body = client.get(f"/api/v1/slos/{slices.pk}/status").json()
    assert (body["error_budget"]["bad_events"], body["error_budget"]["total_events"]) == (5, 20)


@pytest.fixture
def history_slo(minute_now):
    # One bad request in ten minutes: a tenth of the 99.9% budget spent, time to exhaustion finite.
    push(traffic(service="hist", now=minute_now, minutes=90, ok=999, errors=lambda m: 1 if m % 10 == 0 else 0),
         now=minute_now)  # fmt: skip
    slo = SLOFactory(service=ServiceFactory(name="hist"))
    slo_evaluate_all(now=minute_now)
    slo.refresh_from_db()
    return slo, minute_now


def test_counts_are_integers_and_history_uses_the_status_names(token_client, history_slo):
    slo, now = history_slo
    client = token_client(role="viewer", scopes=("read",))
    status = client.get(f"/api/v1/slos/{slo.pk}/status")
    budget = status.json()["error_budget"]
    assert (budget["bad_events"], budget["total_events"], budget["bad"]) == (9, 89919, 9)
    assert '"total_events":89919,' in status.content.decode().replace(" ", "")  # not 89919.0
    span = {"start": (now - dt.timedelta(hours=1)).isoformat(), "end": (now + dt.timedelta(minutes=1)).isoformat()}
    history = client.get(f"/api/v1/slos/{slo.pk}/history", span)
    assert history.status_code == 200, history.content
    [point] = history.json()["points"]
    assert (point["bad_events"], point["total_events"]) == (9, 89919)
    assert (point["bad"], point["total"]) == (9, 89919)  # the deprecated aliases
    assert '"total_events":89919,' in history.content.decode().replace(" ", "")
    stored = slo.status  # the evaluator's document, the same numbers the history point was made from
    consumed = 9 / (0.001 * 89919)
    assert point["consumed_ratio"] == pytest.approx(stored["error_budget"]["consumed_ratio"]) == pytest.approx(consumed)
    assert point["remaining_ratio"] == pytest.approx(1 - consumed)
    burn_1h = 6 / (60 * 999 + 6) / 0.001  # the last hour: 6 bad
    assert point["time_to_exhaustion_seconds"] == pytest.approx(stored["time_to_exhaustion_seconds"])
    assert point["time_to_exhaustion_seconds"] == pytest.approx((1 - consumed) * 30 * 86400 / burn_1h)
    assert set(point["burn_rates"]) == set(status.json()["burn_rates"])


def _nullable(schema, components):
    """An OpenAPI 3.0 schema as JSON Schema: $refs inlined, ``nullable`` as a null type, no extra keys."""
    if isinstance(schema, list):
        return [_nullable(s, components) for s in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        return _nullable(components[schema["$ref"].rsplit("/", 1)[1]], components)
    out = {k: _nullable(v, components) for k, v in schema.items() if k not in ("nullable", "readOnly")}
    if schema.get("nullable"):
        out = {"anyOf": [out, {"type": "null"}]}
    elif out.get("type") == "object" and "properties" in out:
        out["additionalProperties"] = False  # exactly: no key the schema does not name
    return out


def test_status_and_history_are_described_exactly(token_client, history_slo):
    slo, now = history_slo
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    client = token_client(role="viewer", scopes=("read",))
    for path, params in (("status", {}), ("history", {"start": (now - dt.timedelta(hours=1)).isoformat()})):
        operation = schema["paths"][f"/api/v1/slos/{{id}}/{path}/"]["get"]
        response_schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        body = json.loads(client.get(f"/api/v1/slos/{slo.pk}/{path}", params).content)
        resolved = _nullable(response_schema, components)
        errors = [e.message for e in Draft4Validator(resolved).iter_errors(body)]
        assert not errors, (path, errors[:3])
        names = {p["name"] for p in operation.get("parameters", [])}
        assert not names & {"page", "limit", "offset", "cursor"}, path  # neither is paginated
    history = schema["paths"]["/api/v1/slos/{id}/history/"]["get"]["responses"]["200"]["content"]
    assert history["application/json"]["schema"] == {"$ref": "#/components/schemas/SloHistory"}
    status_schema = components["SloStatus"]
    assert set(status_schema["required"]) == set(status_schema["properties"])
    assert (
        components["SloStatusBudget"]["properties"]["bad"].get("deprecated")
        or "Deprecated" in (components["SloStatusBudget"]["properties"]["bad"]["description"])
    )
