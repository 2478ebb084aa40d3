"""Value helpers, crontab fields and configuration validation (pure)."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drills.domain.schedule import crontab_fields
from drills.domain.validation import check_errors, parse_environment, target_errors
from drills.domain.values import redact, rows_digest, split_table_name, sql_value_text, tail


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "null"), (True, "true"), (False, "false"), (3, "3"), (3.0, "3"), (2.5, "2.5"),
     (decimal.Decimal("10.00"), "10"), (decimal.Decimal("10.50"), "10.5"), ("abc", "abc"), (b"\x01\xff", "01ff"),
     (dt.date(2026, 1, 2), "2026-01-02")],
)  # fmt: skip
def test_sql_value_text(value, text):
    assert sql_value_text(value) == text


@pytest.mark.parametrize("name", ["items", "public.items", "_x$1"])
def test_table_names_accepted(name):
    assert split_table_name(name)


@pytest.mark.parametrize("name", ["", "a.b.c", "items; drop table x", '"quoted"', "1abc", "a b"])
def test_table_names_rejected(name):
    with pytest.raises(ValueError, match="is not a table name"):
        split_table_name(name)


@settings(deadline=None)  # a loaded CI machine must not turn slowness into a failure
@given(st.lists(st.text(max_size=20), max_size=30), st.randoms())
def test_rows_digest_is_order_independent(rows, rnd):
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    assert rows_digest(rows) == rows_digest(shuffled)
    assert rows_digest(rows).startswith(f"{len(rows)}:")


def test_rows_digest_sees_a_changed_row():
    assert rows_digest(["a", "b"]) != rows_digest(["a", "c"])


def test_redact_and_tail():
    assert redact("user=bob password=hunter2 x", ["hunter2", "", "ab"]) == "user=bob password=*** x"
    assert tail("abcdef", limit=3).endswith("def") and "truncated" in tail("abcdef", limit=3)


@pytest.mark.parametrize(
    ("text", "ok"), [("0 3 * * *", True), ("*/15 * * * 1-5", True), ("0 3 * *", False), ("0 3 * * * *", False),
                     ("0 3 * * $(rm)", False)],
)  # fmt: skip
def test_crontab_fields(text, ok):
    if ok:
        assert list(crontab_fields(text)) == ["minute", "hour", "day_of_month", "month_of_year", "day_of_week"]
    else:
        with pytest.raises(ValueError):
            crontab_fields(text)


def test_environment_parsing():
    assert parse_environment("") == {}
    assert parse_environment('{"A_B": "1"}') == {"A_B": "1"}
    for bad in ("[1]", '{"A": 1}', '{"1A": "x"}', "{nope"):
        with pytest.raises(ValueError):
            parse_environment(bad)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "postgres", "backup_mode": "take"}, "connection"),
        ({"kind": "postgres", "backup_mode": "latest", "connection": "x"}, "location"),
        ({"kind": "sqlite", "backup_mode": "take"}, "location"),
        ({"kind": "restic", "backup_mode": "take", "connection": "/r", "location": "/d"}, "secret"),
        ({"kind": "command", "backup_mode": "take", "backup_command": "true"}, "restore_command"),
        ({"kind": "sqlite", "backup_mode": "take", "location": "/x", "rpo_target_seconds": 0}, "rpo_target_seconds"),
        ({"kind": "sqlite", "backup_mode": "take", "location": "/x", "timeout_seconds": 5}, "timeout_seconds"),
    ],
)
def test_target_errors(values, field):
    assert field in target_errors(values, command_targets_allowed=True)


def test_valid_targets_have_no_errors():
    assert target_errors({"kind": "sqlite", "backup_mode": "take", "location": "/x", "schedule": "0 * * * *"},
                         command_targets_allowed=True) == {}  # fmt: skip
    assert target_errors({"kind": "self", "backup_mode": "take"}, command_targets_allowed=False) == {}


@pytest.mark.parametrize(
    ("values", "kind", "mode", "field"),
    [
        ({"kind": "file_checksum", "name": "f", "path": "x"}, "postgres", "take", "kind"),
        ({"kind": "sql", "name": "q", "query": "select 1"}, "sqlite", "take", "expected"),
        ({"kind": "row_count", "name": "r", "table": "t"}, "postgres", "take", "min_rows"),
        ({"kind": "table_checksum", "name": "c", "table": "t"}, "sqlite", "latest", "expected"),
        ({"kind": "file_checksum", "name": "f", "path": "x", "expected": "abc"}, "restic", "take", "expected"),
        ({"kind": "sql", "name": "", "query": "select 1", "expected": "1"}, "postgres", "take", "name"),
    ],
)
def test_check_errors(values, kind, mode, field):
    assert field in check_errors(values, target_kind=kind, backup_mode=mode)
