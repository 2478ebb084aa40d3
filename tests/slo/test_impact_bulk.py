"""``slo.selectors.impact.slo_budget_impacts`` (an incident page's SLOs in one pass) answers exactly what
``slo_budget_impact`` answers one SLO at a time, including minutes right at a target (compared exactly)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from slo.selectors import slo_budget_impact
from slo.selectors.impact import slo_budget_impacts
from tests.slo.conftest import push, traffic
from tests.slo.factories import ServiceFactory, SLOFactory

pytestmark = pytest.mark.django_db


def test_bulk_impacts_equal_one_at_a_time() -> None:
    now = timezone.now().replace(second=0, microsecond=0)
    # 1,000 requests a minute; errors 0, 1, 5, 10 or 50 by minute: SLIs 100%, 99.9% (== a 99.9% target), 99.5%, 99%, 95%
    push(traffic(service="checkout", now=now, minutes=120, ok=1000, errors=lambda m: (0, 1, 5, 10, 50)[m % 5]), now=now)
    push(traffic(service="search", now=now, minutes=120, ok=999, errors=lambda m: (0, 1)[m % 2]), now=now)
    checkout, search = ServiceFactory(name="checkout"), ServiceFactory(name="search")
    slos = [
        SLOFactory(service=checkout, name=f"availability-{n}", target=Decimal(target))
        for n, target in enumerate(("0.999", "0.99", "0.995", "0.95", "0.9", "0.99901"))
    ]
    slos += [SLOFactory(service=search, name="availability", target=Decimal("0.999"), window_days=7)]
    slos.append(SLOFactory(service=ServiceFactory(name="quiet"), name="availability"))
    start, end = now - dt.timedelta(minutes=90), now - dt.timedelta(minutes=10)
    bulk = slo_budget_impacts(slo_ids=[s.pk for s in slos], start=start, end=end)
    assert set(bulk) == {s.pk for s in slos}
    for slo in slos:
        assert bulk[slo.pk] == slo_budget_impact(slo_id=slo.pk, start=start, end=end), slo.name
    assert bulk[slos[0].pk].bad_minutes > 0 and bulk[slos[-1].pk].data_state == "no_data"
    # the minutes at exactly 99.9% are not below a 99.9% target, and are below 99.901%
    assert bulk[slos[5].pk].bad_minutes > bulk[slos[0].pk].bad_minutes
