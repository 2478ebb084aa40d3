"""The two PostgreSQL write paths (one sample per counter series: the fast UPDATE ... RETURNING; anything
else: the general statement) and the SQLite path store the same rollups for the same samples."""

from __future__ import annotations

import datetime as dt
import random
import time

import pytest
from django.db.models import Sum

from telemetry.domain.samples import counter_increase, validate_samples
from telemetry.models import HourRollup, MinuteRollup, Series, SeriesState
from telemetry.services import metrics_ingest
from telemetry.store import cache_clear


def _now() -> dt.datetime:
    return dt.datetime.fromtimestamp((time.time() // 3600) * 3600 - 1800, tz=dt.UTC)


def _push(points, *, now, batch_id=None):
    """points: (series index, value, ts) counters of ``paths_total{i="<index>"}``."""
    items = [{"metric": "paths_total", "labels": {"i": str(i)}, "value": v, "timestamp": t} for i, v, t in points]
    return metrics_ingest(samples=validate_samples(items, now=now.timestamp()), scope="t", batch_id=batch_id, now=now)


def _rollups() -> dict:
    out = {}
    for model in (MinuteRollup, HourRollup):
        rows = model.objects.values_list("series__key", "start", "increase", "samples").order_by("series__key", "start")
        out[model.__name__] = [(k, s, round(inc, 9), n) for k, s, inc, n in rows]
    return out


def _expected(history: list[tuple[int, float, float]]) -> dict[int, float]:
    """Prometheus increase() per series over points applied in arrival order (out-of-order dropped)."""
    last: dict[int, tuple[float, float]] = {}
    total: dict[int, float] = {}
    for i, v, t in history:
        if i in last and t <= last[i][1]:
            continue
        total[i] = total.get(i, 0.0) + counter_increase(prev=last[i][0] if i in last else None, value=v)
        last[i] = (v, t)
    return total


@pytest.mark.django_db
def test_single_sample_batches_count_resets_and_refuse_out_of_order():
    now = _now()
    t = now.timestamp() - 600
    assert _push([(0, 10, t), (1, 5, t)], now=now).accepted == 2
    assert _push([(0, 15, t + 30), (1, 7, t + 30)], now=now).accepted == 2
    reset = _push([(0, 3, t + 90), (1, 9, t + 90)], now=now)
    assert (reset.accepted, reset.rejected) == (2, 0)
    late = _push([(0, 100, t + 30), (1, 50, t + 120)], now=now)
    assert (late.accepted, late.rejected) == (1, 1)
    assert any("at or before" in reason for reason in late.reasons)
    ids = {s.labels["i"]: s.id for s in Series.objects.all()}
    for model in (MinuteRollup, HourRollup):
        sums = dict(model.objects.values("series_id").annotate(s=Sum("increase")).values_list("series_id", "s"))
        assert sums[ids["0"]] == pytest.approx(5 + 3)
        assert sums[ids["1"]] == pytest.approx(2 + 2 + 41)
    assert SeriesState.objects.get(series_id=ids["1"]).last_value == 50


@pytest.mark.django_db
def test_retried_batch_id_is_not_counted_twice_on_the_fast_path():
    now = _now()
    t = now.timestamp() - 600
    _push([(0, 1, t)], now=now)
    first = _push([(0, 4, t + 10)], now=now, batch_id="b-1")
    again = _push([(0, 4, t + 10)], now=now, batch_id="b-1")
    assert (first.accepted, again.duplicate, again.accepted) == (1, True, 1)
    assert MinuteRollup.objects.aggregate(s=Sum("increase"))["s"] == pytest.approx(3)


@pytest.mark.django_db
def test_fast_and_general_paths_store_identical_rollups():
    """The same random history (resets, out-of-order, several points per series per batch or one) ends
    in the same minute and hour rows, and both equal the increase() computed here."""
    rng = random.Random(7)
    now = _now()
    start = now.timestamp() - 3 * 3600
    history, value = [], dict.fromkeys(range(6), 0.0)
    for step in range(60):
        for i in range(6):
            value[i] = 0.0 if rng.random() < 0.1 else value[i] + rng.randint(0, 9)
            # Late points only at the start of a group of 5 steps, so both routes see them arrive late.
            late = step % 5 == 0 and step and rng.random() < 0.3
            ts = start + step * 150 + i - (400 if late else 0)
            history.append((i, value[i], ts))
    # Route 1: one point per series per batch (PostgreSQL: the fast path).
    for step in range(60):
        _push(history[step * 6 : step * 6 + 6], now=now)
    one_by_one = _rollups()
    MinuteRollup.objects.all().delete()
    HourRollup.objects.all().delete()
    Series.objects.all().delete()
    cache_clear()
    # Route 2: the same points in batches of 5 steps (several points per series: the general path).
    for step in range(0, 60, 5):
        _push(history[step * 6 : step * 6 + 30], now=now)
    grouped = _rollups()
    totals = {}
    for key, _start, inc, _n in grouped["HourRollup"]:
        totals[key] = totals.get(key, 0.0) + inc
    expected = _expected(history)
    assert totals == pytest.approx({f'paths_total{{i="{i}"}}': v for i, v in expected.items()})
    assert one_by_one == grouped


@pytest.mark.django_db
def test_series_created_elsewhere_gets_its_counter_state_on_first_use():
    """A series row made outside ingest (admin, a bulk load) has no state row yet: ingest adds it."""
    Series.objects.create(name="paths_total", key='paths_total{i="9"}', labels={"i": "9"})
    now = _now()
    t = now.timestamp() - 600
    assert _push([(9, 4, t)], now=now).accepted == 1
    assert _push([(9, 10, t + 30)], now=now).accepted == 1
    assert SeriesState.objects.get(series__key='paths_total{i="9"}').last_value == 10
    assert MinuteRollup.objects.aggregate(s=Sum("increase"))["s"] == pytest.approx(6)
