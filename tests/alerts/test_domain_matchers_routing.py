"""Pure domain: matchers, fingerprints and the routing tree (Alertmanager semantics). No database."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.domain.matchers import Matcher, MatcherError, fingerprint, from_legacy, parse_matcher, parse_matchers
from alerts.domain.routing import RouteSpec, match, resolve


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ('severity="critical"', {"severity": "critical"}, True),
        ("severity=critical", {"severity": "warning"}, False),
        ('severity!="critical"', {"severity": "warning"}, True),
        ('severity!="critical"', {}, True),
        ('team=~"db|ops"', {"team": "ops"}, True),
        ('team=~"db|ops"', {"team": "dbx"}, False),  # anchored like Alertmanager
        ('team!~"db|ops"', {"team": "web"}, True),
        ('team!~"db|ops"', {"team": "db"}, False),
        ('team=""', {}, True),  # missing label equals ""
        ('team=~".+"', {}, False),
        ('msg="a,b"', {"msg": "a,b"}, True),
        ('msg="say \\"hi\\""', {"msg": 'say "hi"'}, True),
    ],
)
def test_matcher_semantics(text, labels, expected):
    assert parse_matcher(text).matches(labels) is expected


@pytest.mark.parametrize("text", ["", "severity", "1abc=x", 'a=~"("', "a<>b"])
def test_bad_matchers_raise(text):
    with pytest.raises(MatcherError):
        parse_matcher(text)


def test_selector_string_and_legacy_forms():
    assert parse_matchers(['{a="1", b=~"x|y"}']) == (Matcher("a", "=", "1"), Matcher("b", "=~", "x|y"))
    assert parse_matchers(from_legacy({"a": "1"}, {"b": "x.*"})) == (Matcher("a", "=", "1"), Matcher("b", "=~", "x.*"))


label_sets = st.dictionaries(st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True), st.text(max_size=12), max_size=6)


@settings(deadline=None)
@given(label_sets)
def test_fingerprint_is_order_independent_and_stable(labels):
    reordered = dict(reversed(list(labels.items())))
    assert fingerprint(labels) == fingerprint(reordered)
    assert len(fingerprint(labels)) == 16


@settings(deadline=None)
@given(label_sets, label_sets)
def test_fingerprint_differs_for_different_label_sets(a, b):
    if a != b:
        assert fingerprint(a) != fingerprint(b)


def tree():
    """root(default, group_by alertname) -> [db (continue), db-critical, web]; db has child db-pager."""
    return resolve(
        RouteSpec(
            id=1,
            receiver="default",
            group_by=("alertname",),
            group_wait=30,
            children=(
                RouteSpec(
                    id=2,
                    matchers=parse_matchers(['team="db"']),
                    receiver="db",
                    continue_=True,
                    group_wait=5,
                    children=(RouteSpec(id=5, matchers=parse_matchers(['severity="page"']), receiver="db-pager"),),
                ),
                RouteSpec(id=3, matchers=parse_matchers(['severity="critical"']), group_by=("...",)),
                RouteSpec(id=4, matchers=parse_matchers(['team="web"']), receiver="web", group_by=("service",)),
            ),
        )
    )


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({"alertname": "X"}, [1]),  # nothing matches: the root itself
        ({"team": "db"}, [2]),  # continue, but no later sibling matches
        ({"team": "db", "severity": "critical"}, [2, 3]),  # continue lets route 3 match too
        ({"team": "db", "severity": "page"}, [5]),  # deepest match, child of a continue route
        ({"team": "web", "severity": "critical"}, [3]),  # first match without continue stops
        ({"team": "web"}, [4]),
    ],
)
def test_routing_matches_like_alertmanager(labels, expected):
    assert [r.id for r in match(tree(), labels)] == expected


def test_inheritance_and_group_by_all():
    root = tree()
    db, critical, web = root.children
    pager = db.children[0]
    assert pager.receiver == "db-pager" and pager.group_wait == 5 and pager.group_by == ("alertname",)
    assert critical.receiver == "default" and critical.group_by_all
    assert critical.group_labels({"b": "2", "a": "1"}) == {"a": "1", "b": "2"}
    assert web.group_labels({"service": "x", "alertname": "A"}) == {"service": "x"}
    assert web.group_wait == 30 and web.repeat_interval == 4 * 3600


def test_group_key_stable_and_route_specific():
    root = tree()
    db, critical, _ = root.children
    labels = {"alertname": "A", "team": "db", "instance": "1"}
    assert db.group_key(labels) == db.group_key({**labels, "instance": "2"})
    assert db.group_key(labels) != critical.group_key(labels)


def test_root_needs_receiver():
    with pytest.raises(ValueError):
        resolve(RouteSpec(id=1))
