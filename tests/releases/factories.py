"""factory_boy factories of the releases app."""

from __future__ import annotations

import datetime as dt

import factory

from releases.models import BudgetPolicy, Deployment, GateOverride
from tests.slo.factories import ServiceFactory


class BudgetPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BudgetPolicy

    service = factory.SubFactory(ServiceFactory)
    slo = None
    thresholds = factory.LazyFunction(lambda: [80, 95, 100])


class GateOverrideFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GateOverride

    service = factory.SubFactory(ServiceFactory)
    reason = "hotfix"
    created_at = factory.LazyFunction(lambda: dt.datetime(2026, 3, 14, 11, 0, tzinfo=dt.UTC))
    expires_at = factory.LazyAttribute(lambda o: o.created_at + dt.timedelta(hours=4))


class DeploymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deployment

    service = factory.SubFactory(ServiceFactory)
    version = factory.Sequence(lambda n: f"1.0.{n}")
    at = factory.LazyFunction(lambda: dt.datetime(2026, 3, 14, 11, 0, tzinfo=dt.UTC))
    created_at = factory.LazyAttribute(lambda o: o.at)
    watch_until = factory.LazyAttribute(lambda o: o.at + dt.timedelta(hours=1))
    watch_state = "clean"
