"""Matchers saved under an older, looser parser must not break intake: a route, maintenance window or inhibition
rule whose stored matchers no longer parse matches nothing (with a warning) and the alert routes on."""

from __future__ import annotations

import pytest
from django.utils import timezone

from alerts.config_cache import intake_config
from alerts.domain.matchers import MATCH_NOTHING, matches_all
from alerts.domain.routing import match
from alerts.models import InhibitRule, Receiver, Route
from alerts.selectors import inhibit_rules, routing_tree, stored_matchers


def test_unparsable_stored_matchers_match_nothing(caplog):
    assert stored_matchers(['team="a"'], owner="x")[0].value == "a"
    assert stored_matchers(['team=~"("'], owner="Route 7") == MATCH_NOTHING
    assert "Route 7" in caplog.text
    assert not matches_all(MATCH_NOTHING, {}) and not matches_all(MATCH_NOTHING, {"__unparsable_matchers__": ""})


@pytest.mark.django_db
def test_a_route_and_rule_with_broken_stored_matchers_do_not_fail_routing():
    receiver = Receiver.objects.create(name="ledger")
    root = Route.objects.create(name="root", receiver=receiver, position=0)
    # Written straight to the table, as an older version could have stored it.
    Route.objects.create(name="broken", parent=root, receiver=receiver, position=0, matchers=['team=~"("'])
    InhibitRule.objects.create(source_matchers=['a=~"("'], target_matchers=['b="c"'], equal=[])
    tree = routing_tree()
    assert [r.name for r in match(tree, {"team": "("})] == ["root"]
    assert len(inhibit_rules()) == 1
    assert intake_config(now=timezone.now()) is not None
