"""Inhibition, differentially: generated inhibit rules and firing alerts, our verdict against a real Alertmanager.

Each example is an ``alertmanager.yml`` with one or two ``inhibit_rules`` (matchers of all four operators on
both sides, ``equal`` labels) imported through ``config_import``, and a few firing alerts posted to the running
Alertmanager; its ``/api/v2/alerts`` says which are inhibited (``status.inhibitedBy``), and we compare with
``suppression.inhibited`` over the same alerts. Every rule also carries ``case="N"`` and ``sentinel=""`` on both
sides, so alerts of earlier examples (still firing in the same Alertmanager) and the sentinels cannot take part.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from alerts.domain import suppression
from alerts.domain.matchers import fingerprint
from alerts.selectors import inhibit_rules
from alerts.services.config import config_import
from tests.alerts.am_oracle import Alertmanager
from tests.support.servers import wait_for

pytestmark = pytest.mark.integration

NAMES = ("severity", "cluster", "team")
VALUES = ("critical", "warning", "info", "eu", "us")
REGEXES = ("critical|warning", "warning|info", ".*", "eu|us", "c.*", "")

matcher = st.builds(
    lambda name, op, eq_value, re_value: f'{name}{op}"{re_value if "~" in op else eq_value}"',
    st.sampled_from(NAMES),
    st.sampled_from(("=", "!=", "=~", "!~")),
    st.sampled_from(VALUES),
    st.sampled_from(REGEXES),
)
rules = st.lists(
    st.fixed_dictionaries(
        {
            "source_matchers": st.lists(matcher, min_size=1, max_size=2),
            "target_matchers": st.lists(matcher, min_size=1, max_size=2),
            "equal": st.lists(st.sampled_from(NAMES), max_size=2, unique=True),
        }
    ),
    min_size=1,
    max_size=2,
)
alert_sets = st.lists(
    st.dictionaries(st.sampled_from(NAMES), st.sampled_from(VALUES), min_size=1, max_size=3), min_size=2, max_size=5
)
SENTINEL_RULE = {"source_matchers": ['sentinel="source"'], "target_matchers": ['sentinel="target"'], "equal": ["case"]}


def config_text(generated: list[dict], case: int) -> str:
    rules = [
        {
            "source_matchers": [*rule["source_matchers"], f'case="{case}"', 'sentinel=""'],
            "target_matchers": [*rule["target_matchers"], f'case="{case}"', 'sentinel=""'],
            "equal": rule["equal"],
        }
        for rule in generated
    ]
    doc = {"route": {"receiver": "r0"}, "receivers": [{"name": "r0"}], "inhibit_rules": [*rules, SENTINEL_RULE]}
    return yaml.safe_dump(doc, sort_keys=False)


def test_inhibition_agrees_with_alertmanager(db, tmp_path: Path):
    am = Alertmanager(tmp_path, config_text([], 0))
    cases = itertools.count(1)
    try:

        @settings(
            max_examples=60,
            derandomize=True,
            database=None,
            phases=(Phase.explicit, Phase.generate),
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(generated=rules, label_sets=alert_sets)
        def check(generated: list[dict], label_sets: list[dict[str, str]]) -> None:
            case = next(cases)
            text = config_text(generated, case)
            config_import(text=text)
            ours = inhibit_rules()
            am.reload(text)
            alerts = [{**labels, "case": str(case), "n": str(n)} for n, labels in enumerate(label_sets)]
            am.post_alerts([{"labels": labels} for labels in alerts])
            # The inhibitor takes alerts in order: once the target sentinel shows as inhibited by the source
            # sentinel posted after the alerts, it has seen every alert of this case.
            am.post_alerts([{"labels": {"case": str(case), "sentinel": "target"}}])
            am.post_alerts([{"labels": {"case": str(case), "sentinel": "source"}}])

            def settled() -> list[dict] | None:
                found = am.alerts(f'case="{case}"')
                target = [a for a in found if a["labels"].get("sentinel") == "target"]
                return found if target and target[0]["status"]["inhibitedBy"] else None

            found = wait_for(settled, timeout=20, interval=0.02, what=f"alertmanager to inhibit case {case}")
            theirs = {a["labels"]["n"]: bool(a["status"]["inhibitedBy"]) for a in found if "n" in a["labels"]}
            firing = [(fingerprint(labels), labels) for labels in alerts]
            for labels in alerts:
                mine = suppression.inhibited(labels=labels, fingerprint=fingerprint(labels), rules=ours, firing=firing)
                assert mine == theirs[labels["n"]], (
                    f"inhibited {labels}: ours {mine}, alertmanager {theirs[labels['n']]}\nalerts {alerts}\n{text}"
                )

        check()
    finally:
        am.stop()
