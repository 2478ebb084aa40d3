"""PostgreSQL: increments staged by the ingest statement are exact in the selectors before the fold,
and the fold moves them into the minute and hour rollups once (see telemetry.fold)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db import connection
from django.db.models import Sum

from telemetry.domain.samples import validate_samples
from telemetry.fold import rollups_fold
from telemetry.models import HourRollup, MinuteRollup
from telemetry.selectors import counter_increase_windows, gauge_last, minute_increases, series_match
from telemetry.services import metrics_ingest


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("staging and folding are the PostgreSQL write path; SQLite writes rollups directly")


def _pending_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM telemetry_pendingrollup")
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_staged_increments_are_read_exactly_then_folded_once(postgres_only, monkeypatch):
    monkeypatch.setattr("telemetry.services.fold_after_ingest", lambda **kwargs: None)
    now = dt.datetime.fromtimestamp((time.time() // 3600) * 3600 - 1800, tz=dt.UTC)
    t = now.timestamp() - 600
    for step, (a, b) in enumerate([(10, 5), (15, 7), (3, 9)]):  # series 0 resets at the third step
        items = [
            {"metric": "fold_total", "labels": {"i": "0"}, "value": a, "timestamp": t + 30 * step},
            {"metric": "fold_total", "labels": {"i": "1"}, "value": b, "timestamp": t + 30 * step},
            {"metric": "fold_temp", "value": a, "timestamp": t + 30 * step},
        ]
        metrics_ingest(samples=validate_samples(items, now=now.timestamp()), scope="t", batch_id=None, now=now)
    ids = {ref.labels["i"]: ref.id for ref in series_match(name="fold_total")}
    [temp] = series_match(name="fold_temp")
    assert not MinuteRollup.objects.exists() and _pending_rows() > 0

    def reads():
        return (
            counter_increase_windows(series_ids=ids.values(), windows=[900, 7200], now=now),
            minute_increases(series_ids=ids.values(), start=int(t) - 60, end=int(t) + 300),
            gauge_last(series_ids=[temp.id], now=now, lookback=900),
        )

    before = reads()
    assert before[0][900] == {ids["0"]: 5 + 3, ids["1"]: 2 + 2}
    assert before[0][7200] == before[0][900]
    assert sum(before[1].values()) == 12
    assert before[2] == {temp.id: 3.0}

    staged = _pending_rows()
    assert rollups_fold() == staged
    assert _pending_rows() == 0
    assert reads() == before
    assert MinuteRollup.objects.aggregate(s=Sum("increase"))["s"] == 12
    assert HourRollup.objects.aggregate(s=Sum("increase"))["s"] == 12
    assert rollups_fold() == 0  # nothing left: a second fold changes nothing
    assert reads() == before


@pytest.mark.django_db
def test_a_failing_fold_does_not_fail_the_stored_batch(postgres_only, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("fold broke")

    monkeypatch.setattr("telemetry.fold.rollups_fold", broken)
    now = dt.datetime.fromtimestamp((time.time() // 3600) * 3600 - 1800, tz=dt.UTC)
    items = [{"metric": "late_total", "value": 2, "timestamp": now.timestamp() - 60, "kind": "delta"}]
    result = metrics_ingest(samples=validate_samples(items, now=now.timestamp()), scope="t", batch_id="f-1", now=now)
    assert (result.accepted, result.rejected) == (1, 0)
    [ref] = series_match(name="late_total")
    assert counter_increase_windows(series_ids=[ref.id], windows=[600], now=now)[600] == {ref.id: 2.0}
    monkeypatch.undo()
    assert rollups_fold() == 1
    assert MinuteRollup.objects.get(series_id=ref.id).increase == 2
