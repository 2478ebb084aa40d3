"""``count_by`` of the database log store (SQLite FTS5 or PostgreSQL, as DATABASE_URL says) and the
``log_count_by`` selector: matching lines per service and/or level in one GROUP BY."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from telemetry.domain.logs import LogQuery, LogRecord
from telemetry.logstore.database import DatabaseLogStore
from telemetry.selectors import log_count_by
from telemetry.services import logs_ingest

pytestmark = pytest.mark.django_db


def rec(message, *, service="checkout", level="info", minutes_ago=1):
    return LogRecord(timezone.now() - dt.timedelta(minutes=minutes_ago), service, level, message, {}, "")


@pytest.fixture
def lines():
    now = timezone.now()
    logs_ingest(
        records=[
            rec("upstream timeout", level="error"), rec("upstream timeout again", level="error"),
            rec("served", level="info"), rec("upstream reset", service="search", level="error"),
            rec("slow query", service="search", level="warning"), rec("old timeout", level="error", minutes_ago=90),
        ],
        scope="user:1", batch_id=None, now=now,
    )  # fmt: skip
    return now


def window(now, **kwargs):
    return LogQuery(start=now - dt.timedelta(hours=1), end=now + dt.timedelta(seconds=1), **kwargs)


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        ((), {(): 5}),
        (("level",), {("error",): 3, ("info",): 1, ("warning",): 1}),
        (("service",), {("checkout",): 3, ("search",): 2}),
        (
            ("service", "level"),
            {("checkout", "error"): 2, ("checkout", "info"): 1, ("search", "error"): 1, ("search", "warning"): 1},
        ),
        (
            ("level", "service"),  # keys in the order of ``by``
            {("error", "checkout"): 2, ("info", "checkout"): 1, ("error", "search"): 1, ("warning", "search"): 1},
        ),
    ],
)
def test_counts_per_group_in_the_window(lines, by, expected):
    assert DatabaseLogStore().count_by(window(lines), by=by) == expected


def test_filters_and_words_apply_before_grouping(lines):
    store = DatabaseLogStore()
    assert store.count_by(window(lines, q="upstream"), by=("service",)) == {("checkout",): 2, ("search",): 1}
    assert store.count_by(window(lines, levels=("error",), service="search"), by=("level",)) == {("error",): 1}
    assert store.count_by(window(lines, q="timeout"), by=()) == {(): 2}  # the 90-minute-old line is outside


def test_nothing_matched_is_a_zero_total_or_no_group(lines):
    store = DatabaseLogStore()
    assert store.count_by(window(lines, q="nowhere"), by=()) == {(): 0}
    assert store.count_by(window(lines, q="nowhere"), by=("service", "level")) == {}


def test_one_query_whatever_the_groups(lines, django_assert_num_queries):
    with django_assert_num_queries(1):
        DatabaseLogStore().count_by(window(lines), by=("service", "level"))


@pytest.mark.parametrize("by", [("trace_id",), ("service", "service")])
def test_unknown_or_repeated_labels_are_refused(by):
    with pytest.raises(ValueError, match=r"trace_id|repeated"):
        DatabaseLogStore().count_by(LogQuery(), by=by)


def test_selector_needs_a_window_and_uses_the_configured_store(lines):
    assert log_count_by(query=window(lines, levels=("error",)), by=["service"]) == {("checkout",): 2, ("search",): 1}
    with pytest.raises(ValueError, match=r"start and query\.end"):
        log_count_by(query=LogQuery(), by=())
