"""Regression tests for the differences the Alertmanager differential tests found (no database, no binary)."""

from __future__ import annotations

import datetime as dt

import pytest

from alerts.domain import suppression, timeintervals
from alerts.domain.matchers import (
    Matcher,
    MatcherError,
    from_legacy,
    parse_matcher,
    parse_matchers,
    valid_label_name,
)
from alerts.domain.routing import RouteSpec, resolve


def test_several_matchers_in_one_item_as_alertmanager_splits_them():
    assert parse_matchers(['alertname="a", team=~"db|ops"']) == (
        Matcher("alertname", "=", "a"),
        Matcher("team", "=~", "db|ops"),
    )
    assert parse_matchers(["{a=b,}"]) == (Matcher("a", "=", "b"),)
    assert parse_matchers(['msg="x, y"']) == (Matcher("msg", "=", "x, y"),)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('a=~"x\\.y"', "x\\.y"),  # a spurious escape is a literal backslash (it was refused as bad JSON)
        ('a="t\\tb"', "t\\tb"),  # \t is not an escape here (JSON made it a tab)
        ('a="\\u00e9"', "\\u00e9"),
        ("a=x\\ny", "x\ny"),  # escapes apply unquoted too
        ('a="q\\"t"', 'q"t'),
        ("a=x\\", "x\\"),
        ("a=\u00a0x\u00a0", "\u00a0x\u00a0"),  # Go's \s is ASCII: a no-break space is part of the value
    ],
)
def test_values_unescaped_as_alertmanager(text, value):
    assert parse_matcher(text).value == value


@pytest.mark.parametrize("text", ['a=x"y', 'a="xy', 'a="x"y"'])
def test_unescaped_quotes_are_refused(text):
    with pytest.raises(MatcherError):
        parse_matcher(text)


def test_str_and_legacy_forms_round_trip():
    for value in ("x\ny", 'q"t', "a\\b", "é", "\t"):
        assert parse_matcher(str(Matcher("a", "=~", value or "x"))).value == value
        assert parse_matchers(from_legacy({"a": value}, None)) == (Matcher("a", "=", value),)


def test_dot_does_not_match_a_newline_in_regex_matchers():
    assert not parse_matcher('a=~"x.y"').matches({"a": "x\ny"})
    assert parse_matcher('a!~"x.y"').matches({"a": "x\ny"})
    assert parse_matcher('a=~"(?s)x.y"').matches({"a": "x\ny"})
    assert parse_matcher('a=~"x.y"').matches({"a": "x-y"})


def test_empty_group_by_inherits_like_alertmanager():
    root = resolve(
        RouteSpec(
            id=1,
            receiver="r",
            group_by=("...",),
            children=(
                RouteSpec(id=2, group_by=()),
                RouteSpec(id=3, group_by=("a",), children=(RouteSpec(id=4, group_by=()),)),
            ),
        )
    )
    empty, named = root.children
    assert empty.group_by_all
    assert named.group_by == ("a",) and not named.group_by_all
    assert named.children[0].group_by == ("a",) and not named.children[0].group_by_all


SUNDAY = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("entry", "at", "expected"),
    [
        ({"weekdays": ["sunday:tuesday"]}, SUNDAY, True),  # valid in Alertmanager (Sunday is day 0 there)
        ({"weekdays": ["sunday:tuesday"]}, SUNDAY + dt.timedelta(days=2), True),
        ({"weekdays": ["sunday:tuesday"]}, SUNDAY + dt.timedelta(days=3), False),
        ({"weekdays": ["saturday:sunday"]}, SUNDAY, True),  # ours only: Alertmanager refuses a wrapping range
        ({"weekdays": ["saturday:sunday"]}, SUNDAY + dt.timedelta(days=1), False),
        ({"weekdays": []}, SUNDAY, False),  # a present, empty list matches nothing
        ({"times": []}, SUNDAY, False),
        ({"months": [], "years": ["2026"]}, SUNDAY, False),
        ({"years": None}, SUNDAY, True),  # null is absent
    ],
)
def test_interval_fields_as_alertmanager_reads_them(entry, at, expected):
    assert timeintervals.check_active(entry, at) is expected


def test_matcher_names_may_hold_a_colon_as_in_alertmanager():
    assert parse_matcher("job:rate=x").name == "job:rate"
    assert parse_matcher('job:rate=""').matches({"job": "x"})


@pytest.mark.parametrize("entry", [{"months": ["december:january"]}, {"years": ["2027:2026"]}])
def test_month_and_year_ranges_that_end_before_they_start_are_refused(entry):
    with pytest.raises(timeintervals.IntervalError):
        timeintervals.validate(entry)


def test_a_label_name_with_a_trailing_newline_is_not_valid():
    assert valid_label_name("team") and not valid_label_name("team\n")


def test_alerts_matching_both_sides_of_an_inhibit_rule_do_not_mute_each_other():
    rule = suppression.InhibitRule(
        source=parse_matchers(['severity=~"critical|warning"']),
        target=parse_matchers(['severity=~"warning|info"']),
        equal=("cluster",),
    )
    warning_a = {"severity": "warning", "cluster": "eu", "n": "a"}
    warning_b = {"severity": "warning", "cluster": "eu", "n": "b"}
    critical = {"severity": "critical", "cluster": "eu"}
    assert not suppression.inhibited(labels=warning_a, fingerprint="a", rules=[rule], firing=[("b", warning_b)])
    assert suppression.inhibited(labels=warning_a, fingerprint="a", rules=[rule], firing=[("c", critical)])
    info = {"severity": "info", "cluster": "eu"}  # matches the target side only: a two-sided source mutes it
    assert suppression.inhibited(labels=info, fingerprint="i", rules=[rule], firing=[("b", warning_b)])
