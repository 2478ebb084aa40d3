"""``search`` of the database log store (SQLite FTS5 or PostgreSQL, as DATABASE_URL says) for every query
shape: rare words, id-like terms, common words over several pages, filters, no match. On PostgreSQL a term
the statistics do not know as common is looked up through the GIN index first (``_rare_page``); the
results must be the same whichever path answers, and the rare path must not be the time-ordered scan."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from telemetry.domain.logs import LogQuery, LogRecord
from telemetry.logstore import postgres_search
from telemetry.logstore.database import DatabaseLogStore
from telemetry.services import logs_ingest

pytestmark = pytest.mark.django_db

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
UUID = "550e8400-e29b-41d4-a716-446655440000"
SERVICES = ("checkout", "search")
LEVELS = ("info", "error")


def rec(message, *, at, service="checkout", level="info"):
    return LogRecord(at, service, level, message, {}, "")


@pytest.fixture
def now():
    """120 lines a second apart (newest first: line 0 is the newest); rare terms on a few of them."""
    now = timezone.now().replace(microsecond=0)
    special = {
        7: "payment failed needle",
        50: "request req-7f3a9c rejected",
        51: f"retry req-7f3a9c trace_id={TRACE}",
        90: "needle again in the haystack",
        100: f"connect to db-1.example.com at 10.0.0.1 for {UUID}",
    }
    records = [
        rec(
            special.get(i, f"upstream timeout line {i}"),
            at=now - dt.timedelta(seconds=i),
            service=SERVICES[i % 2],
            level=LEVELS[(i // 2) % 2],
        )
        for i in range(120)
    ]
    records.append(rec("upstream timeout same second", at=now - dt.timedelta(seconds=3)))  # a tie on line 3's time
    logs_ingest(records=records, scope="user:1", batch_id=None, now=now)
    return now


def search(q="", *, offset=0, limit=50, **kwargs):
    return DatabaseLogStore().search(LogQuery(q=q, **kwargs), offset=offset, limit=limit)


def messages(page):
    return [hit.message for hit in page.hits]


def test_a_rare_word_finds_its_lines_newest_first(now):
    page = search("needle")
    assert messages(page) == ["payment failed needle", "needle again in the haystack"]
    assert not page.has_more


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("req-7f3a9c", ["request req-7f3a9c rejected", f"retry req-7f3a9c trace_id={TRACE}"]),
        (TRACE, [f"retry req-7f3a9c trace_id={TRACE}"]),
        (f"trace_id={TRACE}", [f"retry req-7f3a9c trace_id={TRACE}"]),
        (UUID, [f"connect to db-1.example.com at 10.0.0.1 for {UUID}"]),
        ("10.0.0.1", [f"connect to db-1.example.com at 10.0.0.1 for {UUID}"]),
        ("db-1.example.com", [f"connect to db-1.example.com at 10.0.0.1 for {UUID}"]),
        ("REQ-7F3A9C rejected", ["request req-7f3a9c rejected"]),
    ],
)
def test_an_id_like_term_finds_the_lines_that_carry_it(now, q, expected):
    assert messages(search(q)) == expected


def test_a_common_word_pages_newest_first_without_gaps_or_repeats(now):
    pages, offset = [], 0
    while True:
        page = search("timeout", offset=offset, limit=25)
        pages.append(page)
        offset += 25
        if not page.has_more:
            break
    hits = [hit for page in pages for hit in page.hits]
    assert len(pages) == 5
    assert len(hits) == 116  # 115 "upstream timeout line" and the one at the same second as line 3
    assert len({hit.id for hit in hits}) == len(hits)
    keys = [(hit.timestamp, int(hit.id)) for hit in hits]
    assert keys == sorted(keys, reverse=True)
    assert [h.message for h in hits[:5]] == [f"upstream timeout line {i}" for i in (0, 1, 2)] + [
        "upstream timeout same second",  # same time as line 3, stored after it: higher id first
        "upstream timeout line 3",
    ]


@pytest.mark.parametrize(
    ("q", "filters", "expected"),
    [
        ("needle", {"service": "search"}, ["payment failed needle"]),
        ("needle", {"service": "checkout", "levels": ("error",)}, ["needle again in the haystack"]),
        ("needle", {"levels": ("info",)}, []),
        ("req-7f3a9c", {"service": "search"}, [f"retry req-7f3a9c trace_id={TRACE}"]),
    ],
)
def test_filters_narrow_a_rare_term(now, q, filters, expected):
    assert messages(search(q, **filters)) == expected


def test_filters_and_a_window_narrow_a_common_word(now):
    page = search("timeout", service="search", levels=("error",), start=now - dt.timedelta(seconds=20))
    assert messages(page) == [f"upstream timeout line {i}" for i in (3, 11, 15, 19)]


@pytest.mark.parametrize("q", ["nosuchword", "needle nosuchword", "7f3a9c0"])
def test_no_match_is_an_empty_last_page(now, q):
    page = search(q)
    assert page.hits == [] and not page.has_more


def test_a_page_past_the_end_is_empty(now):
    page = search("needle", offset=50)
    assert page.hits == [] and not page.has_more


postgres = pytest.mark.skipif("connection.vendor != 'postgresql'")


def _every_page(q, **filters):
    return [[hit.id for hit in search(q, offset=o, limit=7, **filters).hits] for o in range(0, 126, 7)]


@postgres
@pytest.mark.parametrize(("q", "filters"), [("timeout", {}), ("needle", {}), ("timeout", {"levels": ("error",)})])
def test_both_postgres_paths_give_the_same_pages(now, monkeypatch, q, filters):
    through_index = _every_page(q, **filters)
    monkeypatch.setattr(postgres_search, "PROBE", 1)
    monkeypatch.setattr(postgres_search, "PROBE_SCALE", 0)  # any second match makes the term common: time walk
    assert _every_page(q, **filters) == through_index
    monkeypatch.setattr(postgres_search, "RARE_FRACTION", 0.0)  # no term looks rare: the probe is not even tried
    assert _every_page(q, **filters) == through_index


@postgres
def test_a_rare_term_is_looked_up_through_the_gin_index_not_the_time_ordered_scan(now):
    with CaptureQueriesContext(connection) as queries:
        assert messages(search("needle")) == ["payment failed needle", "needle again in the haystack"]
    text_queries = [q["sql"] for q in queries.captured_queries if "plainto_tsquery" in q["sql"]]
    lookups = [sql for sql in text_queries if not sql.startswith("EXPLAIN")]
    assert lookups, text_queries
    probe = lookups[0]  # the newest window's (the others, if any, read older days the same way)
    assert "ORDER BY" not in probe  # the old shape: ORDER BY timestamp DESC LIMIT 51 over the text condition
    assert f"LIMIT {postgres_search.PROBE + 1}" in probe
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_indexscan = off")
        try:
            cursor.execute(f"EXPLAIN {probe}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_indexscan")
    # bitmap scans only, no walk of the time index in its order: on the plain table the text index; on a day's
    # partition, where the window's time range also bounds the lookup, whichever bitmap the planner finds cheaper
    assert "Bitmap Index Scan" in plan and "Index Scan Backward" not in plan and "Sort" not in plan, plan
    if "_p20" not in plan:
        assert re.search(r"Bitmap Index Scan on telemetry_log\w*(fts|to_tsvector)\w*", plan), plan


@postgres
def test_the_planner_settings_are_restored_after_the_lookup(now):
    names = ("enable_seqscan", "enable_indexscan", "max_parallel_workers_per_gather", "jit")
    sql = "SELECT " + ", ".join(f"current_setting('{name}')" for name in names)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        before = cursor.fetchone()
        assert messages(search("needle")) == ["payment failed needle", "needle again in the haystack"]
        cursor.execute(sql)
        assert cursor.fetchone() == before
    assert before[:2] == ("on", "on")


@postgres
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_lookup_runs_in_its_own(now):
    assert not connection.in_atomic_block
    assert messages(search("req-7f3a9c")) == ["request req-7f3a9c rejected", f"retry req-7f3a9c trace_id={TRACE}"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_seqscan'), current_setting('enable_indexscan')")
        assert cursor.fetchone() == ("on", "on")


@postgres
def test_a_search_is_planned_for_its_own_values_even_once_its_statements_are_prepared(now):
    """The connection prepares a statement run five times; a generic plan for a prepared window statement prunes no
    partition and keeps the scan settings it was made under. Even with the session asking for generic plans, every
    execution of the search's statements is a custom plan."""
    with connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        try:
            for _ in range(8):  # past the prepare threshold (5)
                assert messages(search("needle")) == ["payment failed needle", "needle again in the haystack"]
                assert len(search("timeout", offset=0, limit=2).hits) == 2
            cursor.execute(
                "SELECT count(*), coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0), "
                "string_agg(statement, ' | ') FILTER (WHERE generic_plans > 0) "
                "FROM pg_prepared_statements WHERE statement LIKE '%%telemetry_logentry%%' "
                "AND cardinality(parameter_types) > 0"  # PostgreSQL plans a statement without parameters once
            )
            prepared, generic, custom, generic_statements = cursor.fetchone()
        finally:
            cursor.execute("RESET plan_cache_mode")
    assert prepared and custom  # the search's statements were prepared and run...
    assert generic == 0, generic_statements  # ...never with a generic plan
