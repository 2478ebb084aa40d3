"""The one-statement window sums equal telemetry's one-statement-per-window sums."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from slo.selectors.rollups import increase_windows
from telemetry.selectors import counter_increase_windows, series_match
from tests.slo.conftest import push, traffic

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("seconds_into_minute", [0, 30, 59])
def test_same_sums_as_telemetry(minute_now, seconds_into_minute):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    push(traffic(service="a", now=minute_now, minutes=60 * 30, ok=7, errors=lambda m: m % 3), now=minute_now)
    push(traffic(service="b", now=minute_now, minutes=90, ok=3, errors=1, offset=200), now=minute_now)
    ids = [s.id for s in series_match(name="http_requests_total")]
    now = minute_now.replace(second=seconds_into_minute)
    windows = [60, 300, 1800, 3600, 5400, 7200, 21600, 86400, 97200, 7 * 86400, 30 * 86400]
    with CaptureQueriesContext(connection) as ctx:
        ours = increase_windows(series_ids=ids, windows=windows, now=now)
    assert [q["sql"].split()[0] for q in ctx.captured_queries if "rollup" in q["sql"]] == ["SELECT"]
    theirs = counter_increase_windows(series_ids=ids, windows=windows, now=now)
    assert ours == theirs
    assert ours[300] and ours[30 * 86400]
    later = now + dt.timedelta(days=40)
    assert increase_windows(series_ids=ids, windows=[300], now=later) == {300: {}}


def test_staged_rows_count_in_the_same_statement(minute_now, monkeypatch):
    """PostgreSQL stages accepted batches until a fold moves them into the rollups: the sums include them
    (on SQLite the rows are in the rollups already and the sums are the same)."""
    from django.db import connection

    monkeypatch.setattr("telemetry.services.fold_after_ingest", lambda **kwargs: None)
    push(traffic(service="a", now=minute_now, minutes=120, ok=7, errors=1), now=minute_now)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM telemetry_pendingrollup")
            assert cursor.fetchone()[0] == 240  # nothing folded yet
    ids = [s.id for s in series_match(name="http_requests_total")]
    windows = [300, 3600, 5400, 86400]
    ours = increase_windows(series_ids=ids, windows=windows, now=minute_now)
    assert ours == counter_increase_windows(series_ids=ids, windows=windows, now=minute_now)
    assert sorted(ours[300].values()) == [5.0, 35.0] and sorted(ours[86400].values()) == [120.0, 840.0]


def _scans(node: dict) -> list[dict]:
    return [node, *(s for child in node.get("Plans", ()) for s in _scans(child))]


def test_minute_edges_are_read_by_an_index_condition_on_start(minute_now):
    """Each range the statement reads is one index condition (the ids with both bounds, or the bounds): with
    sequential and bitmap scans off, every scan of the minute rollups has ``start`` in its Index Cond. An OR
    of the windows' ranges in one WHERE cannot be one: PostgreSQL read the key by series alone with the
    ranges as a filter, every minute row of the 30 days (113 s for 1,000 SLOs on the plain table)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plan")
    push(traffic(service="a", now=minute_now, minutes=60 * 30, ok=7, errors=1), now=minute_now)
    ids = [s.id for s in series_match(name="http_requests_total")]
    windows = [300, 3600, 21600, 86400, 7 * 86400]
    now = minute_now.replace(second=20)
    with CaptureQueriesContext(connection) as ctx:
        increase_windows(series_ids=ids, windows=windows, now=now)
    (sql,) = [q["sql"] for q in ctx.captured_queries if "rollup" in q["sql"]]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL jit = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    minute_scans = [
        n for n in _scans(plan[0]["Plan"]) if n.get("Relation Name", "").startswith("telemetry_minuterollup")
    ]
    assert minute_scans
    for scan in minute_scans:
        assert "start >=" in scan.get("Index Cond", ""), scan
