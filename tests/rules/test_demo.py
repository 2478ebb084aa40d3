"""The demo rules fire and resolve on the demo traffic: over one half-hour cycle of the email queue, the queue
threshold rule and the log count rule go from quiet to firing and back, through the intake."""

from __future__ import annotations

import datetime as dt

import pytest

from alerts.models import Alert
from rules.demo import DEMO_RULES, rules_demo_seed
from rules.models import AlertRule
from rules.services.evaluate import rules_evaluate
from sre.demo.services import demo_traffic_push
from sre.demo.traffic import QUEUE_CYCLE

pytestmark = pytest.mark.django_db


def test_demo_rules_are_created_once():
    assert rules_demo_seed() == len(DEMO_RULES)
    assert rules_demo_seed() == 0
    assert AlertRule.objects.count() == len(DEMO_RULES)


def test_the_queue_and_log_rules_fire_and_resolve_over_one_cycle():
    rules_demo_seed()
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    cycle_start = int(now.timestamp()) // QUEUE_CYCLE * QUEUE_CYCLE - 2 * QUEUE_CYCLE  # a whole cycle, in the past
    seen: dict[str, list[str]] = {"EmailQueueBacklog": [], "EmailDeliveryErrors": []}
    for minute in range(31):
        at = dt.datetime.fromtimestamp(cycle_start + 60 * minute + 45, tz=dt.UTC)
        demo_traffic_push(now=at)
        assert rules_evaluate(now=at).errors == 0
        for name, states in seen.items():
            alert = Alert.objects.filter(labels__alertname=name).first()
            state = alert.status if alert else "none"
            if not states or states[-1] != state:
                states.append(state)
    assert seen["EmailQueueBacklog"] == ["none", "firing", "resolved"]
    assert seen["EmailDeliveryErrors"] == ["none", "firing", "resolved"]
