"""The demo components are created once and linked to the demo services."""

from __future__ import annotations

import pytest

from slo.models import Service
from statuspage.demo import statuspage_demo_seed
from statuspage.models import Component, ComponentGroup, ScheduledMaintenance

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent() -> None:
    for name in ("checkout", "payments-api", "search", "notifications"):
        Service.objects.create(name=name)
    statuspage_demo_seed()
    statuspage_demo_seed()
    assert Component.objects.count() == 4 and ComponentGroup.objects.count() == 2
    assert ScheduledMaintenance.objects.count() == 1
    checkout = Component.objects.get(name="Checkout")
    assert checkout.group.name == "Storefront" and [s.name for s in checkout.services.all()] == ["checkout"]
    maintenance = ScheduledMaintenance.objects.get()
    assert maintenance.alert_window is not None and maintenance.alert_window.exclude_from_slo
