"""Routing, differentially: generated routing trees and label sets, our routing against the real Alertmanager.

Each generated tree is written as an ``alertmanager.yml`` and goes through our own import
(``config_import``, as a user's file would); the routes we match are compared with

* ``amtool config routes test`` — the receivers, in order (``continue``, depth-first, first match wins), and
* a running Alertmanager given the same file (``/-/reload``) and the label sets as alerts — for every
  matched route, its receiver and the group labels it groups the alert by (``group_by``, ``...`` and their
  inheritance).

Matchers use all four operators in every written form (quoted with OpenMetrics escapes, unquoted, several in
one string, ``{…}``, the legacy ``match``/``match_re`` maps), regular expressions that show anchoring and that
``.`` does not match a newline, and label values with quotes, backslashes, commas, newlines and non-ASCII.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from alerts.domain.routing import match
from alerts.selectors import routing_tree
from alerts.services.config import config_import
from tests.alerts.am_oracle import Alertmanager, amtool_receivers, om_escape
from tests.support.servers import require_binary, wait_for

pytestmark = pytest.mark.integration

NAMES = ("alertname", "team", "severity", "env")
VALUES = ("a", "b", "ab", "a.b", "aXb", "a\nb", "A", "é", 'q"t', "x\\y", "a,b", "c d", "{a}")
REGEXES = (
    "a",
    "a|b",
    "a.*",
    ".*b",
    "a.b",  # "." is not "\n" in Alertmanager: a\nb does not match
    ".+",
    "",
    "(a|ab)",
    "[ab]+",
    "a\\.b",
    "\\w+",
    "é|c d",
    "(?i)a",
    ".*",
    "x\\\\y",
    'q"t',
    "(?s)a.b",
    "^a",
    "b$",
    "\\{a\\}",
)
RECEIVERS = ("r0", "r1", "r2", "r3", "r4")
# Half the draws from a few common values, so that matchers hit and ``continue`` chains form.
values = st.one_of(st.sampled_from(("a", "b", "ab")), st.sampled_from(VALUES))
_BARE = re.compile(r"^[A-Za-z0-9_.|*+?()\[\]é\\^$]+$")  # safe to write without quotes


@st.composite
def matcher_text(draw) -> str:
    """One matcher as a string, in one of the spellings Alertmanager's parser accepts."""
    name = draw(st.sampled_from(NAMES))
    op = draw(st.sampled_from(("=", "!=", "=~", "!~")))
    value = draw(st.sampled_from(REGEXES) if "~" in op else values)
    space = draw(st.sampled_from(("", " ")))
    if value and _BARE.match(value) and "\\" not in value and draw(st.booleans()):
        return f"{name}{space}{op}{space}{value}"
    return f'{name}{space}{op}{space}"{om_escape(value)}"'


@st.composite
def matcher_items(draw) -> list[str]:
    """A route's ``matchers:`` list; an item may hold several matchers (``a=b, c=~"d"`` or ``{…}``)."""
    items = []
    for _ in range(draw(st.integers(0, 2))):
        group = draw(st.lists(matcher_text(), min_size=1, max_size=2))
        form = draw(st.sampled_from(("one", "comma", "braces")))
        if form == "one" or (len(group) == 1 and form == "comma"):
            items.extend(group)
        elif form == "comma":
            items.append(", ".join(group))
        else:
            items.append("{" + ", ".join(group) + "}")
    return items


group_bys = st.one_of(
    st.none(),
    st.just([]),
    st.just(["..."]),
    st.lists(st.sampled_from(NAMES), min_size=1, max_size=2, unique=True),
)


@st.composite
def route(draw, depth: int) -> dict:
    node: dict = {}
    items = draw(matcher_items())
    if items:
        node["matchers"] = items
    if draw(st.integers(0, 5)) == 0:
        node["match"] = {draw(st.sampled_from(NAMES)): draw(st.sampled_from(VALUES))}
    if draw(st.integers(0, 5)) == 0:
        node["match_re"] = {draw(st.sampled_from(NAMES)): draw(st.sampled_from(REGEXES))}
    receiver = draw(st.sampled_from((None, "", *RECEIVERS[1:])))  # "" is inherited, as a missing one
    if receiver is not None:
        node["receiver"] = receiver
    if draw(st.booleans()):
        node["continue"] = True
    group_by = draw(group_bys)
    if group_by is not None:
        node["group_by"] = group_by
    for key, choices in (("group_wait", ("0s", "10s")), ("group_interval", ("1m",)), ("repeat_interval", ("3h",))):
        if draw(st.integers(0, 3)) == 0:
            node[key] = draw(st.sampled_from(choices))
    if depth < 3:
        children = draw(st.lists(route(depth + 1), max_size=3 if depth == 1 else 2))
        if children:
            node["routes"] = children
    return node


@st.composite
def trees(draw) -> dict:
    root: dict = {"receiver": "r0"}
    group_by = draw(group_bys)
    if group_by is not None:
        root["group_by"] = group_by
    root["routes"] = draw(st.lists(route(1), min_size=1, max_size=4))
    return root


label_sets = st.lists(st.dictionaries(st.sampled_from(NAMES), values, max_size=4), min_size=6, max_size=6)


def config_text(tree: dict) -> str:
    doc = {"route": tree, "receivers": [{"name": name} for name in RECEIVERS]}
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def _groups_of(am: Alertmanager, case: int, count: int) -> dict[str, list[tuple[str, tuple]]]:
    """Per alert number: (receiver, group labels) of every group holding it, once the sentinel arrived."""
    am.post_alerts([{"labels": {"case": str(case), "sentinel": "1"}}])

    def settled() -> list[dict] | None:
        found = am.groups(f'case="{case}"')
        seen = any(alert["labels"].get("sentinel") for group in found for alert in group["alerts"])
        return found if seen else None

    out: dict[str, list[tuple[str, tuple]]] = {str(n): [] for n in range(count)}
    for group in wait_for(settled, timeout=20, interval=0.02, what=f"alertmanager to group case {case}"):
        for alert in group["alerts"]:
            number = alert["labels"].get("n")
            if number is not None:
                out[number].append((group["receiver"]["name"], tuple(sorted(group["labels"].items()))))
    return {n: sorted(v) for n, v in out.items()}


def test_routing_agrees_with_amtool_and_alertmanager(db, tmp_path: Path):
    amtool = require_binary("amtool")
    am = Alertmanager(tmp_path, config_text({"receiver": "r0"}))
    cases = itertools.count()
    try:

        @settings(
            max_examples=120,
            derandomize=True,  # the same trees on every run and in CI
            database=None,
            phases=(Phase.explicit, Phase.generate),  # no shrinking: each step runs amtool; the message has the tree
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(tree=trees(), label_sets=label_sets)
        def check(tree: dict, label_sets: list[dict[str, str]]) -> None:
            case = next(cases)
            text = config_text(tree)
            config_file = tmp_path / "routes.yml"
            config_file.write_text(text)
            config_import(text=text)
            ours = routing_tree()
            for labels in label_sets:
                expected = amtool_receivers(amtool, config_file, labels)
                got = [route.receiver for route in match(ours, labels)]
                assert got == expected, f"receivers for {labels!r}: ours {got}, amtool {expected}\n{text}"
            am.reload(text)
            alerts = [{"labels": {**labels, "case": str(case), "n": str(n)}} for n, labels in enumerate(label_sets)]
            am.post_alerts(alerts)
            theirs = _groups_of(am, case, len(alerts))
            for alert in alerts:
                labels = alert["labels"]
                mine = sorted(
                    (route.receiver, tuple(sorted(route.group_labels(labels).items()))) for route in match(ours, labels)
                )
                assert mine == theirs[labels["n"]], (
                    f"groups for {labels!r}: ours {mine}, alertmanager {theirs[labels['n']]}\n{text}"
                )

        check()
    finally:
        am.stop()
