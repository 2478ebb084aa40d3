"""factory_boy factories of the alerts app."""

from __future__ import annotations

import factory

from alerts.choices import ReceiverKind
from alerts.models import Receiver, Route


class ReceiverFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Receiver

    name = factory.Sequence(lambda n: f"receiver-{n}")
    kind = ReceiverKind.LEDGER


class RouteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Route

    name = factory.Sequence(lambda n: f"route-{n}")
    receiver = factory.SubFactory(ReceiverFactory)
    matchers = factory.LazyFunction(list)
    group_by = None
