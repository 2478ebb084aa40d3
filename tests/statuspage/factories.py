"""factory_boy factories of the statuspage app (flows go through the services)."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from statuspage.choices import SubscriberKind
from statuspage.models import Component, ComponentGroup, ScheduledMaintenance, Subscriber


class ComponentGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ComponentGroup
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Group {n}")


class ComponentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Component
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Component {n}")


class MaintenanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScheduledMaintenance

    name = factory.Sequence(lambda n: f"Maintenance {n}")
    body = "Planned work."
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=2))


class EmailSubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscriber

    kind = SubscriberKind.EMAIL
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    confirmed_at = factory.LazyFunction(timezone.now)
    created_at = factory.LazyFunction(timezone.now)
