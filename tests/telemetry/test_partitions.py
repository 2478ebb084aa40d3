"""Day partitions of log lines and minute rollups on PostgreSQL (``telemetry.partitions``, migration 0007): rows
land in their day's partition or the default one, a day found in the default gets its own partition with its
rows, retention drops whole days, and a search of the last hour reads only that hour's partition."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.utils import timezone

from telemetry.domain.logs import LogQuery, LogRecord
from telemetry.logstore import postgres_search
from telemetry.logstore.database import DatabaseLogStore
from telemetry.models import LogEntry, MinuteRollup, Series
from telemetry.partitions import LOGS, MINUTES, partition_days, partitions_cover, partitions_ensure
from telemetry.services import logs_expire, logs_ingest, partitions_maintain, rollups_expire
from telemetry.tasks import retention

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("native partitioning is PostgreSQL's; SQLite keeps plain tables and deletes rows")


def _where(table: str, **key) -> dict[str, int]:
    """How many of the table's rows each partition holds (by partition name)."""
    column, value = next(iter(key.items()))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT tableoid::regclass::text, count(*) FROM {table} WHERE {column} = %s GROUP BY 1",
            [value],
        )
        return dict(cursor.fetchall())


def _line(when: dt.datetime, message: str) -> LogRecord:
    return LogRecord(timestamp=when, service="api", level="info", message=message, attributes={}, trace_id="")


def _today_noon() -> dt.datetime:
    now = timezone.now().astimezone(dt.UTC)
    return now.replace(hour=12, minute=0, second=0, microsecond=0)


def test_both_tables_are_partitioned_by_day_with_the_next_days_ready():
    partitions_maintain(now=timezone.now())
    today = timezone.now().astimezone(dt.UTC).date()
    for spec in (LOGS, MINUTES):
        days = partition_days(spec)
        assert {today + dt.timedelta(days=n) for n in range(-1, 4)} <= set(days)
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [spec.default_name])
            assert cursor.fetchone()[0]


def test_a_line_lands_in_its_days_partition_and_an_old_one_in_the_default():
    partitions_maintain(now=timezone.now())
    noon = _today_noon()
    logs_ingest(records=[_line(noon, "today")], scope="t", batch_id=None, now=noon)
    LogEntry.objects.create(timestamp=noon - dt.timedelta(days=400), service="api", level="info", message="ancient")
    assert _where("telemetry_logentry", message="today") == {LOGS.day_name(noon.date()): 1}
    assert _where("telemetry_logentry", message="ancient") == {LOGS.default_name: 1}


def test_a_day_found_in_the_default_gets_its_partition_with_its_rows_and_ids():
    noon = _today_noon()
    day = (noon - dt.timedelta(days=20)).date()
    assert day not in partition_days(LOGS)  # a backfill of a day with no partition: the default takes it
    when = dt.datetime(day.year, day.month, day.day, 8, tzinfo=dt.UTC)
    ids = {LogEntry.objects.create(timestamp=when, service="api", level="info", message=f"bf {i}").id for i in range(5)}
    assert _where("telemetry_logentry", service="api") == {LOGS.default_name: 5}

    assert partitions_ensure(LOGS, now=noon, keep_days=90) >= 1
    assert day in partition_days(LOGS)
    assert _where("telemetry_logentry", service="api") == {LOGS.day_name(day): 5}
    assert set(LogEntry.objects.filter(service="api").values_list("id", flat=True)) == ids
    assert partitions_ensure(LOGS, now=noon, keep_days=90) == 0  # nothing left to do


def test_a_day_older_than_the_retention_stays_in_the_default_for_the_row_deletes():
    noon = _today_noon()
    LogEntry.objects.create(timestamp=noon - dt.timedelta(days=120), service="api", level="info", message="old")
    partitions_ensure(LOGS, now=noon, keep_days=90)
    assert _where("telemetry_logentry", message="old") == {LOGS.default_name: 1}


def test_retention_drops_whole_days_and_keeps_the_day_holding_the_cutoff(settings):
    settings.SRE = {**settings.SRE, "LOG_RETENTION_DAYS": 10}
    noon = _today_noon()
    for age in (13, 12, 11, 10, 9):  # days ago, at noon: one line each, in partitions of their own
        when = noon - dt.timedelta(days=age)
        LogEntry.objects.create(timestamp=when, service="api", level="info", message=f"age {age}")
    LogEntry.objects.create(timestamp=noon - dt.timedelta(days=30), service="api", level="info", message="age 30")
    partitions_ensure(LOGS, now=noon - dt.timedelta(days=5), keep_days=20)  # as an earlier run would have
    for age in (13, 12, 11, 10, 9):
        assert (noon - dt.timedelta(days=age)).date() in partition_days(LOGS)
    # No ANALYZE here: a dropped day's count comes from the statistics, and ANALYZE's row counts outlive the
    # test's rollback (updated in place), which would skew the search estimates of the tests after it. So the
    # count expected is the default partition's line (counted exactly) plus what the statistics say of the days.
    with connection.cursor() as cursor:
        names = [LOGS.day_name((noon - dt.timedelta(days=age)).date()) for age in (13, 12, 11)]
        cursor.execute("SELECT coalesce(sum(greatest(reltuples, 0)), 0) FROM pg_class WHERE relname = ANY(%s)", [names])
        estimated = int(cursor.fetchone()[0])
    deleted = logs_expire(now=noon)  # cutoff: noon 10 days ago, inside that day's partition
    left = sorted(LogEntry.objects.values_list("message", flat=True))
    assert left == ["age 10", "age 9"]  # 10 days ago is kept until its day has passed; age 30 was in the default
    assert deleted == 1 + estimated
    days = partition_days(LOGS)
    assert (noon - dt.timedelta(days=11)).date() not in days and (noon - dt.timedelta(days=10)).date() in days


def test_minute_rollup_days_are_dropped_and_the_default_cleaned_in_batches(settings):
    settings.SRE = {**settings.SRE, "ROLLUP_RETENTION_DAYS": 5, "RETENTION_BATCH_SIZE": 10}
    noon = _today_noon()
    series = Series.objects.create(name="x_total", key="x_total{}", labels={})
    start = int((noon - dt.timedelta(days=7)).timestamp())
    MinuteRollup.objects.bulk_create([MinuteRollup(series=series, start=start + 60 * i, increase=1) for i in range(30)])
    partitions_ensure(MINUTES, now=noon - dt.timedelta(days=3), keep_days=5)  # 7 days ago was within retention
    day = (noon - dt.timedelta(days=7)).date()
    assert day in partition_days(MINUTES)
    old = int((noon - dt.timedelta(days=40)).timestamp())
    MinuteRollup.objects.bulk_create([MinuteRollup(series=series, start=old + 60 * i, increase=1) for i in range(25)])
    MinuteRollup.objects.create(series=series, start=int(noon.timestamp()), increase=1)

    result = rollups_expire(now=noon)
    assert result.minute_partitions_dropped >= 1 and day not in partition_days(MINUTES)
    assert list(MinuteRollup.objects.values_list("start", flat=True)) == [int(noon.timestamp())]
    assert result.minute_rows >= 25  # the default's 25 exactly (its batches of 10), and the dropped day's estimate


def test_the_retention_task_attaches_the_coming_days():
    today = timezone.now().astimezone(dt.UTC).date()
    ahead = today + dt.timedelta(days=3)
    with connection.cursor() as cursor:
        for spec in (LOGS, MINUTES):
            cursor.execute(f"DROP TABLE IF EXISTS {spec.day_name(ahead)}")
    result = retention()
    assert result["partitions_attached"] >= 2
    assert ahead in partition_days(LOGS) and ahead in partition_days(MINUTES)


def test_a_search_of_the_last_hour_reads_only_that_days_partition():
    partitions_maintain(now=timezone.now())
    noon = _today_noon()
    query = LogQuery(q="", start=noon - dt.timedelta(hours=1), end=noon)
    plan = DatabaseLogStore()._queryset(query).order_by("-timestamp", "-id")[:50].explain()
    assert set(re.findall(r"telemetry_logentry_p(?:\d{8}|default)", plan)) == {LOGS.day_name(noon.date())}, plan
    text = DatabaseLogStore()._queryset(LogQuery(q="needle", start=noon - dt.timedelta(hours=1), end=noon)).explain()
    assert set(re.findall(r"telemetry_logentry_p(?:\d{8}|default)", text)) == {LOGS.day_name(noon.date())}, text


@pytest.mark.parametrize("q", ["", "alpha", "rare", "alpha rare", "nothing"])
def test_searches_read_days_newest_first_and_give_the_pages_of_one_ordered_query(monkeypatch, q):
    """Lines over today, yesterday, a partition 5 days back, days only the default holds (40 and 200 days back) and
    empty days between: every page, through either path, is the page one ORDER BY over the whole table gives."""
    noon = _today_noon()
    partitions_maintain(now=timezone.now())
    partitions_ensure(LOGS, now=noon - dt.timedelta(days=5), keep_days=1)
    partitions_cover(LOGS, days={(noon - dt.timedelta(days=5)).date()})
    for age, count in ((0, 9), (1, 7), (5, 6), (40, 5), (200, 4)):
        for i in range(count):
            when = noon - dt.timedelta(days=age, minutes=7 * i)
            words = "alpha rare" if i % 3 == 0 else "alpha"
            LogEntry.objects.create(timestamp=when, service="api", level="info", message=f"{words} {age}-{i}")
    assert _where("telemetry_logentry", service="api")[LOGS.default_name] == 9  # the 40- and 200-day-old lines
    store = DatabaseLogStore()
    for start, end in ((None, None), (noon - dt.timedelta(days=6), None), (None, noon - dt.timedelta(hours=1))):
        query = LogQuery(q=q, start=start, end=end)
        expected = [str(line.id) for line in store._queryset(query).order_by("-timestamp", "-id")]
        for path in ("index", "walk"):
            if path == "walk":
                monkeypatch.setattr(postgres_search, "RARE_FRACTION", 0.0)  # no term looks rare: time walk only
            pages = [store.search(query, offset=o, limit=4) for o in range(0, 40, 4)]
            assert [hit.id for page in pages for hit in page.hits] == expected, (q, start, end, path)
            assert [page.has_more for page in pages] == [o + 4 < len(expected) for o in range(0, 40, 4)]


def test_a_day_that_cannot_be_attached_is_logged_and_the_others_still_are(caplog):
    noon = _today_noon()
    blocked, fine = (noon - dt.timedelta(days=30)).date(), (noon - dt.timedelta(days=31)).date()
    with connection.cursor() as cursor:  # a table left with the day's name (say, by a hand-made copy)
        cursor.execute(f"CREATE TABLE {LOGS.day_name(blocked)} (x int)")
    assert partitions_cover(LOGS, days={blocked, fine}) == 1
    assert fine in partition_days(LOGS) and blocked not in partition_days(LOGS)
    assert f"cannot attach {LOGS.day_name(blocked)}" in caplog.text
