"""Database check verdicts, the same for SQLite and PostgreSQL (pure, no database)."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from drills.domain.checks import CheckRecord, check_error, database_check, needs_source_sum

SQL = {"name": "orders today", "kind": "sql", "query": "SELECT 1", "expected": "3"}
ROWS = {"name": "has orders", "kind": "row_count", "table": "shop.orders", "min_rows": 10}
SUM = {"name": "orders intact", "kind": "table_checksum", "table": "orders", "expected": ""}


@pytest.mark.parametrize(
    ("check", "observed", "source_sum", "record"),
    [
        (SQL, (3,), "", CheckRecord("orders today", "sql", True, "3", "3", "")),
        (SQL, (decimal.Decimal("3.000"),), "", CheckRecord("orders today", "sql", True, "3", "3", "")),
        (SQL, (4,), "", CheckRecord("orders today", "sql", False, "3", "4", "Expected '3', got '4'.")),
        (SQL, None, "", CheckRecord("orders today", "sql", False, "3", "no rows", "Expected '3', got 'no rows'.")),
        (
            {**SQL, "expected": "2026-01-01"},
            (dt.date(2026, 1, 1),),
            "",
            CheckRecord("orders today", "sql", True, "2026-01-01", "2026-01-01", ""),
        ),
        ({**SQL, "expected": " 3 "}, (3,), "", CheckRecord("orders today", "sql", True, " 3 ", "3", "")),
        (ROWS, 10, "", CheckRecord("has orders", "row_count", True, ">= 10", "10", "")),
        (
            ROWS,
            9,
            "",
            CheckRecord("has orders", "row_count", False, ">= 10", "9", "shop.orders has 9 rows, fewer than 10."),
        ),
        (SUM, "3:abc", "3:abc", CheckRecord("orders intact", "table_checksum", True, "3:abc", "3:abc", "")),
        (
            SUM,
            "3:abc",
            "4:def",
            CheckRecord(
                "orders intact",
                "table_checksum",
                False,
                "4:def",
                "3:abc",
                "Checksum of orders differs from the source.",
            ),
        ),
        (  # an expected digest wins over the source's
            {**SUM, "expected": "3:abc"},
            "3:abc",
            "",
            CheckRecord("orders intact", "table_checksum", True, "3:abc", "3:abc", ""),
        ),
        (
            SUM,
            "3:abc",
            "error: no source database to compare with",
            CheckRecord(
                "orders intact",
                "table_checksum",
                False,
                "error: no source database to compare with",
                "3:abc",
                "Source checksum failed: no source database to compare with",
            ),
        ),
        (
            {"name": "f", "kind": "file_checksum", "path": "a", "expected": ""},
            None,
            "",
            CheckRecord("f", "file_checksum", False, message="Check kind file_checksum does not apply to SQLite."),
        ),
    ],
)
def test_database_check(check, observed, source_sum, record):
    assert database_check(check, engine="SQLite", observed=observed, source_sum=source_sum) == record


@pytest.mark.parametrize(
    ("check", "needed"),
    [(SUM, True), ({**SUM, "expected": "3:abc"}, False), (SQL, False), ({**SQL, "expected": ""}, False)],
)
def test_only_a_checksum_without_an_expected_digest_reads_the_source(check, needed):
    assert needs_source_sum(check) is needed


def test_a_check_the_database_refused_fails_with_the_errors_first_line():
    error = 'relation "orders" does not exist\nLINE 1: SELECT count(*) FROM orders\n' + "x" * 600
    assert check_error(SQL, error=error) == CheckRecord(
        "orders today", "sql", False, "3", "", 'relation "orders" does not exist'
    )
    assert len(check_error(ROWS, error="y" * 900).message) == 500
    assert check_error(ROWS, error="").expected == ""  # a row count has no expected text
