"""One guard for every CSV export (incident timelines, drill evidence, the audit log): pure, no database."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sre.domain.csv_cells import FORMULA_STARTS, csv_cell


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("disk full", "disk full"),
        ("a=b", "a=b"),  # only the first character matters
        ("", ""),
        (None, ""),
        (-5, -5),  # a number is a number, not a formula
        (3.5, 3.5),
        (True, True),
    ],
)
def test_csv_cell(value, cell):
    assert csv_cell(value) == cell


@given(st.text())
def test_no_cell_a_spreadsheet_reads_starts_a_formula(text):
    buffer = io.StringIO()
    csv.writer(buffer).writerow([csv_cell(text)])
    (read,) = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert not read or not read[0].startswith(FORMULA_STARTS)
    assert read == [] or read[0].removeprefix("'") == text or read[0] == text
