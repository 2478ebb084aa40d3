"""``statuspage_demo_seed``: status page components (grouped) for the demo services, linked to their SLOs,
and a weekly maintenance window. Idempotent: existing components and maintenance are left as they are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from slo.models import SLO, Service
from statuspage.models import Component, ComponentGroup, ScheduledMaintenance
from statuspage.services import component_save, group_save, maintenance_save

DEMO_GROUPS = (("Storefront", 1), ("Payments", 2))
DEMO_COMPONENTS = (
    # name, group, description, services, SLOs, SLO burn sets status
    ("Checkout", "Storefront", "Cart and checkout.", ("checkout",), ("checkout-availability",), True),
    ("Search", "Storefront", "Product search.", ("search",), ("search-good-minutes",), False),
    ("Payments API", "Payments", "Card authorisation.", ("payments-api",), ("payments-api-availability",), True),
    ("Notifications", None, "Order emails and push messages.", ("notifications",), (), False),
)
DEMO_MAINTENANCE = "Weekly notifications database maintenance"


def statuspage_demo_seed() -> None:
    groups = {}
    for name, position in DEMO_GROUPS:
        groups[name] = ComponentGroup.objects.filter(name=name).first() or group_save(
            group=None, data={"name": name, "position": position}
        )
    for position, (name, group, description, services, slos, burn) in enumerate(DEMO_COMPONENTS):
        if Component.objects.filter(name=name).exists():
            continue
        component_save(
            component=None,
            data={
                "name": name,
                "group": groups.get(group),
                "description": description,
                "position": position,
                "status_from_slo_burn": burn,
            },
            services=list(Service.objects.filter(name__in=services)),
            slos=list(SLO.objects.filter(name__in=slos, service__name__in=services)),
        )
    if not ScheduledMaintenance.objects.filter(name=DEMO_MAINTENANCE).exists():
        now = timezone.now()
        day = now.astimezone(UTC).date()
        sunday = day + timedelta(days=(6 - day.weekday()) % 7 or 7)
        start = datetime(sunday.year, sunday.month, sunday.day, 2, 0, tzinfo=UTC)
        maintenance_save(
            maintenance=None,
            data={
                "name": DEMO_MAINTENANCE,
                "body": "Notifications may be delayed by a few minutes while the database is vacuumed.",
                "starts_at": start,
                "ends_at": start + timedelta(minutes=30),
                "recurrence": "weekly",
                "exclude_from_slo": True,
            },
            components=list(Component.objects.filter(name="Notifications")),
            actor="demo",
            now=now,
        )
