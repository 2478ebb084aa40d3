"""Demo routing for ``make run``: idempotent, called from ``sre.demo.services.demo_seed``."""

from __future__ import annotations

from django.db import transaction

from alerts.choices import ReceiverKind
from alerts.models import Receiver, Route


def alerts_demo_seed() -> None:
    """A root route to the ledger-only ``default`` receiver, and a child route sending page/critical alerts
    to an ``on-call`` ledger receiver at once (group_wait 0) grouped by service and SLO. Existing routes are
    left alone (an admin's tree is never overwritten)."""
    with transaction.atomic():
        default, _ = Receiver.objects.get_or_create(name="default", defaults={"kind": ReceiverKind.LEDGER})
        oncall, _ = Receiver.objects.get_or_create(name="on-call", defaults={"kind": ReceiverKind.LEDGER})
        if Route.objects.exists():
            return
        root = Route.objects.create(
            name="root",
            receiver=default,
            group_by=["alertname", "service", "slo"],
            group_wait=30,
            group_interval=300,
            repeat_interval=4 * 3600,
        )
        Route.objects.create(
            parent=root,
            position=0,
            name="paging",
            matchers=['severity=~"page|critical"'],
            receiver=oncall,
            group_by=["alertname", "service", "slo"],
            group_wait=0,
            group_interval=60,
        )
